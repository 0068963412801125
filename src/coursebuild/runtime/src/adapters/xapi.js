// ------------------------------------------------------------------ xAPI: TinCan launch and cmi5

import { data } from "../context.js";
import { hashString, now } from "../helpers.js";
import { likertRecords, scormRecord } from "../scoring.js";
import { duration2004 } from "./scorm.js";

var CMI5 = "https://w3id.org/xapi/cmi5/context/";
var RESUME_STATE = "https://w3id.org/coursebuild/xapi/state/resume";
// Where the write made as the page closes goes while another is still on its way: the LRS keeps whichever
// write of one document arrives last, so that one could undo it. The newer revision of the two is resumed.
var EXIT_STATE = "https://w3id.org/coursebuild/xapi/state/resume-at-exit";
var PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress";
var SESSION_EXTENSION = CMI5 + "extensions/sessionid";
var CMI5_CATEGORY = CMI5 + "categories/cmi5";

function sessionOf(statement) {
  var extensions = statement.context && statement.context.extensions;
  return extensions && extensions[SESSION_EXTENSION] || null;
}

function isInitialized(statement) {
  return statement.verb.id === data.tracking.verbs.initialized;
}

function isCmi5Defined(statement) {
  var categories = statement.context && statement.context.contextActivities && statement.context.contextActivities.category || [];
  return categories.some(function (c) { return c.id === CMI5_CATEGORY; });
}

function warn(message) { if (window.console) console.warn("coursebuild: " + message); }

function launchParameters() {
  var params = {};
  window.location.search.replace(/^\?/, "").split("&").forEach(function (pair) {
    if (!pair) return;
    var i = pair.indexOf("=");
    var key = decodeURIComponent((i < 0 ? pair : pair.slice(0, i)).replace(/\+/g, " "));
    params[key] = i < 0 ? "" : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, " "));
  });
  return params;
}

function uuid() {
  if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
  var b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

// TinCan launch documents predate xAPI 1.0 and may send 0.9-style arrays; statements need 1.0 agents.
function normaliseActor(actor) {
  var result = { objectType: "Agent" };
  ["name", "mbox", "mbox_sha1sum", "openid"].forEach(function (k) {
    if (actor[k] !== undefined) result[k] = Array.isArray(actor[k]) ? actor[k][0] : actor[k];
  });
  var account = actor.account && (Array.isArray(actor.account) ? actor.account[0] : actor.account);
  if (account) result.account = { homePage: account.homePage || account.accountServiceHomePage, name: account.name || account.accountName };
  return result;
}

function XapiAdapter(mode, params) {
  this.mode = mode;
  this.params = params;
  this.endpoint = params.endpoint.replace(/\/?$/, "/");
  this.actor = normaliseActor(JSON.parse(params.actor || "{}"));
  this.registration = params.registration || null;
  this.activityId = params.activityId || params.activity_id || data.tracking.course.id;
  this.auth = params.auth || null;
  var key = hashString(this.endpoint + "|" + this.registration + "|" + JSON.stringify(this.actor) + "|" + this.activityId);
  this.queueKey = "coursebuild:statements:" + key;
  this.sentKey = "coursebuild:sent:" + key;
  this.stateKey = "coursebuild:unsaved-state:" + key;
  this.queue = this.load(this.queueKey, []);
  // cmi5: what this registration already holds is read from the LRS at launch, never from this browser.
  this.sent = mode === "cmi5" ? {} : this.load(this.sentKey, {});
  this.confirmed = {};
  this.rejected = [];
  this.dropped = [];
  this.created = [];
  this.sessionId = null;
  this.initializedAccepted = mode !== "cmi5";
  this.terminatedQueued = false;
  this.inFlight = false;
  this.retryDelay = 0;
  this.stateDocument = null;
  this.savedState = null;
  this.launchData = null;
  this.failedPending = null;
  this.lastProgress = -1;
  this.started = now();
}

// An LRS embedded at build time has no actor from a launch URL: the SCORM learner is the actor.
XapiAdapter.prototype.identify = function (scorm) {
  this.actor = { objectType: "Agent", name: scorm.learnerName || undefined,
    account: { homePage: window.location.origin, name: scorm.learnerId || "unknown" } };
  var key = hashString(this.endpoint + "|" + JSON.stringify(this.actor) + "|" + this.activityId);
  this.queueKey = "coursebuild:statements:" + key;
  this.sentKey = "coursebuild:sent:" + key;
  this.queue = this.load(this.queueKey, []);
  this.sent = this.load(this.sentKey, {});
};

XapiAdapter.prototype.load = function (key, fallback) {
  try { var v = window.localStorage.getItem(key); return v ? JSON.parse(v) : fallback; } catch (e) { return fallback; }
};
XapiAdapter.prototype.store = function (key, value) {
  try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or disabled */ }
};
XapiAdapter.prototype.forget = function (key) {
  try { window.localStorage.removeItem(key); } catch (e) { /* disabled */ }
};

