// ------------------------------------------------------------------ which adapters this launch uses

import { setShowNotice, target } from "../context.js";
import { $ } from "../helpers.js";
import { Tracker } from "../tracker.js";
import { LocalAdapter } from "./local.js";
import { findApi, ScormAdapter } from "./scorm.js";
import { launchParameters, XapiAdapter } from "./xapi.js";

function chooseAdapter() {
  var params = launchParameters();
  if (target.format === "cmi5" && params.fetch && params.endpoint) return new Tracker(new XapiAdapter("cmi5", params));
  if (target.format === "xapi" && params.endpoint && params.actor) return new Tracker(new XapiAdapter("tincan", params));
  // A SCORM package may also send statements to an LRS named at launch, or (only if built with the
  // unsafe --embed-lrs-credentials flag) to one written into the package, as the SCORM learner.
  var extra = params.endpoint && params.actor && params.auth ? [new XapiAdapter("tincan", params)] : [];
  if (!extra.length && target.lrs && (target.format === "scorm12" || target.format === "scorm2004")) {
    extra = [new XapiAdapter("tincan", { endpoint: target.lrs.endpoint, auth: target.lrs.auth, actor: "{}", learnerFromLms: true })];
  }
  if (target.format === "scorm12" || target.format === "scorm2004") {
    var api = findApi(target.format === "scorm12" ? "API" : "API_1484_11");
    if (api) return new Tracker(new ScormAdapter(target.format, api), extra);
  }
  if (target.format !== "web") {
    $("#page-no-lms").hidden = false;
    setShowNotice(true);
  }
  return new Tracker(new LocalAdapter(), extra);
}

export { chooseAdapter };
