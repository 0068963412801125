// ------------------------------------------------------------------ scenarios

import { adapter, data, pageShownAt, setPageShownAt, state } from "./context.js";
import { $, $all, now } from "./helpers.js";
import { evaluate, persist, updateProgress } from "./progress.js";
import { findChoice } from "./scoring.js";

function scenarioState(id) {
  if (!state.scenarios[id]) state.scenarios[id] = { d: [] };
  return state.scenarios[id];
}

function renderScenario(id) {
  var scenario = data.scenarios[id];
  var section = document.getElementById("page-scenario-" + id);
  var path = [scenario.start].concat(scenarioState(id).d.map(function (d) { return findChoice(scenario, d[0], d[1]).goto; }));
  $all(".scene", section).forEach(function (el) {
    var sceneId = el.getAttribute("data-scene");
    var at = path.indexOf(sceneId);
    el.classList.toggle("is-visited", at >= 0 && at < path.length - 1);
    el.classList.toggle("is-current", at === path.length - 1);
    $all(".choice__button", el).forEach(function (b) { b.disabled = at >= 0 && at < path.length - 1; b.setAttribute("aria-pressed", "false"); });
    $all(".choice__feedback", el).forEach(function (f) { f.hidden = true; });
  });
  scenarioState(id).d.forEach(function (d) {
    var el = document.getElementById("scene-" + id + "-" + d[0]);
    var button = $('.choice__button[data-choice="' + d[1] + '"]', el);
    if (button) button.setAttribute("aria-pressed", "true");
    var fb = $('[data-feedback-for="' + d[1] + '"]', el);
    if (fb) fb.hidden = false;
  });
  var last = path[path.length - 1];
  $(".scenario__restart", section).hidden = !scenario.scenes[last].ending;
  return last;
}

function choose(button) {
  var section = button.closest("[data-scenario]");
  var id = section.getAttribute("data-scenario");
  var sceneId = button.closest(".scene").getAttribute("data-scene");
  var scenario = data.scenarios[id];
  var choice = findChoice(scenario, sceneId, button.getAttribute("data-choice"));
  var s = scenarioState(id);
  s.d.push([sceneId, choice.id]);
  var best = scenario.scenes[sceneId].choices.filter(function (c) { return c.rating === "best"; }).map(function (c) { return c.id; });
  var path = [scenario.start].concat(s.d.map(function (d) { return findChoice(scenario, d[0], d[1]).goto; }));
  adapter.decided({ scenarioId: id, sceneId: sceneId, choice: choice, best: best, path: path,
    choices: scenario.scenes[sceneId].choices,
    ending: scenario.scenes[choice.goto].ending ? scenario.scenes[choice.goto].outcome : null,
    date: new Date(), latency: now() - pageShownAt });
  setPageShownAt(now());
  var current = renderScenario(id);
  if (scenario.scenes[current].ending) state.finished["scenario-" + id] = true;
  evaluate();
  updateProgress();
  persist();
  var heading = $("#scene-" + id + "-" + current + "-title");
  if (heading) heading.focus();
}

function restartScenario(id) {
  state.scenarios[id] = { d: [] };
  renderScenario(id);
  persist();
  var heading = $("#scene-" + id + "-" + data.scenarios[id].start + "-title");
  if (heading) heading.focus();
}

export { scenarioState, renderScenario, choose, restartScenario };
