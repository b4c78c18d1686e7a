/* runs.js - the live part of a regression run's or a benchmark's page:
 * while the run goes on, the page reads itself again every second and
 * puts the new #run-live in place (progress bar, summary, results as
 * they arrive). Without it the page shows the run as it was loaded. */
"use strict";
(function () {
  var live = document.getElementById("run-live");
  if (!live || live.getAttribute("data-ended") === "true") return;
  function tick() {
    fetch(window.location.href, { credentials: "same-origin",
                                  headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("run-live");
        if (!next) return;
        /* keep the details the user opened */
        var open = {};
        live.querySelectorAll("details[open]").forEach(function (d, i) { open[i] = true; });
        live.innerHTML = next.innerHTML;
        live.querySelectorAll("details").forEach(function (d, i) { if (open[i]) d.open = true; });
        live.setAttribute("data-ended", next.getAttribute("data-ended"));
        if (next.getAttribute("data-ended") !== "true") setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
