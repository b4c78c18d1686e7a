/* app.js - small progressive enhancements; every page works without it. */
"use strict";
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var msg = form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

/* <input type=file data-fill=ID>: put the chosen file's text in #ID. */
document.addEventListener("change", function (ev) {
  var input = ev.target, id = input.getAttribute && input.getAttribute("data-fill");
  if (!id || !input.files || !input.files[0]) return;
  input.files[0].text().then(function (text) {
    document.getElementById(id).value = text;
  });
});

/* <button data-copy=ID>: copy #ID's text, then show the [data-copied]
 * note beside it. */
document.addEventListener("click", function (ev) {
  var b = ev.target, id = b.getAttribute && b.getAttribute("data-copy");
  if (!id || !navigator.clipboard) return;
  navigator.clipboard.writeText(document.getElementById(id).textContent).then(function () {
    var note = b.parentNode.querySelector("[data-copied]");
    if (note) note.hidden = false;
  });
});
