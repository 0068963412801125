// The learner runtime's resume codec and xAPI statement queue under Node, for tests/test_runtime_fuzz.py.
//
// It imports the real ES modules from src/coursebuild/runtime/src/ (not the bundle) and answers one JSON
// request per line on stdin with one JSON line on stdout. Node has no browser window, so `window` here is a
// small stand-in: in-memory localStorage and sessionStorage, timers the test runs by hand, and a fetch that
// is an LRS double whose answers each request scripts (accept, 5xx, 429, network error, lost answer, hang).

import { createInterface } from "node:readline";

const storage = () => {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => { items.set(k, String(v)); },
    removeItem: (k) => { items.delete(k); },
    clear: () => items.clear(),
  };
};

const timers = new Map();
let nextTimer = 1;
const logged = [];
const fakeConsole = {
  error: (...args) => logged.push(["error", args.map(String).join(" ")]),
  warn: (...args) => logged.push(["warn", args.map(String).join(" ")]),
  log: (...args) => logged.push(["log", args.map(String).join(" ")]),
};

globalThis.window = {
  localStorage: storage(),
  sessionStorage: storage(),
  setTimeout: (fn, delay) => { const id = nextTimer++; timers.set(id, { fn, delay }); return id; },
  clearTimeout: (id) => { timers.delete(id); },
  fetch: (url, options) => lrs.fetch(url, options),
  crypto: globalThis.crypto,
  console: fakeConsole,
  location: { origin: "https://lms.example.org", search: "" },
};
// The modules call console.warn/error after checking window.console; keep stdout for answers only.
globalThis.console.warn = fakeConsole.warn;
globalThis.console.error = fakeConsole.error;

const context = await import("../../src/coursebuild/runtime/src/context.js");
const codec = await import("../../src/coursebuild/runtime/src/state.js");
const scorm = await import("../../src/coursebuild/runtime/src/adapters/scorm.js");
const xapi = await import("../../src/coursebuild/runtime/src/adapters/xapi.js");
const scoring = await import("../../src/coursebuild/runtime/src/scoring.js");

const settle = () => new Promise((resolve) => setImmediate(resolve));

// ------------------------------------------------------------------ the resume codec

// A SCORM API that keeps what is set, as an LMS does between launches.
function scormApi(version, stored) {
  const v12 = version === "scorm12";
  const values = Object.assign({}, stored);
  const api = {};
  const name = (method) => (v12 ? { Initialize: "LMSInitialize", Terminate: "LMSFinish", GetValue: "LMSGetValue",
    SetValue: "LMSSetValue", Commit: "LMSCommit", GetLastError: "LMSGetLastError" }[method] : method);
  api[name("Initialize")] = () => "true";
  api[name("Terminate")] = () => "true";
  api[name("Commit")] = () => "true";
  api[name("GetLastError")] = () => "0";
  api[name("GetValue")] = (element) => (element in values ? values[element] : element.endsWith("_count") ? "0" : "");
  api[name("SetValue")] = (element, value) => { values[element] = value; return "true"; };
  return { api, values };
}

function codecRoundTrip(request) {
  context.setCourse(request.data, { format: "web" });
  context.setState(request.state);
  const encoded = codec.encodeState();
  const decoded = codec.decodeState(encoded);
  const location = context.pageIds[request.state.page];
  const lms = {};
  for (const version of ["scorm12", "scorm2004"]) {
    logged.length = 0;
    const first = scormApi(version, {});
    const adapter = new scorm.ScormAdapter(version, first.api);
    adapter.start();
    adapter.saveState(encoded, location);
    adapter.finish(1000, false);
    // The next launch: the LMS hands back what it kept.
    const again = scormApi(version, Object.assign({}, first.values, { [version === "scorm12" ? "cmi.core.entry" : "cmi.entry"]: "resume" }));
    const resumed = new scorm.ScormAdapter(version, again.api).start();
    lms[version] = {
      limit: scorm.LIMITS[version],
      suspendData: first.values["cmi.suspend_data"] === undefined ? null : first.values["cmi.suspend_data"],
      location: first.values[version === "scorm12" ? "cmi.core.lesson_location" : "cmi.location"],
      resumed: resumed,
      resumedState: resumed === null ? null : codec.decodeState(resumed),
      errors: logged.filter((l) => l[0] === "error").map((l) => l[1]),
    };
  }
  return { encoded, decoded, lms, location };
}

