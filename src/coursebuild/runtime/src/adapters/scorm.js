// ------------------------------------------------------------------ LMS adapters: SCORM 1.2 and 2004

import { announce, cut, pad } from "../helpers.js";
import { CHARS, likertRecords, scormRecord } from "../scoring.js";
import { t } from "../strings.js";

// suspend_data and location: the most each version's data model must store (longer resume data is not sent).
var LIMITS = { scorm12: { suspend: 4096, location: 255 }, scorm2004: { suspend: 64000, location: 1000 } };

function findApi(name) {
  function scan(win) {
    var tries = 0;
    while (win && tries < 500) {
      try { if (win[name]) return win[name]; } catch (e) { /* cross-origin frame */ }
      var parent;
      try { parent = win.parent; } catch (e) { parent = null; }
      if (!parent || parent === win) break;
      win = parent;
      tries++;
    }
    return null;
  }
  var api = scan(window);
  if (!api) {
    try { if (window.top && window.top.opener) api = scan(window.top.opener); } catch (e) { /* no access */ }
  }
  if (!api) {
    try { if (window.opener) api = scan(window.opener); } catch (e) { /* no access */ }
  }
  return api;
}

function timespan12(ms) {
  var cs = Math.round(ms / 10), h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, s = Math.floor(cs / 100) % 60;
  return pad(Math.min(h, 9999), 4) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(cs % 100, 2);
}

function duration2004(ms) {
  var cs = Math.round(ms / 10), h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, s = (cs % 6000) / 100;
  return "PT" + (h ? h + "H" : "") + (m ? m + "M" : "") + s.toFixed(2).replace(/\.?0+$/, "") + "S";
}

function clock12(date) { return pad(date.getHours(), 2) + ":" + pad(date.getMinutes(), 2) + ":" + pad(date.getSeconds(), 2); }
function timestamp2004(date) { return date.toISOString().replace(/\.\d+Z$/, ""); }

// Each adapter maps the same course events onto one standard's data model.
function ScormAdapter(version, api) {
  this.version = version;
  this.api = api;
  this.v12 = version === "scorm12";
  this.live = false;
  this.interactionCount = 0;
  this.pendingCommit = false;
  this.failedCommits = 0;
}

ScormAdapter.prototype.call = function (method, args) {
  var names12 = { Initialize: "LMSInitialize", Terminate: "LMSFinish", GetValue: "LMSGetValue",
    SetValue: "LMSSetValue", Commit: "LMSCommit", GetLastError: "LMSGetLastError" };
  var name = this.v12 ? names12[method] : method;
  try { return String(this.api[name].apply(this.api, args)); } catch (e) { return "false"; }
};

ScormAdapter.prototype.get = function (element) {
  return this.call("GetValue", [this.v12 ? element.v12 || element : element.v2004 || element]);
};

ScormAdapter.prototype.set = function (element, value) {
  if (!this.live) return false;
  var ok = this.call("SetValue", [element, String(value)]) === "true";
  if (!ok && window.console) console.warn("coursebuild: SetValue failed", element, this.call("GetLastError", []));
  return ok;
};

ScormAdapter.prototype.start = function () {
  this.live = this.call("Initialize", [""]) === "true";
  if (!this.live) return null;
  var entry = this.v12 ? this.call("GetValue", ["cmi.core.entry"]) : this.call("GetValue", ["cmi.entry"]);
  var saved = this.call("GetValue", ["cmi.suspend_data"]);
  this.learnerName = this.call("GetValue", [this.v12 ? "cmi.core.student_name" : "cmi.learner_name"]);
  this.learnerId = this.call("GetValue", [this.v12 ? "cmi.core.student_id" : "cmi.learner_id"]);
  this.interactionCount = parseInt(this.call("GetValue", ["cmi.interactions._count"]), 10) || 0;
  if (this.v12) {
    var status = this.call("GetValue", ["cmi.core.lesson_status"]);
    this.reached = { completed: /^(completed|passed|failed)$/.test(status), success: /^(passed|failed)$/.test(status) ? status : undefined };
    if (status === "not attempted" || status === "") this.set("cmi.core.lesson_status", "incomplete");
  } else {
    var completion = this.call("GetValue", ["cmi.completion_status"]);
    var success = this.call("GetValue", ["cmi.success_status"]);
    this.reached = { completed: completion === "completed", success: /^(passed|failed)$/.test(success) ? success : undefined };
    if (completion !== "completed") this.set("cmi.completion_status", "incomplete");
  }
  this.commit();
  return (entry === "resume" || saved) && saved ? saved : null;
};

ScormAdapter.prototype.commit = function () {
  if (!this.live) return true;
  var ok = this.call("Commit", [""]) === "true";
  if (ok) {
    if (this.failedCommits) announce(t("saved"));
    this.failedCommits = 0;
  } else {
    this.failedCommits++;
    if (this.failedCommits === 1) announce(t("saveFailed"), true);
    retryLater(this);
  }
  return ok;
};

