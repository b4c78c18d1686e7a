/* run.js - stream a run's answer into the page token by token.
 * Without this script the form posts normally and the page shows the
 * result once complete. */
"use strict";
(function () {
  var form = document.getElementById("run-form");
  if (!form || !window.fetch || !window.TextDecoder) return;
  var out = document.getElementById("run-output");
  var card = document.getElementById("run-output-card");
  var status = document.getElementById("run-status");
  var meta = document.getElementById("run-meta");
  var runBtn = document.getElementById("run-button");
  var stopBtn = document.getElementById("stop-button");
  var version = document.getElementById("version");
  var controller = null;

  if (version) version.addEventListener("change", function () {
    window.location = version.getAttribute("data-reload") + encodeURIComponent(version.value);
  });

  function finish(text) {
    status.textContent = text;
    runBtn.disabled = false;
    stopBtn.hidden = true;
    controller = null;
  }

  function handle(event, data) {
    var d = JSON.parse(data);
    if (event === "delta") out.textContent += d.t;
    else if (event === "done") {
      finish("done");
      meta.textContent = (d.usage.input_tokens || 0) + " input / " +
        (d.usage.output_tokens || 0) + " output tokens · " + d.cost_display + " · " +
        d.latency_ms + " ms · execution #" + d.id;
      var left = document.getElementById("runs-left");
      if (left) left.textContent = "(refresh to update)";
    } else if (event === "error") {
      finish("failed");
      meta.textContent = d.message;
    }
  }

  stopBtn.addEventListener("click", function () {
    if (controller) controller.abort();
    finish("stopped");
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    out.textContent = "";
    meta.textContent = "";
    card.hidden = false;
    status.textContent = "running…";
    runBtn.disabled = true;
    stopBtn.hidden = false;
    controller = new AbortController();
    fetch(form.action, {
      method: "POST", body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "text/event-stream" }, signal: controller.signal,
      credentials: "same-origin"
    }).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") !== 0) {
        return resp.json().then(function (j) {
          finish("refused");
          meta.textContent = j.error ? j.error.message : "Error " + resp.status;
        });
      }
      var reader = resp.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) { if (controller) finish("ended"); return; }
          buf += dec.decode(r.value, { stream: true });
          var i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            var block = buf.slice(0, i), ev = "message", data = "";
            buf = buf.slice(i + 2);
            block.split("\n").forEach(function (line) {
              if (line.indexOf("event: ") === 0) ev = line.slice(7);
              else if (line.indexOf("data: ") === 0) data += line.slice(6);
            });
            if (data) handle(ev, data);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      if (e.name !== "AbortError") finish("connection lost");
    });
  });
})();
