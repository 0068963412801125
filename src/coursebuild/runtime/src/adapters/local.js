// ------------------------------------------------------------------ LMS adapters: none (web, preview)

import { data } from "../context.js";

// Without an LMS (web target, preview) progress is kept in this browser only.
function LocalAdapter() { this.key = "coursebuild:" + data.course.id + ":" + data.course.version; }
LocalAdapter.prototype.start = function () { try { return window.localStorage.getItem(this.key); } catch (e) { return null; } };
LocalAdapter.prototype.saveState = function (encoded) { try { window.localStorage.setItem(this.key, encoded); } catch (e) { /* private mode */ } };
LocalAdapter.prototype.commit = function () { return true; };
LocalAdapter.prototype.finish = function () {};

export { LocalAdapter };