XapiAdapter.prototype.request = function (method, resource, query, body, options) {
  var url = this.endpoint + resource + (query ? "?" + Object.keys(query).map(function (k) {
    return encodeURIComponent(k) + "=" + encodeURIComponent(query[k]);
  }).join("&") : "");
  var headers = { "X-Experience-API-Version": "1.0.3" };
  if (this.auth) headers.Authorization = this.auth;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return window.fetch(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
    keepalive: !!(options && options.keepalive), credentials: "omit" });
};

XapiAdapter.prototype.documentQuery = function (stateId) {
  var query = { stateId: stateId, activityId: this.activityId, agent: JSON.stringify(this.actor) };
  if (this.registration) query.registration = this.registration;
  return query;
};

XapiAdapter.prototype.getJson = function (resource, query) {
  return this.request("GET", resource, query).then(function (response) {
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(resource + " answered " + response.status);
    return response.text().then(function (text) { try { return JSON.parse(text); } catch (e) { return text; } });
  });
};

// cmi5 §8.2: the fetch URL answers once; keep the token for this session so a page refresh can go on.
XapiAdapter.prototype.fetchToken = function () {
  var key = "cmi5:token:" + this.params.fetch;
  var saved = null;
  try { saved = window.sessionStorage.getItem(key); } catch (e) { /* unavailable */ }
  if (saved) return Promise.resolve(saved);
  return window.fetch(this.params.fetch, { method: "POST", credentials: "omit" })
    .then(function (r) { return r.json(); })
    .then(function (json) {
      if (!json["auth-token"]) throw new Error("cmi5 fetch refused: " + (json["error-text"] || json["error-code"]));
      try { window.sessionStorage.setItem(key, json["auth-token"]); } catch (e) { /* unavailable */ }
      return json["auth-token"];
    });
};

// cmi5: the AU must send terminated when its page goes away, and cannot tell a reload from a close. After
// a reload the session has ended, so nothing more may be sent in it: the learner reopens from the LMS.
XapiAdapter.prototype.endedKey = function () { return "cmi5:ended:" + this.params.fetch; };

