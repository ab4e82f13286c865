// goshfile dashboard: follow a job's progress live (server-sent events). Written here; no library.
// The page already shows every line so far; this only appends new ones and the verdict.
"use strict";
(function () {
  var log = document.getElementById("log");
  if (!log || log.getAttribute("data-running") !== "yes" || !window.EventSource) {
    return;
  }
  var url = log.getAttribute("data-events") + "?from=" + encodeURIComponent(log.getAttribute("data-next"));
  var source = new EventSource(url);
  var follow = function () { log.scrollTop = log.scrollHeight; };
  follow();
  source.addEventListener("line", function (event) {
    log.appendChild(document.createTextNode(event.data + "\n"));
    follow();
  });
  source.addEventListener("done", function (event) {
    source.close();
    var hint = document.getElementById("live-hint");
    if (hint) { hint.textContent = "Finished. This page can be reopened from Jobs while the dashboard runs."; }
    var final = JSON.parse(event.data);
    var state = document.getElementById("state");
    state.textContent = final.state;
    state.setAttribute("data-state", final.state);
    var outcome = document.getElementById("outcome");
    outcome.className = "outcome " + (final.state === "succeeded" ? "good" : "bad");
    while (outcome.firstChild) { outcome.removeChild(outcome.firstChild); }
    var verdict = document.createElement("p");
    verdict.id = "verdict";
    verdict.className = "verdict-text";
    verdict.textContent = final.verdict;
    outcome.appendChild(verdict);
    var list = document.createElement("ul");
    list.id = "details";
    final.details.forEach(function (line) {
      var item = document.createElement("li");
      item.className = "mono";
      item.textContent = line;
      list.appendChild(item);
    });
    outcome.appendChild(list);
  });
})();
