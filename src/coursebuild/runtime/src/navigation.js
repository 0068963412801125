// ------------------------------------------------------------------ navigation

import { adapter, data, pageIds, pageIndex, setPageShownAt, state } from "./context.js";
import { $, $all, now } from "./helpers.js";
import { focusHeading, loadAround, pageElement, splitLessons } from "./lessons.js";
import { evaluate, isPageDone, persist, updateProgress } from "./progress.js";
import { renderResults } from "./results.js";
import { renderScenario } from "./scenario.js";

// On a phone the contents list would push every page far down: keep it folded away there.
var narrow = window.matchMedia ? window.matchMedia("(max-width: 47.99em)") : { matches: false };
function foldContents() {
  var details = $(".course-nav__details");
  if (details) details.open = !narrow.matches;
}

// The width can change after start: an LMS that shows or sizes its frame late, a tablet turned round. On a
// wide screen the theme hides the list's toggle, so a list folded while the frame was narrow must open.
function foldContentsWhenNarrow() {
  foldContents();
  if (narrow.addEventListener) narrow.addEventListener("change", foldContents);
  else if (narrow.addListener) narrow.addListener(foldContents);  // Safari before 14
}

// A large course folds its contents by module (split delivery): open the current lesson's module when the
// learner moves into it, and leave it as the learner set it while they stay there.
var openedGroup = null;
function openGroupOf(link) {
  var group = link.closest("details.course-nav__group");
  if (group && group !== openedGroup) group.open = true;
  openedGroup = group;
}

function show(index, focus) {
  index = Math.max(0, Math.min(index, pageIds.length - 1));
  $all(".page.is-current").forEach(function (el) { el.classList.remove("is-current"); });
  var page = pageElement(index);
  page.classList.add("is-current");
  if (splitLessons) loadAround(index);
  state.page = index;
  if (state.visited.indexOf(index) < 0) state.visited.push(index);
  setPageShownAt(now());
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

export { foldContentsWhenNarrow, show };
