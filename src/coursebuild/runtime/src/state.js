// ------------------------------------------------------------------ learner state

import { data, state, questionIds, pageIds } from "./context.js";
import { cut } from "./helpers.js";

var STATE_FORMAT = 2;

function freshState() {
  return { page: 0, visited: [0], answers: {}, results: {}, attempt: 0, seed: 0, submitted: false,
           score: null, scenarios: {}, finished: {} };
}

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
    default:
      return cut(r, 250);
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

export { STATE_FORMAT, freshState, INDEX, packResponse, unpackResponse, encodeState, decodeState };