ScormAdapter.prototype.saveState = function (encoded, location) {
  var limit = LIMITS[this.version];
  if (encoded.length <= limit.suspend) this.set("cmi.suspend_data", encoded);
  else if (window.console) console.error("coursebuild: resume data too long for " + this.version, encoded.length);
  this.set(this.v12 ? "cmi.core.lesson_location" : "cmi.location", location.slice(0, limit.location));
};

ScormAdapter.prototype.progress = function (measure) {
  if (!this.v12) this.set("cmi.progress_measure", measure.toFixed(2));
};

ScormAdapter.prototype.interaction = function (record) {
  var n = this.interactionCount++;
  var base = "cmi.interactions." + n + ".";
  var v12 = this.v12;
  this.set(base + "id", record.id);
  this.set(base + "type", record.type);
  (record.objectives || []).forEach(function (objective, i) { this.set(base + "objectives." + i + ".id", objective); }, this);
  if (v12) this.set(base + "time", clock12(record.date));
  else this.set(base + "timestamp", timestamp2004(record.date));
  (record.patterns || []).forEach(function (pattern, i) { this.set(base + "correct_responses." + i + ".pattern", pattern); }, this);
  if (record.weighting !== undefined) this.set(base + "weighting", record.weighting);
  this.set(base + (v12 ? "student_response" : "learner_response"), record.response);
  this.set(base + "result", record.result === "incorrect" && v12 ? "wrong" : record.result);
  this.set(base + "latency", v12 ? timespan12(record.latency) : duration2004(record.latency));
  if (!v12 && record.description) this.set(base + "description", cut(record.description, 250));
};

ScormAdapter.prototype.answered = function (event) {
  var q = event.question;
  var records = q.type === "likert" ? likertRecords(q, event.response) : [scormRecord(q, event.response, event.correct, this.v12)];
  records.forEach(function (rec) {
    rec.date = event.date;
    rec.latency = event.latency;
    this.interaction(rec);
  }, this);
};

ScormAdapter.prototype.decided = function (event) {
  var v12 = this.v12;
  var ids = event.choices.map(function (c) { return c.id; });
  function option(id) { return v12 ? CHARS.charAt(10 + ids.indexOf(id)) : id; }
  this.interaction({
    id: event.scenarioId + "-" + event.sceneId, type: "choice", response: option(event.choice.id),
    patterns: event.best.length ? [event.best.map(option).join(v12 ? "," : "[,]")] : [],
    objectives: event.choice.requirements, weighting: 1,
    date: event.date, latency: event.latency,
    result: event.choice.rating === "best" ? "correct" : event.choice.rating === "unsafe" ? "incorrect" : "neutral",
    description: "Scenario " + event.scenarioId + ", scene " + event.sceneId + ": " + event.choice.rating
  });
};

ScormAdapter.prototype.objective = function (index, id, status) {
  var base = "cmi.objectives." + index + ".";
  this.set(base + "id", id);
  if (this.v12) this.set(base + "status", status === "unknown" ? "incomplete" : status);
  else this.set(base + "success_status", status);
};

// What the LMS already records is never taken back: a relaunch that starts from less (suspend data
// lost, a new attempt of the content) does not make a completed course incomplete or a pass a fail.
ScormAdapter.prototype.outcome = function (result) {
  var reached = this.reached || {};
  if (reached.success === "passed" && result.success !== "passed") return;
  result = { score: result.score, completed: result.completed || reached.completed, success: result.success || reached.success };
  if (this.v12) {
    if (result.score !== null) {
      this.set("cmi.core.score.min", "0");
      this.set("cmi.core.score.max", "100");
      this.set("cmi.core.score.raw", String(result.score));
    }
    var status = result.success === "passed" ? "passed" : result.success === "failed" ? "failed"
      : result.completed ? "completed" : "incomplete";
    this.set("cmi.core.lesson_status", status);
  } else {
    if (result.score !== null) {
      this.set("cmi.score.min", "0");
      this.set("cmi.score.max", "100");
      this.set("cmi.score.raw", String(result.score));
      this.set("cmi.score.scaled", (result.score / 100).toFixed(4).replace(/\.?0+$/, "") || "0");
    }
    this.set("cmi.completion_status", result.completed ? "completed" : "incomplete");
    this.set("cmi.success_status", result.success || "unknown");
  }
  this.reached = { completed: result.completed, success: result.success };
};

ScormAdapter.prototype.finish = function (sessionMs, done) {
  if (!this.live) return;
  if (this.v12) {
    this.set("cmi.core.session_time", timespan12(sessionMs));
    this.set("cmi.core.exit", done ? "" : "suspend");
  } else {
    this.set("cmi.session_time", duration2004(sessionMs));
    this.set("cmi.exit", done ? "normal" : "suspend");
  }
  this.commit();
  this.call("Terminate", [""]);
  this.live = false;
};

function retryLater(adapter) {
  if (adapter.pendingCommit) return;
  adapter.pendingCommit = true;
  window.setTimeout(function () {
    adapter.pendingCommit = false;
    if (adapter.live) adapter.commit();
  }, Math.min(30000, 1000 * Math.pow(2, adapter.failedCommits - 1)));
}

export { LIMITS, findApi, timespan12, duration2004, clock12, timestamp2004, ScormAdapter };
