// ------------------------------------------------------------------ responses and scoring

import { $, $all, cut } from "./helpers.js";

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
      record.response = cut(response, v12 ? 255 : 4000);
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

// A scenario choice by scene and id (what a decision in the learner state names).
function findChoice(scenario, sceneId, choiceId) {
  var scene = scenario && scenario.scenes[sceneId];
  if (!scene) return null;
  return scene.choices.filter(function (c) { return c.id === choiceId; })[0] || null;
}

export { questionElement, readResponse, isAnswered, normalise, isCorrect, CHARS, TYPES, scormRecord, likertRecords, findChoice };
