// ------------------------------------------------------------------ lessons delivered one file each

import { data, pageIds, state } from "./context.js";
import { $, $all } from "./helpers.js";
import { restoreResponse, showFeedback } from "./questions.js";
import { isCorrect } from "./scoring.js";

// A large course ships each lesson as lessons/<id>.js, which calls coursebuildLesson(id, html). A script
// element rather than fetch(), because it loads from file:// and in LMS frames that block fetch.
var lessonLoads = {};
var lessonShell = document.getElementById("cb-lesson-shell");
var splitLessons = !!lessonShell;

function pageElement(index) {
  return document.getElementById("page-" + pageIds[index]) ||
    (lessonShell && data.pages[index].kind === "lesson" ? makeShell(index) : null);
}

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

export { splitLessons, pageElement, loadScript, loadLesson, focusHeading, retryLesson, loadAround };
