// ------------------------------------------------------------------ shared state
//
// What the modules share and change: the course's embedded data and this package's format (set once, by
// main.js, before anything else runs), the learner's state, the tracker, and the session's clocks and
// notices. Other modules read these as live bindings; only the setters below change them.

import { now } from "./helpers.js";

var data = null;
var target = null;
var questionIds = [];
var pageIds = [];
var pageIndex = {};  // page id -> its index in pageIds
var state = null;

var adapter;
var sessionStart = now();
var pageShownAt = now();
var finished = false;

var showNotice = false;
var endedNotice = null;

// The course data (what the page embeds in #cb-course-data) and runtime/target.js's settings.
function setCourse(courseData, courseTarget) {
  data = courseData;
  target = courseTarget;
  questionIds = Object.keys(data.questions).sort();
  pageIds = data.pages.map(function (p) { return p.id; });
  pageIndex = {};
  pageIds.forEach(function (id, i) { pageIndex[id] = i; });
}

function setState(value) { state = value; }
function setAdapter(value) { adapter = value; }
function setPageShownAt(value) { pageShownAt = value; }
function setFinished(value) { finished = value; }
function setShowNotice(value) { showNotice = value; }
function setEndedNotice(value) { endedNotice = value; }

export {
  data, target, questionIds, pageIds, pageIndex, state, adapter, sessionStart, pageShownAt, finished, showNotice, endedNotice,
  setCourse, setState, setAdapter, setPageShownAt, setFinished, setShowNotice, setEndedNotice
};