XapiAdapter.prototype.start = function () {
  var self = this;
  var ready = Promise.resolve();
  var ended = null;
  try { ended = window.sessionStorage.getItem(this.endedKey()); } catch (e) { /* unavailable */ }
  if (this.mode === "cmi5" && ended !== null) {
    var error = new Error("cmi5 session already terminated");
    error.sessionEnded = true;
    error.returnUrl = ended;
    return Promise.reject(error);
  }
  if (this.mode === "cmi5") {
    ready = this.fetchToken().then(function (token) {
      self.auth = "Basic " + token;
      return self.getJson("activities/state", self.documentQuery("LMS.LaunchData"));
    }).then(function (launchData) {
      if (!launchData || !launchData.contextTemplate) throw new Error("cmi5 LMS.LaunchData is missing");
      self.launchData = launchData;
      if (typeof launchData.masteryScore === "number") self.masteryScore = Math.round(launchData.masteryScore * 100);
      self.sessionId = (launchData.contextTemplate.extensions || {})[SESSION_EXTENSION] || null;
      return self.getJson("agents/profile", { profileId: "cmi5LearnerPreferences", agent: JSON.stringify(self.actor) });
    }).then(function (preferences) {
      self.preferences = preferences;
      return self.settleEarlierSessions();
    });
  }
  var rebased = [];
  return ready.then(function (settled) {
    rebased = settled || [];
    return Promise.all([
      self.getJson("activities/state", self.documentQuery(RESUME_STATE)),
      self.getJson("activities/state", self.documentQuery(EXIT_STATE))
    ]);
  }).then(function (documents) {
    var saved = newerState(documents[0], documents[1]);
    self.restoreState(saved);
    return self.isCmi5() ? self.readRegistrationOutcomes(saved) : null;
  }).then(function () {
    self.learnerName = self.actor.name || "";
    var initializedKey = "coursebuild:initialized:" + self.queueKey + (self.params.fetch || "");
    var already = false;
    try { already = window.sessionStorage.getItem(initializedKey) === "1"; window.sessionStorage.setItem(initializedKey, "1"); } catch (e) { /* unavailable */ }
    if (!already) self.send(self.defined("initialized"));
    // A reloaded page whose initialized is no longer queued has had it accepted: it need not wait for it.
    else if (!self.queue.some(function (st) { return sessionOf(st) === self.sessionId && isInitialized(st); })) self.initializedAccepted = true;
    rebased.forEach(function (st) { self.send(st); });
    return self.savedState;
  });
};

function revisionOf(document) {
  return document && typeof document.revision === "number" ? document.revision : 0;
}

function newerState(main, atExit) {
  if (!atExit || !atExit.state) return main;
  if (!main || !main.state) return atExit;
  return revisionOf(atExit) > revisionOf(main) ? atExit : main;
}

// The resume state the LRS holds, unless this browser has a newer one (the learner's last answers before a
// connection dropped, or a last write that never arrived): that one wins and is sent again.
XapiAdapter.prototype.restoreState = function (saved) {
  var unsaved = this.load(this.stateKey, null);
  var savedAt = saved && typeof saved.savedAt === "number" ? saved.savedAt : 0;
  if (unsaved && unsaved.state && unsaved.at > savedAt) {
    this.savedState = unsaved.state;
    this.pendingState = unsaved.state;
    this.pendingAt = unsaved.at;
  } else {
    this.savedState = saved && saved.state ? saved.state : null;
    this.stateDocument = this.savedState;
    this.outcomesDocument = JSON.stringify(saved && saved.outcomes || {});
    if (unsaved) this.forget(this.stateKey);
  }
  this.confirmed = saved && saved.outcomes || {};
  this.revision = revisionOf(saved);  // each write's is one more, across sessions and devices
};

// cmi5 §9.3: completed and passed at most once per registration, no failed after passed. The LRS says
// what the registration holds (sent from any device, in any session); the AU's own state document,
// which records outcomes only once the LRS has accepted them, is the fallback if statements can't be read.
XapiAdapter.prototype.readRegistrationOutcomes = function (saved) {
  var self = this;
  function has(verb) {
    return self.getJson("statements", { registration: self.registration, agent: JSON.stringify(self.actor),
      activity: self.activityId, verb: data.tracking.verbs[verb], limit: 1 }).then(function (result) {
      return !!(result && result.statements && result.statements.length);
    });
  }
  return Promise.all([has("completed"), has("passed")]).then(function (found) {
    self.sent.completed = self.confirmed.completed = found[0];
    self.sent.passed = self.confirmed.passed = found[1];
  }, function (error) {
    warn("could not read this registration's statements (" + error.message + "); using the saved state's record");
    var outcomes = saved && saved.outcomes || {};
    self.sent.completed = !!outcomes.completed;
    self.sent.passed = !!outcomes.passed;
  });
};

