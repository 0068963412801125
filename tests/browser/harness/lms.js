// A strict test LMS. scorm-again (from node_modules) is the SCORM API; every API method is wrapped in a
// recorder that logs the call and checks the rules scorm-again does not enforce.
//
// Query parameters:
//   version          "1.2" (window.API) or "2004" (window.API_1484_11); default "1.2"
//   sco              URL of the SCO to launch (required)
//   mode             "iframe" (the SCO finds the API in its parent) or "popup" (window.open: it finds it
//                    through window.opener); default "iframe"
//   state            previous CMI state (lmsState() of an earlier run), inline JSON or the URL of a JSON file.
//                    It is preloaded with exit and session_time dropped and entry set to "resume" when the
//                    state's exit was "suspend" or absent, "" otherwise.
//   learner_id, learner_name   default "learner-1", "Doe, Jane"
//   commit_failures  the first N explicit Commit/LMSCommit calls return "false" (error 101 in 1.2, 391 in 2004)
//
// Window globals: lmsCalls, lmsViolations, lmsState(), lmsCommitted, lmsTerminated, lmsCommitBeforeTerminate,
// lmsReady, lmsError, lmsUnload().

const params = new URLSearchParams(location.search);
const version = params.get("version") || "1.2";
const mode = params.get("mode") || "iframe";
const scoUrl = params.get("sco");
let commitFailures = Number(params.get("commit_failures") || 0);
const V12 = version === "1.2";

const NAMES = V12
  ? { init: "LMSInitialize", term: "LMSFinish", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit",
      lastError: "LMSGetLastError", errorString: "LMSGetErrorString", diagnostic: "LMSGetDiagnostic" }
  : { init: "Initialize", term: "Terminate", get: "GetValue", set: "SetValue", commit: "Commit",
      lastError: "GetLastError", errorString: "GetErrorString", diagnostic: "GetDiagnostic" };
const ERROR_ROLES = new Set(["lastError", "errorString", "diagnostic"]);

const NUMBER = /^-?\d+(\.\d+)?$/;
const INTERACTION_TYPES = ["true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert",
  "numeric"];
const RULES = V12 ? {
  limits: { "cmi.suspend_data": 4096, "cmi.core.lesson_location": 255 },
  vocabularies: [
    [/^cmi\.core\.lesson_status$/, ["passed", "completed", "failed", "incomplete", "browsed"]],
    [/^cmi\.core\.exit$/, ["time-out", "suspend", "logout", ""]],
    [/^cmi\.interactions\.\d+\.type$/, INTERACTION_TYPES],
    [/^cmi\.interactions\.\d+\.result$/, ["correct", "wrong", "unanticipated", "neutral"], NUMBER],
  ],
} : {
  limits: { "cmi.suspend_data": 64000, "cmi.location": 1000 },
  vocabularies: [
    [/^cmi\.(objectives\.\d+\.)?completion_status$/, ["completed", "incomplete", "not attempted", "unknown"]],
    [/^cmi\.(objectives\.\d+\.)?success_status$/, ["passed", "failed", "unknown"]],
    [/^cmi\.exit$/, ["time-out", "suspend", "logout", "normal", ""]],
    [/^cmi\.interactions\.\d+\.type$/, [...INTERACTION_TYPES, "long-fill-in", "other"]],
    [/^cmi\.interactions\.\d+\.result$/, ["correct", "incorrect", "unanticipated", "neutral"], NUMBER],
  ],
};
const INDEXED = /^cmi\.(interactions|objectives)\.(\d+)\.(.+)$/;  // id must be set before other fields

const calls = (window.lmsCalls = []);
const violations = (window.lmsViolations = []);
window.lmsTerminated = false;
window.lmsCommitBeforeTerminate = null;  // on Terminate: whether an explicit commit followed the last SetValue
window.lmsCommitted = null;  // the CMI as of the last successful commit (explicit or by terminate)

const short = (v) => { const s = JSON.stringify(v); return s.length > 40 ? s.slice(0, 37) + "…\"" : s; };

async function readState() {
  const raw = params.get("state");
  if (!raw) return null;
  const json = raw.trim().startsWith("{") ? JSON.parse(raw) : await (await fetch(raw)).json();
  return structuredClone(json.cmi || json);
}

function preload(api, previous) {
  const cmi = previous || {};
  const core = V12 ? (cmi.core ||= {}) : cmi;
  const exitKnown = "exit" in core;
  const previousExit = core.exit;
  for (const key of ["exit", "session_time", "entry"]) delete core[key];
  if (V12) Object.assign(core, { student_id: params.get("learner_id") || "learner-1",
    student_name: params.get("learner_name") || "Doe, Jane", credit: "credit", lesson_mode: "normal" });
  else Object.assign(cmi, { learner_id: params.get("learner_id") || "learner-1",
    learner_name: params.get("learner_name") || "Doe, Jane" });
  core.entry = !previous ? "ab-initio" : (!exitKnown || previousExit === "suspend") ? "resume" : "";
  api.loadFromJSON(cmi);
  // Interactions and objectives already in the LMS have their ids set.
  const ids = new Set();
  for (const kind of ["interactions", "objectives"]) {
    for (const [n, item] of Object.entries(cmi[kind] || {})) if (item && item.id) ids.add(`${kind}.${n}`);
  }
  return ids;
}

