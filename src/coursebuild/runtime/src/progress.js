// ------------------------------------------------------------------ progress, course outcome and objectives

import { adapter, data, pageIds, state } from "./context.js";
import { $ } from "./helpers.js";
import { findChoice } from "./scoring.js";
import { encodeState } from "./state.js";
import { t } from "./strings.js";

function save() {
  adapter.saveState(encodeState(), pageIds[state.page]);
}

function persist() {
  save();
  adapter.commit();
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

var assessedRequirements = [];

// The requirements the course assesses, sorted: found once, at start (main.js), from the course data.
function findAssessedRequirements() {
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
  assessedRequirements = Object.keys(seen).sort();
}

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

export { save, persist, isPageDone, requiredPages, updateProgress, RATING_SCORE, scenarioScore, courseResult, requirementStatuses, findAssessedRequirements, evaluate };