// Statements queued in an earlier session (their responses were lost, or the page closed first) may
// never go out under this session: its context differs (cmi5 §10.2.1). Each is looked up by id; one the
// LRS holds is done; a session-management statement it lacks belongs to its own session and is dropped
// (this session reports the outcome again); an answer or decision it lacks is carried into this session
// under a new id, marked with the one it replaces. One that can't be looked up waits for a later launch.
XapiAdapter.prototype.settleEarlierSessions = function () {
  var self = this;
  var earlier = this.queue.filter(function (st) { return sessionOf(st) !== self.sessionId; });
  if (!earlier.length) return Promise.resolve([]);
  return Promise.all(earlier.map(function (st) {
    return self.request("GET", "statements", { statementId: st.id }).then(function (r) {
      return r.status === 200 ? "stored" : r.status === 404 ? "missing" : "unknown";
    }, function () { return "unknown"; });
  })).then(function (verdicts) {
    var settled = {}, rebased = [];
    earlier.forEach(function (st, i) {
      if (verdicts[i] === "unknown") return;
      settled[st.id] = true;
      if (verdicts[i] === "stored") return;
      if (isCmi5Defined(st)) {
        self.dropped.push({ id: st.id, reason: "cmi5 " + st.verb.display["en-US"] + " of an earlier session, never stored" });
        warn("dropped " + st.verb.display["en-US"] + " statement " + st.id + " of an earlier session that the LRS never stored");
      } else {
        rebased.push(self.rebase(st));
      }
    });
    self.queue = self.queue.filter(function (st) { return !settled[st.id]; });
    self.store(self.queueKey, self.queue);
    return rebased;
  });
};

XapiAdapter.prototype.rebase = function (statement) {
  var copy = JSON.parse(JSON.stringify(statement));
  var template = this.launchData.contextTemplate;
  var context = copy.context = copy.context || {};
  context.extensions = context.extensions || {};
  Object.keys(template.extensions || {}).forEach(function (k) { context.extensions[k] = template.extensions[k]; });
  context.extensions[data.tracking.extensions.replaces] = statement.id;
  var activities = context.contextActivities = context.contextActivities || {};
  Object.keys(template.contextActivities || {}).forEach(function (k) {
    var list = activities[k] = activities[k] || [];
    template.contextActivities[k].forEach(function (a) {
      if (!list.some(function (b) { return b.id === a.id; })) list.push(a);
    });
  });
  copy.id = uuid();
  return copy;
};

XapiAdapter.prototype.isCmi5 = function () { return this.mode === "cmi5"; };

XapiAdapter.prototype.context = function (tags, extra) {
  var context = this.launchData ? JSON.parse(JSON.stringify(this.launchData.contextTemplate)) : {};
  if (this.registration) context.registration = this.registration;
  if (!context.language) context.language = data.course.language;  // the language of this attempt
  var activities = context.contextActivities = context.contextActivities || {};
  function add(key, items) {
    if (!items || !items.length) return;
    activities[key] = (activities[key] || []).concat(items);
  }
  add("grouping", [{ id: data.tracking.course.id, objectType: "Activity" }].filter(function (a) {
    return !(activities.grouping || []).some(function (g) { return g.id === a.id; });
  }));
  if (typeof tags === "number") tags = data.tracking.tagSets[tags];  // shared sets: see share_tag_sets()
  if (tags) {
    add("category", tags.category);
    add("other", tags.other);
    context.extensions = context.extensions || {};
    Object.keys(tags.extensions).forEach(function (k) { context.extensions[k] = tags.extensions[k]; });
  }
  if (extra) Object.keys(extra).forEach(function (k) { add(k, extra[k]); });
  return context;
};

