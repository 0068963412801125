// ------------------------------------------------------------------ assessment

import { adapter, data, pageShownAt, state } from "./context.js";
import { $, $all, announce, shuffled } from "./helpers.js";
import { evaluate, persist } from "./progress.js";
import { record, restoreResponse, showFeedback, shuffleOptions } from "./questions.js";
import { isAnswered, isCorrect, questionElement, readResponse } from "./scoring.js";
import { t } from "./strings.js";

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

export { drawnQuestions, setUpAttempt, submitAssessment, attemptsLeft, showAssessmentResult, retryAssessment };
