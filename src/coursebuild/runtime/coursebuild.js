/* coursebuild learner runtime: navigation, questions, scenarios, resume and LMS tracking.
 * One script for every package format; runtime/target.js says which format this package is.
 * No framework and no build step: it must run as written in any evergreen browser inside any LMS frame.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("cb-course-data").textContent);
  var target = window.coursebuildTarget || { format: "web" };
  var STATE_FORMAT = 2;
  var LIMITS = { scorm12: { suspend: 4096, location: 255 }, scorm2004: { suspend: 64000, location: 1000 } };

  document.documentElement.classList.add("js");

  // ------------------------------------------------------------------ interface strings

  // Every string the runtime shows, by language (the course language's primary subtag). {name} is filled
  // in; keys ending _one/_other are chosen by a count. Welsh: to be reviewed by a fluent Welsh speaker
  // before publication (docs/translation.md). The theme's strings are in interface.py.
  var STRINGS = {
    en: {
      saved: "Your progress has been saved.",
      saveFailed: "Your progress could not be saved to the learning system. Keep this window open; it will try again.",
      question: "Question {n}. ",
      answerAll: "Please answer every question before you submit. {n} still to answer.",
      passed: "You passed", notPassed: "You did not pass this time",
      scored: "You scored {score}%. The pass mark is {mark}%.",
      tryAgainAny: "You can try again.",
      attemptsLeft_one: "You have {n} attempt left.", attemptsLeft_other: "You have {n} attempts left.",
      tryAgain: "Try again",
      noAttempts: "You have used all your attempts. Please contact your course administrator.",
      shaper: "Shapers: regulation, evidence and policy", driver: "Drivers: strategy, procurement and the AI team",
      creator: "Creators: creating trustworthy AI", embedder: "Embedders: local validation, safety and monitoring",
      user: "Users: AI in clinical decisions",
      sectionsDone: "You have completed {done} of {total} sections.",
      assessmentScore: "Assessment score: {score}% (pass mark {mark}%).",
      noAssessment: "You have not taken the assessment yet.",
      courseScore: "Course score: {score}%, of which the scenarios count for {weight}% (your scenario score: {scenario}%). The pass mark is {mark}%.",
      suggested: "Courses suggested for you",
      searchFound_one: "{n} lesson mentions “{q}”", searchFound_other: "{n} lessons mention “{q}”",
      searchNone: "No lesson mentions “{q}”", searchFirst: "; the first {n} are listed",
      searchUnavailable: "Search is not available just now. Try again in a moment.",
      suggestedIntro: "From your answers, these advanced courses fit the work you do. You can hold more than one of these roles.",
      suggestedNone: "Your answers do not point to an advanced course yet. Start with the foundational course, and come back to this self-assessment as your role changes.",
      date: "Date: {date}",
      recorded: "Thank you: your answer has been recorded.",
      correct: "Correct.", notQuite: "Not quite.", tryAgainHint: " Read the feedback and try again if you like.",
      answerFirst: "Please answer the question first.",
      first: "Already first.", last: "Already last.",
      position: "{item}: position {n} of {total}",
      progress: "{done} of {total} sections complete"
    },
    cy: {
      saved: "Mae eich cynnydd wedi’i gadw.",
      saveFailed: "Nid oedd modd cadw eich cynnydd yn y system ddysgu. Cadwch y ffenestr hon ar agor; bydd yn rhoi cynnig arall arni.",
      question: "Cwestiwn {n}. ",
      answerAll: "Atebwch bob cwestiwn cyn cyflwyno. Cwestiynau heb eu hateb: {n}.",
      passed: "Rydych chi wedi pasio", notPassed: "Nid ydych chi wedi pasio y tro hwn",
      scored: "Eich sgôr oedd {score}%. Y marc pasio yw {mark}%.",
      tryAgainAny: "Gallwch roi cynnig arall arni.",
      // A count after a colon needs no mutation or plural form.
      attemptsLeft_one: "Cynigion sydd ar ôl gennych: {n}.", attemptsLeft_other: "Cynigion sydd ar ôl gennych: {n}.",
      tryAgain: "Rhoi cynnig arall arni",
      noAttempts: "Rydych chi wedi defnyddio pob cynnig. Cysylltwch â gweinyddwr eich cwrs.",
      // The advanced courses are in English only for now: their English titles, so learners can find them.
      shaper: "Shapers: regulation, evidence and policy (Saesneg)", driver: "Drivers: strategy, procurement and the AI team (Saesneg)",
      creator: "Creators: creating trustworthy AI (Saesneg)", embedder: "Embedders: local validation, safety and monitoring (Saesneg)",
      user: "Users: AI in clinical decisions (Saesneg)",
      sectionsDone: "Rydych chi wedi cwblhau {done} o {total} adran.",
      assessmentScore: "Sgôr yr asesiad: {score}% (marc pasio {mark}%).",
      noAssessment: "Nid ydych chi wedi sefyll yr asesiad eto.",
      courseScore: "Sgôr y cwrs: {score}%, ac mae’r senarios yn cyfrif am {weight}% ohono (eich sgôr yn y senarios: {scenario}%). Y marc pasio yw {mark}%.",
      suggested: "Cyrsiau a awgrymir i chi",
      searchFound_one: "Mae {n} wers yn sôn am “{q}”", searchFound_other: "Mae {n} o wersi’n sôn am “{q}”",
      searchNone: "Does dim gwers yn sôn am “{q}”", searchFirst: "; dangosir y {n} cyntaf",
      searchUnavailable: "Nid yw’r chwilio ar gael ar hyn o bryd. Rhowch gynnig arall arni mewn munud.",
      suggestedIntro: "Yn ôl eich atebion, mae’r cyrsiau uwch hyn yn addas i’r gwaith rydych chi’n ei wneud. Gallwch ddal mwy nag un o’r rolau hyn.",
      suggestedNone: "Nid yw eich atebion yn cyfeirio at gwrs uwch eto. Dechreuwch gyda’r cwrs sylfaen, a dewch yn ôl at yr hunanasesiad hwn wrth i’ch rôl newid.",
      date: "Dyddiad: {date}",
      recorded: "Diolch: mae eich ateb wedi’i gofnodi.",
      correct: "Cywir.", notQuite: "Ddim yn hollol.", tryAgainHint: " Darllenwch yr adborth a rhowch gynnig arall arni os hoffech chi.",
      answerFirst: "Atebwch y cwestiwn yn gyntaf.",
      first: "Mae hon yn gyntaf yn barod.", last: "Mae hon yn olaf yn barod.",
      position: "{item}: safle {n} o {total}",
      progress: "{done} o {total} adran wedi’u cwblhau"
    }
  };
  var TEXT = STRINGS[String(data.course.language || "en").split("-")[0].toLowerCase()] || STRINGS.en;

  function t(key, values) {
    if (values && typeof values.n === "number" && STRINGS.en[key + "_one"] !== undefined) key += values.n === 1 ? "_one" : "_other";
    var text = TEXT[key] !== undefined ? TEXT[key] : STRINGS.en[key];
    return text.replace(/\{(\w+)\}/g, function (all, name) { return values && values[name] !== undefined ? String(values[name]) : all; });
  }

  // ------------------------------------------------------------------ small helpers

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function now() { return Date.now(); }
  function pad(n, width) { var s = String(n); while (s.length < width) s = "0" + s; return s; }

  // Messages go to a polite live region; confirmations clear themselves, warnings stay until resolved.
  var clearTimer = null;
  function announce(message, persistent) {
    var status = $("#cb-status");
    status.textContent = "";
    window.clearTimeout(clearTimer);
    window.setTimeout(function () { status.textContent = message; }, 50);
    if (!persistent) clearTimer = window.setTimeout(function () { status.textContent = ""; }, 8000);
  }

  // Deterministic PRNG so a draw or shuffle is the same on resume (mulberry32).
  function random(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function shuffled(items, seed) {
    var result = items.slice();
    var next = random(seed);
    for (var i = result.length - 1; i > 0; i--) {
      var j = Math.floor(next() * (i + 1));
      var tmp = result[i]; result[i] = result[j]; result[j] = tmp;
    }
    return result;
  }

  function hashString(text) {
    var h = 2166136261;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }

  // ------------------------------------------------------------------ learner state

  var questionIds = Object.keys(data.questions).sort();
  var pageIds = data.pages.map(function (p) { return p.id; });
  var pageIndex = {};
  pageIds.forEach(function (id, i) { pageIndex[id] = i; });

  function freshState() {
    return { page: 0, visited: [0], answers: {}, results: {}, attempt: 0, seed: 0, submitted: false,
             score: null, scenarios: {}, finished: {} };
  }

  var state = freshState();

  // Responses by position (option, target and item indexes as characters) rather than by text: a matching
  // answer would otherwise carry every target's wording into SCORM 1.2's 4,096 characters.
  var INDEX = "0123456789abcdefghijklmnopqrstuvwxyz";
  function packResponse(q, r) {
    function at(list, value) { return INDEX.charAt(list.indexOf(value)); }
    switch (q.type) {
      case "single": case "multiple": return r.map(function (o) { return at(q.options, o); }).join("");
      case "true-false": return r.join("");
      case "matching": return q.sources.map(function (src) { return r[src] ? at(q.targets, r[src]) : "-"; }).join("");
      case "sequencing": return r.map(function (item) { return at(q.correct, item); }).join("");
      case "likert": return r.map(function (v) { return v || "-"; }).join("");
      default: return String(r).slice(0, 250);
    }
  }
  function unpackResponse(q, packed) {
    function from(list, ch) { return list[INDEX.indexOf(ch)]; }
    var chars = String(packed).split("");
    switch (q.type) {
      case "single": case "multiple": return chars.map(function (c) { return from(q.options, c); });
      case "true-false": return [String(packed)];
      case "matching":
        var pairs = {};
        q.sources.forEach(function (src, i) { pairs[src] = chars[i] && chars[i] !== "-" ? from(q.targets, chars[i]) : ""; });
        return pairs;
      case "sequencing": return chars.map(function (c) { return from(q.correct, c); });
      case "likert": return chars.map(function (c) { return c === "-" ? "" : c; });
      default: return String(packed);
    }
  }

  // Compact, versioned encoding: question ids become indexes, so 1.2's 4,096 characters go a long way.
  function encodeState() {
    var answers = {};
    Object.keys(state.answers).forEach(function (id) { answers[questionIds.indexOf(id)] = packResponse(data.questions[id], state.answers[id]); });
    var results = {};
    Object.keys(state.results).forEach(function (id) { results[questionIds.indexOf(id)] = state.results[id]; });
    return JSON.stringify([STATE_FORMAT, data.course.version, state.page, state.visited, answers, results,
      state.attempt, state.seed, state.submitted ? 1 : 0, state.score, state.scenarios, Object.keys(state.finished)]);
  }

  function decodeState(text) {
    try {
      var raw = JSON.parse(text);
      if (!Array.isArray(raw) || raw[0] !== STATE_FORMAT || raw[1] !== data.course.version) return null;
      var restored = freshState();
      restored.page = Math.min(Math.max(0, raw[2] | 0), pageIds.length - 1);
      restored.visited = (raw[3] || []).filter(function (n) { return n >= 0 && n < pageIds.length; });
      Object.keys(raw[4] || {}).forEach(function (k) {
        if (questionIds[k]) restored.answers[questionIds[k]] = unpackResponse(data.questions[questionIds[k]], raw[4][k]);
      });
      Object.keys(raw[5] || {}).forEach(function (k) { if (questionIds[k]) restored.results[questionIds[k]] = raw[5][k]; });
      restored.attempt = raw[6] | 0;
      restored.seed = raw[7] >>> 0;
      restored.submitted = raw[8] === 1;
      restored.score = typeof raw[9] === "number" ? raw[9] : null;
      restored.scenarios = raw[10] || {};
      (raw[11] || []).forEach(function (id) { restored.finished[id] = true; });
      return restored;
    } catch (e) {
      return null; // corrupt or foreign data: start cleanly rather than crash
    }
  }

  // ------------------------------------------------------------------ LMS adapters

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
    if (!v12 && record.description) this.set(base + "description", record.description.slice(0, 250));
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

  // Without an LMS (web target, preview) progress is kept in this browser only.
  function LocalAdapter() { this.key = "coursebuild:" + data.course.id + ":" + data.course.version; }
  LocalAdapter.prototype.start = function () { try { return window.localStorage.getItem(this.key); } catch (e) { return null; } };
  LocalAdapter.prototype.saveState = function (encoded) { try { window.localStorage.setItem(this.key, encoded); } catch (e) { /* private mode */ } };
  LocalAdapter.prototype.commit = function () { return true; };
  LocalAdapter.prototype.finish = function () {};

  // Every adapter receives the same events; each implements only those its standard records.
  function Tracker(primary, others) { this.primary = primary; this.all = [primary].concat(others || []); }
  ["pageViewed", "answered", "decided", "progress", "objective", "outcome", "finish"].forEach(function (name) {
    Tracker.prototype[name] = function () {
      var args = arguments;
      this.all.forEach(function (a) { if (a[name]) a[name].apply(a, args); });
    };
  });
  Tracker.prototype.start = function () {
    var primary = this.primary, others = this.all.slice(1);
    return Promise.resolve(primary.start()).then(function (saved) {
      others.forEach(function (a) { if (a.params && a.params.learnerFromLms) a.identify(primary); });
      return Promise.all(others.map(function (a) { return a.start(); })).then(function () { return saved; });
    });
  };
  // The page is going away (pagehide): nothing may wait any longer for a state write to settle.
  Tracker.prototype.leave = function () {
    this.all.forEach(function (a) {
      a.leaving = true;
      if (a.finishing && a.sendOnUnload) a.sendOnUnload();
    });
  };
  Tracker.prototype.saveState = function (encoded, location) { this.primary.saveState(encoded, location); };
  Tracker.prototype.commit = function () { return this.primary.commit(); };
  Tracker.prototype.passMark = function () { return this.primary.masteryScore !== undefined ? this.primary.masteryScore : data.course.passMark; };
  Tracker.prototype.learnerName = function () { return this.primary.learnerName; };

  // ------------------------------------------------------------------ xAPI: TinCan launch and cmi5

  var CMI5 = "https://w3id.org/xapi/cmi5/context/";
  var RESUME_STATE = "https://w3id.org/coursebuild/xapi/state/resume";
  var PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress";
  var SESSION_EXTENSION = CMI5 + "extensions/sessionid";
  var CMI5_CATEGORY = CMI5 + "categories/cmi5";

  function sessionOf(statement) {
    var extensions = statement.context && statement.context.extensions;
    return extensions && extensions[SESSION_EXTENSION] || null;
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
      return self.getJson("activities/state", self.documentQuery(RESUME_STATE));
    }).then(function (saved) {
      self.restoreState(saved);
      return self.isCmi5() ? self.readRegistrationOutcomes(saved) : null;
    }).then(function () {
      self.learnerName = self.actor.name || "";
      var initializedKey = "coursebuild:initialized:" + self.queueKey + (self.params.fetch || "");
      var already = false;
      try { already = window.sessionStorage.getItem(initializedKey) === "1"; window.sessionStorage.setItem(initializedKey, "1"); } catch (e) { /* unavailable */ }
      if (!already) self.send(self.defined("initialized"));
      rebased.forEach(function (st) { self.send(st); });
      return self.savedState;
    });
  };

  // The resume state the LRS holds, unless this browser has a newer one the LRS never confirmed (the
  // learner's last answers before a connection dropped): that one wins and is sent again.
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
    this.scheduleFlush(300);
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
      if (st.verb.id === data.tracking.verbs.initialized) this.initializedAccepted = true;
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
  XapiAdapter.prototype.commit = function (keepalive) {
    var self = this;
    var outcomes = JSON.stringify(this.confirmed);
    var snapshot = this.pendingState + "|" + outcomes;
    if (this.pendingState && snapshot !== this.sentDocument && (this.pendingState !== this.stateDocument || outcomes !== this.outcomesDocument)) {
      var body = { state: this.pendingState, savedAt: this.pendingAt || now(), outcomes: JSON.parse(outcomes) };
      this.sentDocument = snapshot;
      this.stateInFlight = (this.stateInFlight || 0) + 1;
      this.stateKeepalive = !!keepalive;
      var bytes = keepalive ? JSON.stringify(body).length : 0;
      this.keepaliveBytes = (this.keepaliveBytes || 0) + bytes;
      var settled = function () {
        self.stateInFlight -= 1;
        self.keepaliveBytes -= bytes;
        if (!self.stateInFlight && self.terminatedQueued && !self.finishing) self.flush();
      };
      var failed = function () { settled(); if (self.sentDocument === snapshot) self.sentDocument = null; };
      this.request("PUT", "activities/state", this.documentQuery(RESUME_STATE), body, { keepalive: keepalive }).then(function (r) {
        if (!r.ok) return failed();
        settled();
        self.stateDocument = body.state;
        self.outcomesDocument = outcomes;
        var unsaved = self.load(self.stateKey, null);
        if (unsaved && unsaved.at === body.savedAt) self.forget(self.stateKey);
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

  // ------------------------------------------------------------------ responses and scoring

  function questionElement(id, mode) { return $('.question[data-question="' + id + '"][data-mode="' + mode + '"]'); }

  function readResponse(q, el) {
    switch (q.type) {
      case "single": case "multiple": case "true-false":
        return $all("input:checked", el).map(function (i) { return i.value; });
      case "fill-in": case "numeric":
        return $("input[type=text]", el).value.trim();
      case "matching":
        var pairs = {};
        $all("select", el).forEach(function (s) { pairs[s.getAttribute("data-source")] = s.value; });
        return pairs;
      case "sequencing":
        return $all(".sequence__item", el).map(function (li) { return li.getAttribute("data-item"); });
      case "likert":
        return $all("fieldset.likert", el).map(function (f) { var c = $("input:checked", f); return c ? c.value : ""; });
    }
    return null;
  }

  function isAnswered(q, response) {
    if (response === null || response === undefined) return false;
    if (Array.isArray(response)) return q.type === "sequencing" || response.some(function (r) { return r !== ""; });
    if (typeof response === "object") return Object.keys(response).every(function (k) { return response[k] !== ""; });
    return response !== "";
  }

  function normalise(text, caseSensitive) {
    var t = String(text).replace(/\s+/g, " ").trim();
    return caseSensitive ? t : t.toLowerCase();
  }

  function isCorrect(q, response) {
    switch (q.type) {
      case "single": case "multiple":
        return response.slice().sort().join(",") === q.correct.slice().sort().join(",");
      case "true-false":
        return response[0] === String(q.correct);
      case "fill-in":
        var given = normalise(response, q.caseSensitive);
        return q.accept.some(function (a) { return normalise(a, q.caseSensitive) === given; }) ||
          q.patterns.some(function (p) { return new RegExp("^(?:" + p + ")$", q.caseSensitive ? "" : "i").test(response.trim()); });
      case "numeric":
        var value = parseFloat(String(response).replace(/,/g, ""));
        return !isNaN(value) && value >= q.min - 1e-9 && value <= q.max + 1e-9;
      case "matching":
        return Object.keys(q.correct).every(function (s) { return response[s] === q.correct[s]; });
      case "sequencing":
        return response.join("\u0000") === q.correct.join("\u0000");
      case "likert":
        return null;
    }
    return false;
  }

  // SCORM patterns. 2004 (and xAPI) take identifiers and delimit lists with [,] and pairs with [.];
  // SCORM 1.2 takes single characters 0-9/a-z delimited by , and . so positions become characters there.
  var CHARS = "0123456789abcdefghijklmnopqrstuvwxyz";
  var TYPES = { single: "choice", multiple: "choice", "true-false": "true-false", "fill-in": "fill-in",
    numeric: "numeric", matching: "matching", sequencing: "sequencing", likert: "likert" };

  function scormRecord(q, response, correct, v12) {
    var list = v12 ? "," : "[,]", pair = v12 ? "." : "[.]";
    function option(id) { return v12 ? CHARS.charAt(10 + q.options.indexOf(id)) : id; }
    function source(s) { return v12 ? CHARS.charAt(1 + q.sources.indexOf(s)) : "s" + (q.sources.indexOf(s) + 1); }
    function target(t) { return v12 ? CHARS.charAt(10 + q.targets.indexOf(t)) : "t" + (q.targets.indexOf(t) + 1); }
    function item(i) { return v12 ? CHARS.charAt(10 + q.correct.indexOf(i)) : "i" + (q.correct.indexOf(i) + 1); }
    var record = { id: q.id, type: TYPES[q.type], response: "", patterns: [], objectives: q.requirements,
      weighting: q.points, result: correct === null ? "neutral" : correct ? "correct" : "incorrect" };
    switch (q.type) {
      case "single": case "multiple":
        record.response = response.map(option).join(list);
        record.patterns = [q.correct.map(option).join(list)];
        break;
      case "true-false":
        record.response = v12 ? response[0].charAt(0) : response[0];
        record.patterns = [v12 ? String(q.correct).charAt(0) : String(q.correct)];
        break;
      case "fill-in":
        record.response = response.slice(0, v12 ? 255 : 4000);
        record.patterns = q.accept.slice(0, 5).map(function (a) {
          return v12 ? a : "{case_matters=" + (q.caseSensitive ? "true" : "false") + "}" + a;
        });
        break;
      case "numeric":
        record.response = String(response);
        record.patterns = v12 ? (q.min === q.max ? [String(q.min)] : []) : [q.min + "[:]" + q.max];
        break;
      case "matching":
        record.response = q.sources.filter(function (s) { return response[s]; })
          .map(function (s) { return source(s) + pair + target(response[s]); }).join(list);
        record.patterns = [q.sources.map(function (s) { return source(s) + pair + target(q.correct[s]); }).join(list)];
        break;
      case "sequencing":
        record.response = response.map(item).join(list);
        record.patterns = [q.correct.map(item).join(list)];
        break;
    }
    return record;
  }

  // A likert answer is one scale point per statement: one interaction each, ids <question>-1, -2, ...
  function likertRecords(q, response) {
    return q.statements.map(function (text, i) {
      return { id: q.id + "-" + (i + 1), type: "likert", response: response[i] ? CHARS.charAt(+response[i]) : "",
        patterns: [], objectives: q.requirements, result: "neutral", description: text };
    }).filter(function (r) { return r.response; });
  }

  // ------------------------------------------------------------------ the course controller

  var adapter;
  var sessionStart = now();
  var pageShownAt = now();
  var finished = false;

  function chooseAdapter() {
    var params = launchParameters();
    if (target.format === "cmi5" && params.fetch && params.endpoint) return new Tracker(new XapiAdapter("cmi5", params));
    if (target.format === "xapi" && params.endpoint && params.actor) return new Tracker(new XapiAdapter("tincan", params));
    // A SCORM package may also send statements to an LRS named at launch, or (only if built with the
    // unsafe --embed-lrs-credentials flag) to one written into the package, as the SCORM learner.
    var extra = params.endpoint && params.actor && params.auth ? [new XapiAdapter("tincan", params)] : [];
    if (!extra.length && target.lrs && (target.format === "scorm12" || target.format === "scorm2004")) {
      extra = [new XapiAdapter("tincan", { endpoint: target.lrs.endpoint, auth: target.lrs.auth, actor: "{}", learnerFromLms: true })];
    }
    if (target.format === "scorm12" || target.format === "scorm2004") {
      var api = findApi(target.format === "scorm12" ? "API" : "API_1484_11");
      if (api) return new Tracker(new ScormAdapter(target.format, api), extra);
    }
    if (target.format !== "web") {
      $("#page-no-lms").hidden = false;
      showNotice = true;
    }
    return new Tracker(new LocalAdapter(), extra);
  }

  var showNotice = false;
  var endedNotice = null;

  function save() {
    adapter.saveState(encodeState(), pageIds[state.page]);
  }

  function persist() {
    save();
    adapter.commit();
  }

  function pageElement(index) {
    return document.getElementById("page-" + pageIds[index]) ||
      (lessonShell && data.pages[index].kind === "lesson" ? makeShell(index) : null);
  }

  // ------------------------------------------------------------------ lessons delivered one file each

  // A large course ships each lesson as lessons/<id>.js, which calls coursebuildLesson(id, html). A script
  // element rather than fetch(), because it loads from file:// and in LMS frames that block fetch.
  var lessonLoads = {};
  var lessonShell = document.getElementById("cb-lesson-shell");
  var splitLessons = !!lessonShell;

  // The page carries one place-holder template, not one section per lesson (1,000 sections would double the
  // time to the first page): a lesson's section is made from it, titled from the contents list, when needed.
  function makeShell(index) {
    var page = data.pages[index], id = page.lesson;
    var shell = lessonShell.content.firstElementChild.cloneNode(true);
    var link = $('.course-nav a[data-page-link="' + page.id + '"]');
    var module = link && link.closest("[data-module]");
    var moduleTitle = module && $("[data-module-title]", module);
    shell.id = "page-" + page.id;
    shell.setAttribute("data-page", page.id);
    shell.setAttribute("data-lesson", id);
    shell.setAttribute("data-src", "lessons/" + id + ".js");
    shell.setAttribute("aria-labelledby", "lesson-" + id + "-title");
    var title = $("[data-shell-title]", shell);
    title.id = "lesson-" + id + "-title";
    title.textContent = link ? link.textContent : "";
    if (moduleTitle) {
      var eyebrow = $("[data-shell-module]", shell);
      eyebrow.textContent = moduleTitle.textContent;
      eyebrow.hidden = false;
    }
    for (var after = index + 1; after < pageIds.length; after++) {  // keep the sections in course order
      var next = document.getElementById("page-" + pageIds[after]);
      if (next) { next.parentNode.insertBefore(shell, next); return shell; }
    }
    lessonShell.parentNode.appendChild(shell);
    return shell;
  }

  function loadScript(src, onError) {
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onerror = function () { script.remove(); onError(); };
    document.head.appendChild(script);
  }

  function loadLesson(index) {
    var shell = pageElement(index);
    if (!shell || !shell.hasAttribute("data-src")) return Promise.resolve(shell);
    var id = shell.getAttribute("data-lesson");
    if (lessonLoads[id]) return lessonLoads[id].promise;
    var load = lessonLoads[id] = {};
    load.promise = new Promise(function (resolve, reject) { load.resolve = resolve; load.reject = reject; });
    loadScript(shell.getAttribute("data-src"), function () {
      delete lessonLoads[id];
      $("[data-loading]", shell).hidden = true;
      $("[data-load-failed]", shell).hidden = false;
      load.reject(new Error("lesson " + id + " could not be loaded"));
    });
    return load.promise;
  }

  window.coursebuildLesson = function (id, html) {
    var load = lessonLoads[id];
    var shell = document.getElementById("page-lesson-" + id);
    if (!load || !shell || !shell.hasAttribute("data-src")) return;
    var template = document.createElement("template");
    template.innerHTML = html;
    var section = template.content.firstElementChild;
    var hadFocus = shell.contains(document.activeElement);
    if (shell.classList.contains("is-current")) section.classList.add("is-current");
    shell.parentNode.replaceChild(section, shell);
    $all('.question[data-mode="check"]', section).forEach(function (el) {
      var qid = el.getAttribute("data-question");
      if (!(qid in state.answers)) return;
      restoreResponse(data.questions[qid], el, state.answers[qid]);
      showFeedback(el, data.questions[qid], state.answers[qid], isCorrect(data.questions[qid], state.answers[qid]), false);
    });
    if (hadFocus) focusHeading(section);
    load.resolve(section);
  };

  function focusHeading(page) {
    var heading = $("h1", page);
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function retryLesson(shell) {
    $("[data-load-failed]", shell).hidden = true;
    $("[data-loading]", shell).hidden = false;
    loadAround(state.page);
  }

  // The page's lesson, then the next one, so moving on does not wait for the network.
  function loadAround(index) {
    loadLesson(index).then(function () {
      if (index + 1 < pageIds.length) loadLesson(index + 1).catch(function () { /* retried when shown */ });
    }, function () { /* the shell offers to try again */ });
  }

  // ------------------------------------------------------------------ search inside the course

  var searchEntries = null;

  function searchIndex() {
    if (searchEntries) return searchEntries;
    if (!splitLessons) {
      searchEntries = Promise.resolve($all(".page--lesson").map(function (el) {
        var prose = $(".prose", el);
        return [el.getAttribute("data-page"), $("h1", el).textContent, (prose ? prose.textContent : "").replace(/\s+/g, " ")];
      }));
      return searchEntries;
    }
    // The index comes in parts (lessons/search-<n>.js, each calling coursebuildSearchIndex(n, entries)),
    // loaded side by side and put back in course order whatever order they arrive in.
    searchEntries = new Promise(function (resolve, reject) {
      var files = data.searchFiles, parts = [], waiting = files.length, failed = false;
      window.coursebuildSearchIndex = function (number, entries) {
        if (parts[number]) return;
        parts[number] = entries;
        if (--waiting === 0) resolve([].concat.apply([], parts));
      };
      files.forEach(function (src) {
        loadScript(src, function () {
          if (failed) return;
          failed = true;
          searchEntries = null;
          reject(new Error("search index"));
        });
      });
    });
    return searchEntries;
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  function snippet(text, word) {
    var at = text.toLowerCase().indexOf(word);
    var start = Math.max(0, at - 60), end = Math.min(text.length, at + word.length + 90);
    return (start > 0 ? "…" : "") + escapeHtml(text.slice(start, at)) + "<mark>" + escapeHtml(text.slice(at, at + word.length)) +
      "</mark>" + escapeHtml(text.slice(at + word.length, end)) + (end < text.length ? "…" : "");
  }

  function search(query) {
    var box = $("#cb-search-results");
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { box.innerHTML = ""; return; }
    searchIndex().then(function (entries) {
      var found = entries.filter(function (e) {
        var haystack = (e[1] + " " + e[2]).toLowerCase();
        return words.every(function (w) { return haystack.indexOf(w) >= 0; });
      });
      var shown = found.slice(0, 20);
      var q = escapeHtml(query.trim());
      box.innerHTML = "<p>" + (found.length ? t("searchFound", { n: found.length, q: q }) : t("searchNone", { q: q })) +
        (found.length > shown.length ? t("searchFirst", { n: shown.length }) : "") + ".</p>" +
        (shown.length ? "<ul>" + shown.map(function (e) {
          var text = e[2].toLowerCase().indexOf(words[0]) >= 0 ? snippet(e[2], words[0]) : "";
          return '<li><a href="#page-' + e[0] + '">' + escapeHtml(e[1]) + "</a>" +
            (text ? '<span class="course-search__snippet">' + text + "</span>" : "") + "</li>";
        }).join("") + "</ul>" : "");
    }, function () { box.innerHTML = "<p>" + t("searchUnavailable") + "</p>"; });
  }

  // On a phone the contents list would push every page far down: keep it folded away there.
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 47.99em)") : { matches: false };
  function foldContents() {
    var details = $(".course-nav__details");
    if (details) details.open = !narrow.matches;
  }

  function show(index, focus) {
    index = Math.max(0, Math.min(index, pageIds.length - 1));
    $all(".page.is-current").forEach(function (el) { el.classList.remove("is-current"); });
    var page = pageElement(index);
    page.classList.add("is-current");
    if (splitLessons) loadAround(index);
    state.page = index;
    if (state.visited.indexOf(index) < 0) state.visited.push(index);
    pageShownAt = now();
    $all(".course-nav a").forEach(function (a) {
      var current = a.getAttribute("href") === "#page-" + pageIds[index];
      if (current) { a.setAttribute("aria-current", "page"); openGroupOf(a); } else a.removeAttribute("aria-current");
      var linked = pageIndex[(a.getAttribute("href") || "").replace("#page-", "")];
      a.classList.toggle("is-done", linked !== undefined && isPageDone(linked));
    });
    adapter.pageViewed(data.pages[index]);
    if (data.pages[index].kind === "scenario") renderScenario(data.pages[index].scenario);
    if (data.pages[index].kind === "results") renderResults();
    if (focus && narrow.matches) foldContents();
    if (focus) {
      focusHeading(page);
      window.scrollTo(0, 0);
    }
    updateProgress();
    evaluate();
    persist();
  }

  // A large course folds its contents by module (split delivery): open the current lesson's module when the
  // learner moves into it, and leave it as the learner set it while they stay there.
  var openedGroup = null;
  function openGroupOf(link) {
    var group = link.closest("details.course-nav__group");
    if (group && group !== openedGroup) group.open = true;
    openedGroup = group;
  }

  function isPageDone(index) {
    var page = data.pages[index];
    if (page.kind === "scenario") return !!state.finished["scenario-" + page.scenario];
    if (page.kind === "assessment") return state.submitted;
    return wasVisited(index);
  }

  // Looked up for every contents link on every page change, so a set, not a search of the list.
  var visitedSet = { list: null, length: -1, pages: {} };
  function wasVisited(index) {
    if (visitedSet.list !== state.visited || visitedSet.length !== state.visited.length) {
      visitedSet = { list: state.visited, length: state.visited.length, pages: {} };
      state.visited.forEach(function (i) { visitedSet.pages[i] = true; });
    }
    return visitedSet.pages[index] === true;
  }

  function requiredPages() {
    return data.pages.map(function (p, i) { return i; }).filter(function (i) {
      return ["lesson", "scenario", "assessment"].indexOf(data.pages[i].kind) >= 0;
    });
  }

  function updateProgress() {
    var required = requiredPages();
    var done = required.filter(isPageDone).length;
    var progress = $("#cb-progress");
    progress.hidden = false;
    progress.textContent = t("progress", { done: done, total: required.length });
    adapter.progress(required.length ? done / required.length : 1);
  }

  // Scenario score: the mean rating of the decisions on each scenario's latest path (best 1, acceptable
  // 0.5, unsafe 0), averaged over scenarios; null until every scenario has reached an ending.
  var RATING_SCORE = { best: 1, acceptable: 0.5, unsafe: 0 };
  function scenarioScore() {
    var ids = Object.keys(data.scenarios);
    if (!ids.length || !ids.every(function (id) { return state.finished["scenario-" + id]; })) return null;
    var total = ids.reduce(function (sum, id) {
      var decisions = (state.scenarios[id] || { d: [] }).d;
      var mean = decisions.reduce(function (s, d) { return s + RATING_SCORE[findChoice(data.scenarios[id], d[0], d[1]).rating]; }, 0) / Math.max(1, decisions.length);
      return sum + mean;
    }, 0);
    return Math.round((total / ids.length) * 100);
  }

  // The course score: the assessment, with scenarios counting for scoring.scenarios percent of it.
  function courseResult() {
    var required = requiredPages();
    var completed = required.every(isPageDone);
    var weight = data.course.scenarioWeight / 100;
    var parts = [];
    if (weight < 1 && data.assessment) parts.push(state.submitted ? [state.score, 1 - weight] : null);
    if (weight > 0) { var s = scenarioScore(); parts.push(s === null ? null : [s, weight]); }
    var ready = parts.length && parts.every(function (p) { return p !== null; });
    var score = ready ? Math.round(parts.reduce(function (sum, p) { return sum + p[0] * p[1]; }, 0)) : (data.assessment ? state.score : null);
    var success = ready ? (score >= adapter.passMark() ? "passed" : "failed") : null;
    return { completed: completed, score: ready ? score : null, success: success };
  }

  // A requirement is satisfied when every item assessing it that the learner answered is correct (or a
  // best/acceptable scenario choice) in their latest answer; failed if any is not; unknown until answered.
  function requirementStatuses() {
    var outcome = {};
    Object.keys(state.results).forEach(function (id) {
      var q = data.questions[id];
      if (!q || q.points === 0) return;
      q.requirements.forEach(function (r) { outcome[r] = (outcome[r] || "passed") === "passed" && state.results[id] ? "passed" : "failed"; });
    });
    Object.keys(state.scenarios).forEach(function (scenarioId) {
      var scenario = data.scenarios[scenarioId];
      (state.scenarios[scenarioId].d || []).forEach(function (decision) {
        var choice = findChoice(scenario, decision[0], decision[1]);
        if (!choice) return;
        choice.requirements.forEach(function (r) {
          outcome[r] = (outcome[r] || "passed") === "passed" && choice.rating !== "unsafe" ? "passed" : "failed";
        });
      });
    });
    return outcome;
  }

  var assessedRequirements = (function () {
    var seen = {};
    Object.keys(data.questions).forEach(function (id) {
      if (data.questions[id].points > 0) data.questions[id].requirements.forEach(function (r) { seen[r] = true; });
    });
    Object.keys(data.scenarios).forEach(function (sid) {
      var scenes = data.scenarios[sid].scenes;
      Object.keys(scenes).forEach(function (scene) {
        scenes[scene].choices.forEach(function (c) { c.requirements.forEach(function (r) { seen[r] = true; }); });
      });
    });
    return Object.keys(seen).sort();
  })();

  var reportedObjectives = {};

  function evaluate() {
    var statuses = requirementStatuses();
    assessedRequirements.forEach(function (id, index) {
      var status = statuses[id] || "unknown";
      if (reportedObjectives[id] !== status) {
        adapter.objective(index, id, status);
        reportedObjectives[id] = status;
      }
    });
    adapter.outcome(courseResult());
  }

  // ------------------------------------------------------------------ knowledge checks

  function showFeedback(el, q, response, correct, review) {
    $all(".option", el).forEach(function (option) {
      var id = option.getAttribute("data-option");
      var chosen = Array.isArray(response) && response.indexOf(id) >= 0;
      var fb = $(".option__feedback", option);
      if (fb) fb.hidden = !(chosen && fb.textContent.trim());
      option.classList.remove("is-correct", "is-wrong");
      if (review && q.correct !== undefined && (q.type === "single" || q.type === "multiple")) {
        if (q.correct.indexOf(id) >= 0) option.classList.add("is-correct");
        else if (chosen) option.classList.add("is-wrong");
      }
    });
    var box = $("[data-feedback]", el);
    box.classList.remove("is-correct", "is-wrong");
    if (correct === null) box.textContent = t("recorded");
    else {
      box.textContent = correct ? t("correct") : t("notQuite") + (review ? "" : t("tryAgainHint"));
      box.classList.add(correct ? "is-correct" : "is-wrong");
    }
    var explanation = $("[data-explanation]", el);
    if (explanation) explanation.hidden = false;
  }

  function record(q, response, correct, startedAt, mode) {
    state.answers[q.id] = response;
    if (correct !== null) state.results[q.id] = correct ? 1 : 0;
    adapter.answered({ question: q, response: response, correct: correct, mode: mode,
      date: new Date(), latency: Math.max(0, now() - startedAt) });
  }

  function checkQuestion(el) {
    var q = data.questions[el.getAttribute("data-question")];
    var response = readResponse(q, el);
    if (!isAnswered(q, response)) { announce(t("answerFirst")); return; }
    var correct = isCorrect(q, response);
    showFeedback(el, q, response, correct, false);
    record(q, response, correct, pageShownAt, "check");
    evaluate();
    persist();
  }

  function restoreResponse(q, el, response) {
    if (response === undefined) return;
    switch (q.type) {
      case "single": case "multiple": case "true-false":
        $all("input", el).forEach(function (i) { i.checked = response.indexOf(i.value) >= 0; });
        break;
      case "fill-in": case "numeric":
        $("input[type=text]", el).value = response;
        break;
      case "matching":
        $all("select", el).forEach(function (s) { s.value = response[s.getAttribute("data-source")] || ""; });
        break;
      case "sequencing":
        var list = $(".sequence", el);
        response.forEach(function (item) {
          var li = $all(".sequence__item", list).filter(function (x) { return x.getAttribute("data-item") === item; })[0];
          if (li) list.appendChild(li);
        });
        break;
      case "likert":
        $all("fieldset.likert", el).forEach(function (f, i) {
          $all("input", f).forEach(function (input) { input.checked = input.value === response[i]; });
        });
        break;
    }
  }

  function moveItem(button) {
    var li = button.closest(".sequence__item");
    var up = button.getAttribute("data-move") === "up";
    var sibling = up ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling) { announce(t(up ? "first" : "last")); return; }
    li.parentNode.insertBefore(li, up ? sibling : sibling.nextElementSibling);
    button.focus();
    var items = $all(".sequence__item", li.parentNode);
    announce(t("position", { item: li.getAttribute("data-item"), n: String(items.indexOf(li) + 1), total: items.length }));
  }

  function shuffleOptions(el, q, seed) {
    if (!q.options || !q.shuffle) return;
    var list = $(".options", el);
    var items = $all(".option", list);
    var movable = items.filter(function (li) { return !li.hasAttribute("data-pinned"); });
    var order = shuffled(movable, seed ^ hashString(q.id));
    var slots = items.map(function (li) { return li.hasAttribute("data-pinned") ? li : null; });
    var k = 0;
    slots = slots.map(function (s) { return s || order[k++]; });
    slots.forEach(function (li) { list.appendChild(li); });
  }

  // ------------------------------------------------------------------ assessment

  function drawnQuestions() {
    var a = data.assessment;
    var scored = a.bank.filter(function (id) { return data.questions[id].points > 0; });
    var unscored = a.bank.filter(function (id) { return data.questions[id].points === 0; });
    var drawn = a.draw ? shuffled(scored, state.seed).slice(0, a.draw) : scored;
    var order = {};
    drawn.forEach(function (id) { order[id] = true; });
    return a.bank.filter(function (id) { return order[id]; }).concat(unscored);
  }

  function setUpAttempt() {
    var a = data.assessment;
    if (!a) return;
    if (!state.seed) state.seed = (Math.floor(Math.random() * 4294967295) >>> 0) || 1;
    var drawn = drawnQuestions();
    var number = 0;
    a.bank.forEach(function (id) {
      var el = questionElement(id, "assessment");
      var included = drawn.indexOf(id) >= 0;
      el.hidden = !included;
      if (!included) return;
      number++;
      var label = $(".question__number", el);
      if (label) label.textContent = t("question", { n: String(number) });
      if (a.shuffle) shuffleOptions(el, data.questions[id], state.seed);
      $all("input, select, button", el).forEach(function (c) { c.disabled = state.submitted; });
      if (state.answers[id] !== undefined) restoreResponse(data.questions[id], el, state.answers[id]);
    });
    var form = $("#cb-assessment");
    $("button[type=submit]", form).disabled = state.submitted;
    if (state.submitted) showAssessmentResult(false);
  }

  function submitAssessment(event) {
    event.preventDefault();
    if (state.submitted) return;
    var drawn = drawnQuestions();
    var missing = drawn.filter(function (id) {
      var q = data.questions[id];
      return !isAnswered(q, readResponse(q, questionElement(id, "assessment")));
    });
    if (missing.length) {
      announce(t("answerAll", { n: String(missing.length) }));
      var first = questionElement(missing[0], "assessment");
      var control = $("input, select, button", first);
      if (control) control.focus();
      return;
    }
    var total = 0, earned = 0;
    drawn.forEach(function (id) {
      var q = data.questions[id];
      var el = questionElement(id, "assessment");
      var response = readResponse(q, el);
      var correct = isCorrect(q, response);
      record(q, response, correct, pageShownAt, "assessment");
      if (q.points > 0) { total += q.points; if (correct) earned += q.points; }
      if (data.assessment.review) showFeedback(el, q, response, correct, true);
    });
    state.submitted = true;
    state.attempt += 1;
    state.score = total ? Math.round((earned / total) * 100) : 0;
    $all("input, select, button", $("#cb-assessment")).forEach(function (c) { c.disabled = true; });
    evaluate();
    persist();
    showAssessmentResult(true);
  }

  function attemptsLeft() {
    var limit = data.assessment.attempts;
    return limit === 0 ? Infinity : Math.max(0, limit - state.attempt);
  }

  function showAssessmentResult(moveFocus) {
    var box = $("#cb-assessment-result");
    var passed = state.score >= adapter.passMark();
    var html = "<h2>" + t(passed ? "passed" : "notPassed") + "</h2>" +
      "<p>" + t("scored", { score: state.score, mark: data.course.passMark }) + "</p>";
    if (!passed && attemptsLeft() > 0) {
      html += "<p>" + (attemptsLeft() === Infinity ? t("tryAgainAny") : t("attemptsLeft", { n: attemptsLeft() })) +
        "</p><p><button type=\"button\" class=\"button button--primary\" data-retry>" + t("tryAgain") + "</button></p>";
    } else if (!passed) {
      html += "<p>" + t("noAttempts") + "</p>";
    }
    box.innerHTML = html;
    if (moveFocus) box.focus();
  }

  function retryAssessment() {
    state.submitted = false;
    state.seed = 0;
    data.assessment.bank.forEach(function (id) {
      delete state.answers[id];
      var el = questionElement(id, "assessment");
      $all("input", el).forEach(function (i) { if (i.type === "text") i.value = ""; else i.checked = false; });
      $all("select", el).forEach(function (s) { s.value = ""; });
      $all(".option__feedback, [data-explanation]", el).forEach(function (f) { f.hidden = true; });
      $all(".option", el).forEach(function (o) { o.classList.remove("is-correct", "is-wrong"); });
      var fb = $("[data-feedback]", el); fb.textContent = ""; fb.className = "question__feedback";
    });
    $("#cb-assessment-result").innerHTML = "";
    setUpAttempt();
    persist();
    var heading = $("#assessment-title");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  // ------------------------------------------------------------------ scenarios

  function findChoice(scenario, sceneId, choiceId) {
    var scene = scenario && scenario.scenes[sceneId];
    if (!scene) return null;
    return scene.choices.filter(function (c) { return c.id === choiceId; })[0] || null;
  }

  function scenarioState(id) {
    if (!state.scenarios[id]) state.scenarios[id] = { d: [] };
    return state.scenarios[id];
  }

  function renderScenario(id) {
    var scenario = data.scenarios[id];
    var section = document.getElementById("page-scenario-" + id);
    var path = [scenario.start].concat(scenarioState(id).d.map(function (d) { return findChoice(scenario, d[0], d[1]).goto; }));
    $all(".scene", section).forEach(function (el) {
      var sceneId = el.getAttribute("data-scene");
      var at = path.indexOf(sceneId);
      el.classList.toggle("is-visited", at >= 0 && at < path.length - 1);
      el.classList.toggle("is-current", at === path.length - 1);
      $all(".choice__button", el).forEach(function (b) { b.disabled = at >= 0 && at < path.length - 1; b.setAttribute("aria-pressed", "false"); });
      $all(".choice__feedback", el).forEach(function (f) { f.hidden = true; });
    });
    scenarioState(id).d.forEach(function (d) {
      var el = document.getElementById("scene-" + id + "-" + d[0]);
      var button = $('.choice__button[data-choice="' + d[1] + '"]', el);
      if (button) button.setAttribute("aria-pressed", "true");
      var fb = $('[data-feedback-for="' + d[1] + '"]', el);
      if (fb) fb.hidden = false;
    });
    var last = path[path.length - 1];
    $(".scenario__restart", section).hidden = !scenario.scenes[last].ending;
    return last;
  }

  function choose(button) {
    var section = button.closest("[data-scenario]");
    var id = section.getAttribute("data-scenario");
    var sceneId = button.closest(".scene").getAttribute("data-scene");
    var scenario = data.scenarios[id];
    var choice = findChoice(scenario, sceneId, button.getAttribute("data-choice"));
    var s = scenarioState(id);
    s.d.push([sceneId, choice.id]);
    var best = scenario.scenes[sceneId].choices.filter(function (c) { return c.rating === "best"; }).map(function (c) { return c.id; });
    var path = [scenario.start].concat(s.d.map(function (d) { return findChoice(scenario, d[0], d[1]).goto; }));
    adapter.decided({ scenarioId: id, sceneId: sceneId, choice: choice, best: best, path: path,
      choices: scenario.scenes[sceneId].choices,
      ending: scenario.scenes[choice.goto].ending ? scenario.scenes[choice.goto].outcome : null,
      date: new Date(), latency: now() - pageShownAt });
    pageShownAt = now();
    var current = renderScenario(id);
    if (scenario.scenes[current].ending) state.finished["scenario-" + id] = true;
    evaluate();
    updateProgress();
    persist();
    var heading = $("#scene-" + id + "-" + current + "-title");
    if (heading) heading.focus();
  }

  function restartScenario(id) {
    state.scenarios[id] = { d: [] };
    renderScenario(id);
    persist();
    var heading = $("#scene-" + id + "-" + data.scenarios[id].start + "-title");
    if (heading) heading.focus();
  }

  // ------------------------------------------------------------------ results and certificate

  // Self-assessment: agreement with an archetype's statements (scale mapped to 0..1) suggests its course.
  function recommendations() {
    var scores = {}, seen = false;
    Object.keys(data.questions).forEach(function (id) {
      var q = data.questions[id];
      if (q.type !== "likert" || !q.archetypes || !q.archetypes.length) return;
      seen = true;
      var answers = (state.answers[id] || []).filter(function (v) { return v !== ""; }).map(Number);
      if (!answers.length) return;
      var mean = answers.reduce(function (a, b) { return a + b; }, 0) / answers.length;
      var normalised = (mean - 1) / Math.max(1, q.scale.length - 1);
      q.archetypes.forEach(function (a) { (scores[a] = scores[a] || []).push(normalised); });
    });
    if (!seen) return null;
    return Object.keys(scores).map(function (a) {
      return { archetype: a, score: scores[a].reduce(function (x, y) { return x + y; }, 0) / scores[a].length };
    }).filter(function (r) { return r.score >= 0.7; }).sort(function (x, y) { return y.score - x.score; });
  }

  function renderResults() {
    var result = courseResult();
    var box = $("#cb-results");
    var required = requiredPages();
    var lines = ["<p>" + t("sectionsDone", { done: required.filter(isPageDone).length, total: required.length }) + "</p>"];
    if (data.assessment) {
      lines.push("<p>" + (state.submitted ? t("assessmentScore", { score: state.score, mark: data.course.passMark }) : t("noAssessment")) + "</p>");
    }
    if (data.course.scenarioWeight > 0 && result.score !== null) {
      lines.push("<p>" + t("courseScore", { score: result.score, weight: data.course.scenarioWeight, scenario: scenarioScore(),
        mark: adapter.passMark() }) + "</p>");
    }
    var recommended = recommendations();
    if (recommended) {
      lines.push("<h2>" + t("suggested") + "</h2>" + (recommended.length
        ? "<p>" + t("suggestedIntro") + "</p><ul>" + recommended.map(function (r) {
            return "<li>" + t(r.archetype) + "</li>";
          }).join("") + "</ul>"
        : "<p>" + t("suggestedNone") + "</p>"));
    }
    box.innerHTML = lines.join("");
    var certificate = $("#cb-certificate");
    var earned = result.completed && result.success !== "failed";
    certificate.hidden = !earned;
    if (earned) {
      var name = adapter.learnerName();
      if (name) $("[data-learner-name]", certificate).textContent = name.indexOf(",") > 0 ? name.split(",").reverse().join(" ").trim() : name;
      $("[data-completion-date]", certificate).textContent = t("date", { date: new Date().toLocaleDateString(data.course.language) });
    }
  }

  function printCertificate() {
    document.body.classList.add("is-printing-certificate");
    window.print();
    document.body.classList.remove("is-printing-certificate");
  }

  // ------------------------------------------------------------------ wiring

  function onClick(event) {
    var el = event.target.closest ? event.target.closest("a, button") : null;
    if (!el) return;
    if (el.tagName === "A") {
      var href = el.getAttribute("href") || "";
      if (href.indexOf("#page-") === 0) {
        var index = pageIds.indexOf(href.slice(6));
        if (index >= 0) { event.preventDefault(); show(index, true); }
      } else if (href.indexOf("#lesson:") === 0) {
        event.preventDefault();
      }
      return;
    }
    if (el.hasAttribute("data-check")) checkQuestion(el.closest(".question"));
    else if (el.hasAttribute("data-move")) moveItem(el);
    else if (el.hasAttribute("data-choice")) choose(el);
    else if (el.hasAttribute("data-restart")) restartScenario(el.getAttribute("data-restart"));
    else if (el.hasAttribute("data-retry")) retryAssessment();
    else if (el.hasAttribute("data-print")) printCertificate();
    else if (el.hasAttribute("data-exit")) exitCourse();
    else if (el.hasAttribute("data-load-lesson")) retryLesson(el.closest(".page"));
    else if (el.hasAttribute("data-dismiss-notice")) { $("#page-no-lms").hidden = true; show(state.page, true); }
  }

  // cmi5 §8.1: leaving through the LMS's returnURL once the session is terminated.
  function exitCourse() {
    var primary = adapter.primary;
    var url = primary.returnUrl && primary.returnUrl();
    finish();
    if (!primary.whenStateSaved) {
      if (url) window.location.href = url;
      return;
    }
    primary.whenStateSaved(3000).then(function () {
      primary.sendOnUnload();  // terminated, if it waited for the state write
      if (url) window.location.href = url;
    });
  }

  function finish() {
    if (finished) return;
    finished = true;
    save();
    var result = courseResult();
    adapter.finish(now() - sessionStart, result.completed && result.success !== "failed");
  }

  function leave() {
    if (adapter.leave) adapter.leave();
    finish();
  }

  function start() {
    adapter = chooseAdapter();
    adapter.start().then(begin, function (error) {
      adapter = new Tracker(new LocalAdapter());
      if (error && error.sessionEnded) {
        endedNotice = error.returnUrl;
      } else {
        if (window.console) console.error("coursebuild: could not start tracking", error);
        $("#page-no-lms").hidden = false;
        showNotice = true;
      }
      begin(null);
    });
  }

  function begin(saved) {
    var restored = saved ? decodeState(saved) : null;
    if (restored) state = restored;
    Object.keys(state.answers).forEach(function (id) {
      var el = questionElement(id, "check");
      if (!el) return;
      restoreResponse(data.questions[id], el, state.answers[id]);
      var correct = isCorrect(data.questions[id], state.answers[id]);
      showFeedback(el, data.questions[id], state.answers[id], correct, false);
    });
    setUpAttempt();
    document.addEventListener("click", onClick);
    foldContents();
    if (adapter.primary.returnUrl && adapter.primary.returnUrl()) $("[data-exit]").hidden = false;
    var form = $("#cb-assessment");
    if (form) form.addEventListener("submit", submitAssessment);
    var searchForm = $("[data-search]");
    if (searchForm) {
      searchForm.hidden = false;
      searchForm.addEventListener("submit", function (event) { event.preventDefault(); search($("#cb-search").value); });
    }
    window.addEventListener("pagehide", leave);
    window.addEventListener("beforeunload", leave);
    if (endedNotice !== null) {
      finished = true;  // nothing more may be recorded in an ended session
      var notice = $("#page-session-ended");
      notice.hidden = false;
      $all(".page").forEach(function (p) { p.classList.remove("is-current"); });
      notice.classList.add("is-current");
      var back = $("[data-return]", notice);
      if (endedNotice) { back.href = endedNotice; back.parentNode.hidden = false; }
      $("h1", notice).focus();
    } else if (showNotice) {
      $all(".page").forEach(function (p) { p.classList.remove("is-current"); });
      $("#page-no-lms").classList.add("is-current");
      $("#page-no-lms h1").focus();
    } else {
      show(state.page, false);
    }
    // For tests and benchmarks: the first page is shown and every control is wired.
    window.coursebuild = { finish: finish, state: function () { return JSON.parse(JSON.stringify(state)); },
      encodedState: encodeState, show: function (id) { show(pageIds.indexOf(id), true); }, ready: true,
      readyAt: window.performance ? performance.now() : 0, tracker: adapter };
  }

  start();
})();
