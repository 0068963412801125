// ------------------------------------------------------------------ results and certificate

import { adapter, data, state } from "./context.js";
import { $ } from "./helpers.js";
import { courseResult, isPageDone, requiredPages, scenarioScore } from "./progress.js";
import { t } from "./strings.js";

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

export { recommendations, renderResults, printCertificate };
