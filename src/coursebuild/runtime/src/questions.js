// ------------------------------------------------------------------ knowledge checks

import { adapter, data, pageShownAt, state } from "./context.js";
import { $, $all, announce, hashString, now, shuffled } from "./helpers.js";
import { evaluate, persist } from "./progress.js";
import { isAnswered, isCorrect, readResponse } from "./scoring.js";
import { t } from "./strings.js";

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

export { showFeedback, record, checkQuestion, restoreResponse, moveItem, shuffleOptions };
