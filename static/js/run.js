/* run.js - stream a run's answer into the page token by token.
 * Without this script the form posts normally and the page shows the
 * result once complete.
 *  - A refusal (bad input, plan, quota) shows next to its field, or above
 *    the Run button, never in the output box.
 *  - The end of a run updates "runs left"; at 0 the Run button is disabled
 *    and the notice of the reset and the upgrade shows.
 *  - Stop closes the stream (the server then stops the model) and shows
 *    the output exactly as it was saved, read back from the server. */
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
  var alertBox = document.getElementById("run-alert");
  var version = document.getElementById("version");
  var controller = null, execId = 0, stopped = false;

  function word(name) { return card.getAttribute("data-" + name) || name; }

  if (version) version.addEventListener("change", function () {
    window.location = version.getAttribute("data-reload") + encodeURIComponent(version.value);
  });

  function clearErrors() {
    alertBox.hidden = true;
    alertBox.textContent = "";
    form.querySelectorAll(".field-error").forEach(function (p) {
      p.hidden = true;
      p.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
  }

  /* The error next to the field it concerns: #var-NAME-error for a
   * variable, #FIELD-error for the version or the model. */
  function fieldError(id, text) {
    var p = document.getElementById(id + "-error");
    var input = document.getElementById(id);
    if (!p) return false;
    p.textContent = p.textContent ? p.textContent + " " + text : text;
    p.hidden = false;
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  }

  function showError(err) {
    var placed = false;
    (err.details || []).forEach(function (d) {
      if (d.variable && fieldError("var-" + d.variable, d.message)) placed = true;
    });
    if (!placed && err.field && err.field !== "variables") placed = fieldError(err.field, err.message);
    if (!placed) {
      alertBox.textContent = err.message;
      alertBox.hidden = false;
    }
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  /* "runs left" from the answer's daily usage; at 0, no more runs (the
   * next finish() leaves the Run button disabled). */
  function updateDaily(daily) {
    var left = document.getElementById("runs-left");
    if (!daily || !left) return;
    left.textContent = daily.left + " " + (left.getAttribute("data-of") || "of") + " " + daily.limit;
    left.setAttribute("data-left", String(daily.left));
    var limit = document.getElementById("run-limit");
    if (limit) limit.hidden = daily.left > 0;
    runBtn.setAttribute("data-exhausted", daily.left > 0 ? "0" : "1");
  }

  function finish(text) {
    status.textContent = text;
    runBtn.disabled = runBtn.getAttribute("data-exhausted") === "1";
    stopBtn.hidden = true;
    controller = null;
  }

  function showMeta(d) {
    meta.textContent = "";
    var u = d.usage || { input_tokens: d.input_tokens, output_tokens: d.output_tokens };
    meta.appendChild(document.createTextNode((u.input_tokens || 0) + " " + word("input") + " / " +
      (u.output_tokens || 0) + " " + word("output") + " · " + (d.cost_display || d.cost || "") +
      (d.latency_ms != null ? " · " + d.latency_ms + " ms" : "") + " · "));
    var a = document.createElement("a");
    a.href = "/executions/" + d.id;
    a.id = "run-link";
    a.textContent = word("execution") + d.id;
    meta.appendChild(a);
  }

  function handle(event, data) {
    var d = JSON.parse(data);
    if (event === "delta") {
      if (!stopped) out.textContent += d.t;
    } else if (event === "done") {
      out.textContent = d.output;
      updateDaily(d.daily);
      finish(word("done"));
      showMeta(d);
    } else if (event === "error") {
      updateDaily(d.daily);
      finish(word("failed"));
      meta.textContent = d.message;
    }
  }

  /* After Stop: the run as saved, once the server has settled it. */
  function readBack(tries) {
    var slug = form.getAttribute("data-slug");
    fetch("/prompts/" + encodeURIComponent(slug) + "/run/" + execId, {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (resp) { return resp.json(); }).then(function (d) {
      if (d.status === "RUNNING" && tries > 0) {
        setTimeout(function () { readBack(tries - 1); }, 250);
        return;
      }
      if (d.error) { finish(word("stopped")); return; }
      out.textContent = d.output;
      out.setAttribute("data-saved", "1");
      updateDaily(d.daily);
      finish(word("stopped"));
      showMeta(d);
    }).catch(function () { finish(word("stopped")); });
  }

  runBtn.setAttribute("data-exhausted", runBtn.disabled ? "1" : "0");

  stopBtn.addEventListener("click", function () {
    if (!controller) return;
    stopped = true;
    controller.abort();
    controller = null;
    stopBtn.hidden = true;
    status.textContent = word("stopping");
    if (execId) readBack(40);
    else finish(word("stopped"));
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    out.textContent = "";
    out.removeAttribute("data-saved");
    meta.textContent = "";
    card.hidden = false;
    status.textContent = word("running");
    runBtn.disabled = true;
    stopBtn.hidden = false;
    stopped = false;
    execId = 0;
    controller = new AbortController();
    fetch(form.action, {
      method: "POST", body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "text/event-stream" }, signal: controller.signal,
      credentials: "same-origin"
    }).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") !== 0) {
        return resp.json().then(function (j) {
          finish(word("refused"));
          card.hidden = true;
          showError(j.error || { message: "HTTP " + resp.status });
        });
      }
      execId = parseInt(resp.headers.get("X-Execution-Id") || "0", 10);
      card.setAttribute("data-execution-id", String(execId));
      var reader = resp.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) { if (controller) finish(word("lost")); return; }
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
      if (e.name !== "AbortError") finish(word("lost"));
    });
  });
})();
