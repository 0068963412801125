// ------------------------------------------------------------------ small helpers

function $(selector, root) { return (root || document).querySelector(selector); }
function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
function now() { return Date.now(); }
function pad(n, width) { var s = String(n); while (s.length < width) s = "0" + s; return s; }

// Messages go to a polite live region; confirmations clear themselves, warnings stay until resolved.
var clearTimer = null;
function announce(message, persistent) {
  var status = $("#cb-status");
  status.textContent = "";
  window.clearTimeout(clearTimer);
  window.setTimeout(function () { status.textContent = message; }, 50);
  if (!persistent) clearTimer = window.setTimeout(function () { status.textContent = ""; }, 8000);
}

// Deterministic PRNG so a draw or shuffle is the same on resume (mulberry32).
function random(seed) {
  var a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    var t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(items, seed) {
  var result = items.slice();
  var next = random(seed);
  for (var i = result.length - 1; i > 0; i--) {
    var j = Math.floor(next() * (i + 1));
    var tmp = result[i]; result[i] = result[j]; result[j] = tmp;
  }
  return result;
}

function hashString(text) {
  var h = 2166136261;
  for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
  return h >>> 0;
}

// The first `limit` UTF-16 code units of `text`, never ending in half of a character outside the BMP (an
// emoji): an LMS that stores the value as UTF-8 cannot keep half a character, and some refuse the value.
function cut(text, limit) {
  var head = String(text).slice(0, limit);
  return /[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head;
}

export { $, $all, now, pad, announce, random, shuffled, hashString, cut };