XapiAdapter.prototype.statement = function (verb, object, context, result) {
  var statement = {
    id: uuid(), actor: this.actor,
    verb: { id: data.tracking.verbs[verb], display: { "en-US": verb } },
    object: object, context: context, timestamp: new Date().toISOString()
  };
  if (result) statement.result = result;
  return statement;
};

// A cmi5-defined statement (cmi5 §9): launch activity as object, cmi5 category, moveon where it decides.
XapiAdapter.prototype.defined = function (verb, result) {
  var categories = [];
  if (this.isCmi5()) {
    categories.push({ id: CMI5 + "categories/cmi5", objectType: "Activity" });
    if (result && (result.success !== undefined || result.completion !== undefined)) categories.push({ id: CMI5 + "categories/moveon", objectType: "Activity" });
  }
  var object = this.isCmi5() ? { id: this.activityId, objectType: "Activity" }
    : { id: this.activityId, objectType: "Activity", definition: data.tracking.course.definition };
  var context = this.context(this.isCmi5() ? null : data.tracking.course.tags, categories.length ? { category: categories } : null);
  if (this.isCmi5() && result && result.score && this.launchData && typeof this.launchData.masteryScore === "number") {
    context.extensions = context.extensions || {};
    context.extensions[CMI5 + "extensions/masteryscore"] = this.launchData.masteryScore;
  }
  return this.statement(verb, object, context, result);
};

XapiAdapter.prototype.send = function (statement) {
  if (this.terminatedQueued) {
    warn("not sent after terminated: " + statement.verb.display["en-US"]);
    return;
  }
  if (statement.verb.id === data.tracking.verbs.terminated) this.terminatedQueued = true;
  this.created.push(statement.id);
  this.queue.push(statement);
  this.store(this.queueKey, this.queue);
  // initialized goes at once: nothing else may go until the LMS has accepted it, and what a learner leaving
  // before then did is only carried into the next launch (settleEarlierSessions).
  this.scheduleFlush(isInitialized(statement) ? 0 : 300);
};

XapiAdapter.prototype.scheduleFlush = function (delay) {
  var self = this;
  if (this.flushTimer) return;
  this.flushTimer = window.setTimeout(function () { self.flushTimer = null; self.flush(); }, delay);
};

XapiAdapter.prototype.drop = function (ids) {
  this.queue = this.queue.filter(function (st) { return ids.indexOf(st.id) < 0; });
  this.store(this.queueKey, this.queue);
};

// What may go out now: only this session's statements (cmi5), and until the LMS has accepted
// initialized, that statement alone (cmi5 §9.3.0.0-4 read per statement, as strict LMSs do).
XapiAdapter.prototype.sendable = function (limit) {
  var self = this;
  var own = this.isCmi5() ? this.queue.filter(function (st) { return sessionOf(st) === self.sessionId; }) : this.queue;
  // terminated waits for the state write on its way, so the session's documents are written before it ends
  // (cmi5 §9.3.8). A page that is going away cannot wait: then both go, and the LMS's grace period covers it.
  if (this.stateInFlight && !this.leaving) own = own.filter(function (st) { return st.verb.id !== data.tracking.verbs.terminated; });
  return own.slice(0, this.initializedAccepted ? limit : 1);
};

XapiAdapter.prototype.accepted = function (batch) {
  var before = JSON.stringify(this.confirmed);
  batch.forEach(function (st) {
    if (isInitialized(st)) this.initializedAccepted = true;
    if (st.verb.id === data.tracking.verbs.completed) this.confirmed.completed = true;
    if (st.verb.id === data.tracking.verbs.passed) this.confirmed.passed = true;
  }, this);
  // Recorded now rather than at exit, where a state write could race the session's terminated.
  if (JSON.stringify(this.confirmed) !== before && !this.terminatedQueued) this.commit();
};