function decodeOnly(request) {
  context.setCourse(request.data, { format: "web" });
  return { decoded: codec.decodeState(request.text) };
}

// ------------------------------------------------------------------ the statement queue

// The LRS double: it stores each statement id once, in the order it first accepts them, refuses a batch
// that holds an invalid statement (400) or a changed statement under a stored id (409), and answers each
// POST as the step in progress scripts it.
const lrs = {
  stored: [],
  byId: new Map(),
  posts: [],
  outcome: "ok",
  pending: [],
  reset() { this.stored = []; this.byId = new Map(); this.posts = []; this.outcome = "ok"; this.pending = []; },
  invalid(st) { return !!(st.result && st.result.score && Math.abs(st.result.score.scaled) > 1); },
  // What the LRS does with a batch that reaches it: the status it answers.
  receive(batch) {
    if (batch.some((st) => this.invalid(st))) return 400;
    if (batch.some((st) => this.byId.has(st.id) && this.byId.get(st.id) !== JSON.stringify(st))) return 409;
    for (const st of batch) {
      if (this.byId.has(st.id)) continue;
      this.byId.set(st.id, JSON.stringify(st));
      this.stored.push(st.id);
    }
    return 200;
  },
  response(status) {
    return { ok: status >= 200 && status < 300, status, json: async () => ({}), text: async () => "" };
  },
  fetch(url, options) {
    const method = options.method;
    if (method === "GET") return Promise.resolve(this.response(404));  // no resume state, nothing stored yet
    if (method === "PUT") return Promise.resolve(this.response(204));
    const batch = JSON.parse(options.body);
    const post = { ids: batch.map((st) => st.id), outcome: this.outcome, keepalive: !!options.keepalive, status: null, delivered: false };
    this.posts.push(post);
    const answer = (status) => { post.status = status; post.delivered = true; return this.response(status); };
    if (this.outcome.startsWith("gone:")) {
      // Posted as the page goes away: the LRS may store it, but no answer reaches the page.
      const outcome = this.outcome.slice(5);
      if (outcome === "ok" || outcome === "lost") post.status = this.receive(batch);
      return new Promise(() => {});
    }
    switch (this.outcome) {
      case "ok": return Promise.resolve(answer(this.receive(batch)));
      case "500": case "503": case "429": return Promise.resolve(answer(Number(this.outcome)));
      case "network": return Promise.reject(new TypeError("Failed to fetch"));
      case "lost": this.receive(batch); return Promise.reject(new TypeError("Failed to fetch"));  // stored, answer lost
      case "hang":
        return new Promise((resolve, reject) => { this.pending.push({ batch, post, resolve, reject }); });
      default: throw new Error("unknown outcome " + this.outcome);
    }
  },
};

const PARAMS = { endpoint: "https://lrs.example.org/xapi/", auth: "Basic dGVzdDp0ZXN0",
  actor: JSON.stringify({ objectType: "Agent", name: "Learner", mbox: "mailto:learner@example.org" }),
  registration: "5e7c2a52-8a5b-4a4e-9d3c-1f2e3d4c5b6a" };

async function runTimers() {
  const due = Array.from(timers.entries()).sort((a, b) => a[1].delay - b[1].delay || a[0] - b[0]);
  timers.clear();
  for (const [, timer] of due) timer.fn();
  await settle();
  await settle();
}

async function answerPending(outcome) {
  const pending = lrs.pending;
  lrs.pending = [];
  for (const p of pending) {
    if (outcome === "network") p.reject(new TypeError("Failed to fetch"));
    else if (outcome === "lost") { lrs.receive(p.batch); p.reject(new TypeError("Failed to fetch")); }
    else {
      const status = outcome === "ok" ? lrs.receive(p.batch) : Number(outcome);
      p.post.status = status;
      p.post.delivered = true;
      p.resolve(lrs.response(status));
    }
  }
  await settle();
  await settle();
}