function record(api, idsSet) {
  let phase = "new";  // new → running → terminated
  let initCount = 0, termCount = 0, dirty = false;
  const flag = (message) => violations.push(message);

  function before(role, name, args) {
    if (role === "init" && ++initCount > 1) flag(`${name} called ${initCount} times`);
    if (role === "term" && ++termCount > 1) flag(`${name} called ${termCount} times`);
    if (!ERROR_ROLES.has(role)) {
      if (phase === "new" && role !== "init") flag(`${name}(${args.map(short).join(", ")}) before ${NAMES.init}`);
      if (phase === "terminated") flag(`${name}(${args.map(short).join(", ")}) after ${NAMES.term}`);
    }
    if (["init", "term", "commit"].includes(role) && args.length && args[0] !== "") {
      flag(`${name}(${short(args[0])}): the argument must be ""`);
    }
    if (role === "term" && phase === "running") {
      window.lmsCommitBeforeTerminate = !dirty;
      if (dirty) flag(`${NAMES.term} without an explicit ${NAMES.commit} after the last ${NAMES.set}`);
    }
    if (role === "set") checkSet(name, String(args[0]), args[1] === undefined ? "" : String(args[1]));
  }

  function checkSet(name, element, value) {
    const limit = RULES.limits[element];
    if (limit !== undefined && value.length > limit) {
      flag(`${name}(${element}): ${value.length} characters, over the SCORM ${version} limit of ${limit}`);
    }
    for (const [pattern, allowed, alternative] of RULES.vocabularies) {
      if (pattern.test(element) && !allowed.includes(value) && !(alternative && alternative.test(value))) {
        flag(`${name}(${element}, ${short(value)}): not in the SCORM ${version} vocabulary (${allowed.join(", ")})`);
      }
    }
    const m = INDEXED.exec(element);
    if (m && m[3] !== "id" && !idsSet.has(`${m[1]}.${m[2]}`)) {
      flag(`${name}(${element}) before cmi.${m[1]}.${m[2]}.id`);
    }
  }

  function after(role, name, args, result, errorCode) {
    if (role === "init" && result === "true" && phase === "new") phase = "running";
    if (role === "set") {
      if (result !== "true") {
        flag(`${name}(${short(args[0])}, ${short(args[1])}) returned ${short(result)} (error ${errorCode})`);
      } else {
        dirty = true;
        const m = INDEXED.exec(String(args[0]));
        if (m && m[3] === "id") idsSet.add(`${m[1]}.${m[2]}`);
      }
    }
    if (role === "commit" && phase === "running") {
      dirty = false;
      if (result === "true") window.lmsCommitted = api.renderCommitCMI(false);
    }
    if (role === "term" && result === "true" && phase === "running") {
      phase = "terminated";
      window.lmsCommitted = api.renderCommitCMI(true);
      window.lmsTerminated = true;
    }
  }

  for (const [role, name] of Object.entries(NAMES)) {
    const original = api[name].bind(api);
    api[name] = (...args) => {
      const t = Math.round(performance.now());
      before(role, name, args);
      let result, simulated = false;
      if (role === "commit" && phase === "running" && commitFailures > 0) {
        commitFailures--;
        simulated = true;
        api.lastErrorCode = V12 ? "101" : "391";
        result = "false";
      } else {
        result = original(...args);
      }
      const errorCode = String(api.lastErrorCode);
      after(role, name, args, result, errorCode);
      calls.push({ method: name, args, result, errorCode, t, ...(simulated && { simulated }) });
      return result;
    };
  }
}

async function main() {
  if (!scoUrl) throw new Error("missing query parameter: sco");
  if (!["1.2", "2004"].includes(version)) throw new Error(`unknown version: ${version}`);
  if (!["iframe", "popup"].includes(mode)) throw new Error(`unknown mode: ${mode}`);
  const previous = await readState();
  const { Scorm12API, Scorm2004API } = V12
    ? await import("../scorm-again/esm/scorm12.js")
    : await import("../scorm-again/esm/scorm2004.js");
  const settings = { lmsCommitUrl: false, autocommit: false, logLevel: 5 /* NONE */ };
  const api = V12 ? new Scorm12API(settings) : new Scorm2004API(settings);
  record(api, preload(api, previous));
  window.lmsState = () => api.renderCommitCMI(true);
  if (V12) window.API = api; else window.API_1484_11 = api;

  const frame = document.getElementById("sco");
  if (mode === "iframe") {
    frame.hidden = false;
    frame.src = scoUrl;
    window.lmsUnload = () => { frame.src = "about:blank"; };
  } else {
    const popup = window.open(scoUrl, "_blank");
    if (!popup) throw new Error("the popup was blocked");
    window.lmsUnload = () => popup.close();
  }
  document.getElementById("status").textContent = `SCORM ${version}, ${mode}: ${scoUrl}`;
  window.lmsReady = true;
}

main().catch((error) => {
  window.lmsError = String(error);
  document.getElementById("status").textContent = `harness error: ${error}`;
});