// Batches go out in order; network errors and 5xx retry with backoff; a 4xx batch is split so one bad
// statement is reported and dropped without taking the good ones with it.
XapiAdapter.prototype.flush = function () {
  var self = this;
  if (this.inFlight || !this.auth && this.mode === "cmi5") return Promise.resolve();
  var batch = this.sendable(this.batchSize || 25);
  if (!batch.length) return Promise.resolve();
  this.inFlight = true;
  var ids = batch.map(function (st) { return st.id; });
  return this.request("POST", "statements", null, batch).then(function (response) {
    self.inFlight = false;
    if (response.ok || response.status === 409 && batch.length === 1) {
      if (!response.ok) self.reject(batch[0], response.status);
      else self.accepted(batch);
      self.drop(ids);
      self.retryDelay = 0;
      self.batchSize = 25;
      if (self.sendable(1).length) self.scheduleFlush(0);
    } else if (response.status >= 500 || response.status === 429) {
      self.retry();
    } else if (batch.length > 1) {
      self.batchSize = 1;
      self.scheduleFlush(0);
    } else {
      self.reject(batch[0], response.status);
      self.drop(ids);
      if (self.sendable(1).length) self.scheduleFlush(0);
    }
  }, function () {
    self.inFlight = false;
    self.retry();
  });
};

XapiAdapter.prototype.retry = function () {
  this.retryDelay = Math.min(60000, this.retryDelay ? this.retryDelay * 2 : 1000);
  this.scheduleFlush(this.retryDelay);
};

XapiAdapter.prototype.reject = function (statement, status) {
  this.rejected.push({ id: statement.id, status: status });
  if (window.console) console.error("coursebuild: the LRS refused statement " + statement.id + " (HTTP " + status + ")");
};

// Kept in this browser too until the LRS confirms it, so a dropped connection loses no answer.
XapiAdapter.prototype.saveState = function (encoded) {
  if (encoded === this.pendingState) return;
  this.pendingState = encoded;
  this.pendingAt = Math.max(now(), (this.pendingAt || 0) + 1);
  this.store(this.stateKey, { state: encoded, at: this.pendingAt });
};

// A state write goes out once per change (one in flight counts as sent), so that at exit nothing is
// written that was already on its way: a write arriving after terminated would be refused (cmi5 §8.1.2).
// One goes at a time: two on their way at once can arrive in either order, and the LRS keeps the last to
// arrive, so another device could resume from the older. A change made meanwhile goes when it settles; the
// write made as the page closes cannot wait, and goes to EXIT_STATE instead while another is on its way.
XapiAdapter.prototype.commit = function (keepalive) {
  var self = this;
  this.stateWaiting = !!this.stateInFlight && !keepalive;
  var outcomes = JSON.stringify(this.confirmed);
  var snapshot = this.pendingState + "|" + outcomes;
  if (!this.stateWaiting && this.pendingState && snapshot !== this.sentDocument && (this.pendingState !== this.stateDocument || outcomes !== this.outcomesDocument)) {
    this.revision = (this.revision || 0) + 1;
    var body = { state: this.pendingState, savedAt: this.pendingAt || now(), revision: this.revision, outcomes: JSON.parse(outcomes) };
    var stateId = keepalive && this.stateInFlight ? EXIT_STATE : RESUME_STATE;
    this.sentDocument = snapshot;
    this.stateInFlight = (this.stateInFlight || 0) + 1;
    this.stateKeepalive = !!keepalive;
    var bytes = keepalive ? JSON.stringify(body).length : 0;
    this.keepaliveBytes = (this.keepaliveBytes || 0) + bytes;
    var settled = function () {
      self.stateInFlight -= 1;
      self.keepaliveBytes -= bytes;
      if (!self.stateInFlight && self.stateWaiting && !self.finishing) self.commit();
      if (!self.stateInFlight && self.terminatedQueued && !self.finishing) self.flush();
    };
    var failed = function () { if (self.sentDocument === snapshot) self.sentDocument = null; settled(); };
    this.request("PUT", "activities/state", this.documentQuery(stateId), body, { keepalive: keepalive }).then(function (r) {
      if (!r.ok) return failed();
      self.stateDocument = body.state;
      self.outcomesDocument = outcomes;
      // The browser's copy stays even now: the exit write may still fail, and the next launch here then
      // finds the LRS's copy older than this browser's (restoreState); otherwise it forgets the copy.
      settled();
    }, failed);  // kept in pendingState and in this browser; the next commit sends it
  }
  if (!keepalive) this.flush();  // at exit, sendOnUnload posts what is queued
  return true;
};

