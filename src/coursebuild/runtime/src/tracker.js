// ------------------------------------------------------------------ the tracker: every adapter behind one interface

import { data } from "./context.js";

// Every adapter receives the same events; each implements only those its standard records.
function Tracker(primary, others) { this.primary = primary; this.all = [primary].concat(others || []); }
["pageViewed", "answered", "decided", "progress", "objective", "outcome", "finish"].forEach(function (name) {
  Tracker.prototype[name] = function () {
    var args = arguments;
    this.all.forEach(function (a) { if (a[name]) a[name].apply(a, args); });
  };
});
Tracker.prototype.start = function () {
  var primary = this.primary, others = this.all.slice(1);
  return Promise.resolve(primary.start()).then(function (saved) {
    others.forEach(function (a) { if (a.params && a.params.learnerFromLms) a.identify(primary); });
    return Promise.all(others.map(function (a) { return a.start(); })).then(function () { return saved; });
  });
};
// The page is going away (pagehide): nothing may wait any longer for a state write to settle.
Tracker.prototype.leave = function () {
  this.all.forEach(function (a) {
    a.leaving = true;
    if (a.finishing && a.sendOnUnload) a.sendOnUnload();
  });
};
Tracker.prototype.saveState = function (encoded, location) { this.primary.saveState(encoded, location); };
Tracker.prototype.commit = function () { return this.primary.commit(); };
Tracker.prototype.passMark = function () { return this.primary.masteryScore !== undefined ? this.primary.masteryScore : data.course.passMark; };
Tracker.prototype.learnerName = function () { return this.primary.learnerName; };

export { Tracker };