function snapshot(adapter) {
  const saved = window.localStorage.getItem(adapter.queueKey);
  return { queue: adapter.queue.map((st) => st.id), storage: saved === null ? null : JSON.parse(saved).map((st) => st.id) };
}

async function queueRun(request) {
  window.localStorage.clear();
  window.sessionStorage.clear();
  timers.clear();
  lrs.reset();
  context.setCourse(request.data, { format: "xapi" });
  const trace = { steps: [], rejected: [], created: [] };
  let adapter = null;
  let rejectedBefore = 0;
  const collect = () => {
    trace.rejected.push(...adapter.rejected.slice(rejectedBefore).map((r) => r.id));
    rejectedBefore = adapter.rejected.length;
  };
  // A page load: the adapter reads its queue from this browser's storage, starts and, as the runtime's
  // first show() does through persist(), commits (which flushes).
  const launch = async () => {
    if (adapter) collect();
    timers.clear();
    adapter = new xapi.XapiAdapter("tincan", Object.assign({}, PARAMS));
    rejectedBefore = 0;
    const before = adapter.created.length;
    lrs.outcome = "ok";
    await adapter.start();
    adapter.commit();
    await settle();
    return adapter.created.slice(before);
  };
  trace.steps.push({ op: "launch", created: await launch(), ...snapshot(adapter) });
  for (const step of request.script) {
    const before = adapter.created.length;
    let created;
    if (step.op === "send") {
      const st = adapter.statement(step.verb, { id: "https://example.org/activity/" + step.n, objectType: "Activity" },
        adapter.context(null), step.valid ? { response: "r" + step.n } : { score: { scaled: 7 } });
      adapter.send(st);
      trace.created.push({ id: st.id, verb: step.verb, valid: step.valid, n: step.n });
      created = adapter.created.slice(before);
    } else if (step.op === "tick") {
      lrs.outcome = step.outcome;
      await runTimers();
      created = adapter.created.slice(before);
    } else if (step.op === "answer") {
      lrs.outcome = "ok";
      await answerPending(step.outcome);
      created = adapter.created.slice(before);
    } else if (step.op === "reload") {
      // The page goes away: answers to what is on its way never arrive; the LRS may have it or not.
      const pending = lrs.pending;
      lrs.pending = [];
      if (step.reached) for (const p of pending) lrs.receive(p.batch);
      created = await launch();
    } else if (step.op === "leave") {
      // Leaving the course (pagehide): finish() sends terminated and posts the queue with keepalive; the LRS
      // stores it or not as scripted, but the page is gone before any answer arrives; then the next launch.
      const pending = lrs.pending;
      lrs.pending = [];
      if (step.reached) for (const p of pending) lrs.receive(p.batch);
      lrs.outcome = "gone:" + step.outcome;
      adapter.leaving = true;
      adapter.finish(5000);
      created = adapter.created.slice(before).concat(await launch());
    } else {
      throw new Error("unknown step " + step.op);
    }
    trace.steps.push({ op: step.op, created, ...snapshot(adapter) });
  }
  // Drain: every request answered, every timer run, until nothing is left to send.
  for (let i = 0; i < 400 && (adapter.queue.length || timers.size || lrs.pending.length); i++) {
    await answerPending("ok");
    lrs.outcome = "ok";
    await runTimers();
  }
  collect();
  trace.final = snapshot(adapter);
  trace.timers = timers.size;
  trace.stored = lrs.stored;
  trace.posts = lrs.posts;
  trace.storedVerbs = lrs.stored.map((id) => JSON.parse(lrs.byId.get(id)).verb.display["en-US"]);
  trace.log = logged.splice(0);
  return trace;
}

// ------------------------------------------------------------------ the protocol

// The interaction a SCORM adapter records for an answer (cmi.interactions.n.*).
function interactionRecord(request) {
  return scoring.scormRecord(request.question, request.response, request.correct, request.version === "scorm12");
}

const OPS = { codec: codecRoundTrip, decode: decodeOnly, queue: queueRun, interaction: interactionRecord };
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = { ok: true, result: await OPS[request.op](request) };
  } catch (error) {
    answer = { ok: false, error: String(error && error.stack || error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