XapiAdapter.prototype.pageViewed = function (page) {
  if (page.kind !== "lesson") return;
  var lesson = data.tracking.lessons[page.lesson];
  var parent = lesson.module ? [{ id: lesson.module, objectType: "Activity" }] : null;
  this.send(this.statement("experienced", { id: lesson.id, objectType: "Activity", definition: lesson.definition },
    this.context(lesson.tags, parent ? { parent: parent } : null)));
};

XapiAdapter.prototype.answered = function (event) {
  var q = event.question;
  var info = data.tracking.questions[q.id];
  if (q.type === "likert") {
    likertRecords(q, event.response).forEach(function (rec, i) {
      var item = info.statements[i];
      this.send(this.statement("answered", { id: item.id, objectType: "Activity", definition: item.definition },
        this.context(info.tags, { parent: [{ id: info.parent, objectType: "Activity" }] }),
        { response: String(event.response[i]), duration: duration2004(event.latency) }));
    }, this);
    return;
  }
  var result = { response: scormRecord(q, event.response, event.correct, false).response, duration: duration2004(event.latency) };
  if (event.correct !== null) {
    result.success = event.correct;
    result.score = { scaled: event.correct ? 1 : 0, raw: event.correct ? q.points : 0, min: 0, max: q.points };
  }
  this.send(this.statement("answered", { id: info.id, objectType: "Activity", definition: info.definition },
    this.context(info.tags, { parent: [{ id: info.parent, objectType: "Activity" }] }), result));
};

XapiAdapter.prototype.decided = function (event) {
  var scenario = data.tracking.scenarios[event.scenarioId];
  var scene = scenario.scenes[event.sceneId];
  var result = { response: event.choice.id, success: event.choice.rating !== "unsafe", duration: duration2004(event.latency), extensions: {} };
  result.extensions[data.tracking.extensions.rating] = event.choice.rating;
  result.extensions[data.tracking.extensions.path] = event.path;
  this.send(this.statement("responded", { id: scene.id, objectType: "Activity", definition: scene.definition },
    this.context(scene.tags[event.choice.id], { parent: [{ id: scenario.id, objectType: "Activity" }] }), result));
};

XapiAdapter.prototype.progress = function (measure) {
  var percent = Math.round(measure * 100);
  if (percent <= this.lastProgress || percent >= 100) { this.lastProgress = Math.max(this.lastProgress, percent); return; }
  this.lastProgress = percent;
  var result = { extensions: {} };
  result.extensions[PROGRESS_EXTENSION] = percent;
  var object = { id: this.activityId, objectType: "Activity" };
  this.send(this.statement("progressed", object, this.context(this.isCmi5() ? null : data.tracking.course.tags), result));
};

XapiAdapter.prototype.objective = function () {};

XapiAdapter.prototype.mayRecordOutcome = function () {
  return !this.launchData || !this.launchData.launchMode || this.launchData.launchMode === "Normal";
};

XapiAdapter.prototype.remember = function (verb) {
  this.sent[verb] = true;
  if (!this.isCmi5()) this.store(this.sentKey, this.sent);
};

