/* app.js - small progressive enhancements; every page works without it. */
"use strict";
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  var msg = form.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
