/* coursebuild learner runtime: navigation, questions, scenarios, resume and LMS tracking.
 * One script for every package format; runtime/target.js says which format this package is.
 * These ES modules are bundled by esbuild into runtime/coursebuild.js (bash scripts/build-runtime.sh),
 * which must run in any evergreen browser inside any LMS frame; this module is the entry point.
 */

import { chooseAdapter } from "./adapters/choose.js";
import { LocalAdapter } from "./adapters/local.js";
import { retryAssessment, setUpAttempt, submitAssessment } from "./assessment.js";
import {
  adapter, data, endedNotice, finished, pageIds, sessionStart, setAdapter, setCourse, setEndedNotice, setFinished,
  setShowNotice, setState, showNotice, state
} from "./context.js";
import { $, $all, now } from "./helpers.js";
import { retryLesson } from "./lessons.js";
import { foldContentsWhenNarrow, show } from "./navigation.js";
import { courseResult, findAssessedRequirements, save } from "./progress.js";
import { checkQuestion, moveItem, restoreResponse, showFeedback } from "./questions.js";
import { printCertificate } from "./results.js";
import { choose, restartScenario } from "./scenario.js";
import { isCorrect, questionElement } from "./scoring.js";
import { search } from "./search.js";
import { decodeState, encodeState, freshState } from "./state.js";
import { setLanguage } from "./strings.js";
import { Tracker } from "./tracker.js";

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
  setFinished(true);
  save();
  var result = courseResult();
  adapter.finish(now() - sessionStart, result.completed && result.success !== "failed");
}

function leave() {
  if (adapter.leave) adapter.leave();
  finish();
}

function start() {
  setAdapter(chooseAdapter());
  adapter.start().then(begin, function (error) {
    setAdapter(new Tracker(new LocalAdapter()));
    if (error && error.sessionEnded) {
      setEndedNotice(error.returnUrl);
    } else {
      if (window.console) console.error("coursebuild: could not start tracking", error);
      $("#page-no-lms").hidden = false;
      setShowNotice(true);
    }
    begin(null);
  });
}

function begin(saved) {
  var restored = saved ? decodeState(saved) : null;
  if (restored) setState(restored);
  Object.keys(state.answers).forEach(function (id) {
    var el = questionElement(id, "check");
    if (!el) return;
    restoreResponse(data.questions[id], el, state.answers[id]);
    var correct = isCorrect(data.questions[id], state.answers[id]);
    showFeedback(el, data.questions[id], state.answers[id], correct, false);
  });
  setUpAttempt();
  document.addEventListener("click", onClick);
  foldContentsWhenNarrow();
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
    setFinished(true);  // nothing more may be recorded in an ended session
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

setCourse(JSON.parse(document.getElementById("cb-course-data").textContent), window.coursebuildTarget || { format: "web" });

document.documentElement.classList.add("js");
setLanguage(data.course.language);
setState(freshState());
findAssessedRequirements();

start();