// cmi5 §9.3: completed and passed once per registration, never failed after passed, and not both
// passed and failed in one session — so a failure is only reported at the end of a session without a pass.
XapiAdapter.prototype.outcome = function (result) {
  if (!this.mayRecordOutcome()) return;
  var duration = duration2004(now() - this.started);
  if (result.completed && !this.sent.completed) {
    this.send(this.defined("completed", { completion: true, duration: duration }));
    this.remember("completed");
  }
  if (result.success === "passed" && !this.sent.passed) {
    this.send(this.defined("passed", { success: true, duration: duration, score: this.score(result.score) }));
    this.remember("passed");
    this.failedPending = null;
  } else if (result.success === "failed" && !this.sent.passed) {
    this.failedPending = result.score;
    if (!this.isCmi5()) {
      this.send(this.defined("failed", { success: false, duration: duration, score: this.score(result.score) }));
      this.failedPending = null;
    }
  }
};

XapiAdapter.prototype.score = function (percent) {
  return { scaled: Math.round(percent) / 100, raw: percent, min: 0, max: 100 };
};

XapiAdapter.prototype.finish = function (sessionMs) {
  if (this.failedPending !== null && !this.sent.passed && !this.sent.failedThisSession) {
    this.send(this.defined("failed", { success: false, duration: duration2004(sessionMs), score: this.score(this.failedPending) }));
    this.sent.failedThisSession = true;
  }
  this.send(this.defined("terminated", { duration: duration2004(sessionMs) }));
  if (this.mode === "cmi5") {
    try { window.sessionStorage.setItem(this.endedKey(), this.returnUrl() || ""); } catch (e) { /* unavailable */ }
  }
  window.clearTimeout(this.flushTimer);
  this.flushTimer = null;
  this.finishing = true;  // from here on only sendOnUnload posts, so nothing goes twice
  // A write sent without keepalive dies with the page: send it again so it outlives it.
  if (this.stateInFlight && !this.stateKeepalive) this.sentDocument = null;
  this.commit(true);
  this.sendOnUnload();
};

// Resolves once neither a state write nor an exit batch is on its way (or after `timeout` ms), so that
// leaving through the course's own exit can still end the session with terminated, sent last.
XapiAdapter.prototype.whenStateSaved = function (timeout) {
  var self = this, started = now();
  function busy() {
    var onItsWay = self.unloadSent || {};
    return self.stateInFlight || self.queue.some(function (st) { return onItsWay[st.id]; });
  }
  return new Promise(function (resolve) {
    (function poll() {
      if (!busy() || now() - started > timeout) return resolve();
      window.setTimeout(poll, 25);
    })();
  });
};

// On pagehide only keepalive requests outlive the page, and browsers cap them at 64 KB in total, so
// the queue goes in chunks. Whatever is not confirmed stays queued and is re-sent at the next launch;
// the LRS treats an identical statement with the same id as already stored.
XapiAdapter.prototype.sendOnUnload = function () {
  var self = this;
  var chunk = [], size = 0, full = false;
  var budget = 60000 - (this.keepaliveBytes || 0);  // the browser's 64 KB is shared with the state write
  var onItsWay = this.unloadSent || (this.unloadSent = {});
  function post(batch, bytes) {
    var ids = batch.map(function (st) { return st.id; });
    ids.forEach(function (id) { onItsWay[id] = true; });
    self.keepaliveBytes = (self.keepaliveBytes || 0) + bytes;
    var settled = function () { self.keepaliveBytes -= bytes; };
    try {
      self.request("POST", "statements", null, batch, { keepalive: true }).then(function (r) {
        settled();
        if (r.ok) self.drop(ids);
        else if (r.status < 500 && r.status !== 429) self.flush();
      }, settled);  // stays queued
    } catch (e) { settled(); }  // over the keepalive budget: stays queued
  }
  this.sendable(this.queue.length).forEach(function (st) {
    if (onItsWay[st.id]) return;
    var length = JSON.stringify(st).length;
    if (full || size + length > budget) { full = true; return; }  // order matters: terminated goes last
    chunk.push(st);
    size += length;
  });
  if (chunk.length) post(chunk, size);
};

XapiAdapter.prototype.returnUrl = function () { return this.launchData && this.launchData.returnURL; };

export { CMI5, RESUME_STATE, SESSION_EXTENSION, launchParameters, uuid, normaliseActor, XapiAdapter };
