// ------------------------------------------------------------------ search inside the course

import { data } from "./context.js";
import { $, $all } from "./helpers.js";
import { loadScript, splitLessons } from "./lessons.js";
import { t } from "./strings.js";

var searchEntries = null;

function searchIndex() {
  if (searchEntries) return searchEntries;
  if (!splitLessons) {
    searchEntries = Promise.resolve($all(".page--lesson").map(function (el) {
      var prose = $(".prose", el);
      return [el.getAttribute("data-page"), $("h1", el).textContent, (prose ? prose.textContent : "").replace(/\s+/g, " ")];
    }));
    return searchEntries;
  }
  // The index comes in parts (lessons/search-<n>.js, each calling coursebuildSearchIndex(n, entries)),
  // loaded side by side and put back in course order whatever order they arrive in.
  searchEntries = new Promise(function (resolve, reject) {
    var files = data.searchFiles, parts = [], waiting = files.length, failed = false;
    window.coursebuildSearchIndex = function (number, entries) {
      if (parts[number]) return;
      parts[number] = entries;
      if (--waiting === 0) resolve([].concat.apply([], parts));
    };
    files.forEach(function (src) {
      loadScript(src, function () {
        if (failed) return;
        failed = true;
        searchEntries = null;
        reject(new Error("search index"));
      });
    });
  });
  return searchEntries;
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
}

function snippet(text, word) {
  var at = text.toLowerCase().indexOf(word);
  var start = Math.max(0, at - 60), end = Math.min(text.length, at + word.length + 90);
  return (start > 0 ? "…" : "") + escapeHtml(text.slice(start, at)) + "<mark>" + escapeHtml(text.slice(at, at + word.length)) +
    "</mark>" + escapeHtml(text.slice(at + word.length, end)) + (end < text.length ? "…" : "");
}

function search(query) {
  var box = $("#cb-search-results");
  var words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) { box.innerHTML = ""; return; }
  searchIndex().then(function (entries) {
    var found = entries.filter(function (e) {
      var haystack = (e[1] + " " + e[2]).toLowerCase();
      return words.every(function (w) { return haystack.indexOf(w) >= 0; });
    });
    var shown = found.slice(0, 20);
    var q = escapeHtml(query.trim());
    box.innerHTML = "<p>" + (found.length ? t("searchFound", { n: found.length, q: q }) : t("searchNone", { q: q })) +
      (found.length > shown.length ? t("searchFirst", { n: shown.length }) : "") + ".</p>" +
      (shown.length ? "<ul>" + shown.map(function (e) {
        var text = e[2].toLowerCase().indexOf(words[0]) >= 0 ? snippet(e[2], words[0]) : "";
        return '<li><a href="#page-' + e[0] + '">' + escapeHtml(e[1]) + "</a>" +
          (text ? '<span class="course-search__snippet">' + text + "</span>" : "") + "</li>";
      }).join("") + "</ul>" : "");
  }, function () { box.innerHTML = "<p>" + t("searchUnavailable") + "</p>"; });
}

export { searchIndex, escapeHtml, snippet, search };
