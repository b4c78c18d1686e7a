/* version_form.js - the prompt and version forms, enhanced:
 *  - the model list gets a search box and a line on the chosen model
 *    (price, context, whether the plan can run it);
 *  - the variables are detected from the messages as they are typed: a
 *    block of settings (type, required, default, description, choices)
 *    appears for each new placeholder, and leaves when it is gone (what
 *    was typed in it comes back with the name);
 *  - "Choices" shows only for "one of a list".
 * Without this script the form works the same, through "Detect variables"
 * and the server's answer; the server checks everything either way. */
"use strict";
(function () {
  /* ---- the model picker ---- */
  var select = document.getElementById("model");
  var search = document.getElementById("model-search");
  var details = document.getElementById("model-details");

  function describe() {
    if (!select || !details) return;
    var o = select.options[select.selectedIndex];
    if (!o) { details.textContent = details.getAttribute("data-none"); return; }
    details.textContent = "";
    if (o.getAttribute("data-unknown")) {
      details.textContent = details.getAttribute("data-unknown");
      return;
    }
    var id = document.createElement("span");
    id.className = "mono";
    id.textContent = o.value;
    details.appendChild(id);
    details.appendChild(document.createTextNode(" · " + o.getAttribute("data-price") +
      " · " + o.getAttribute("data-context") + " · " +
      details.getAttribute(o.getAttribute("data-allowed") === "1" ? "data-can" : "data-cannot")));
  }

  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0, i, o, text;
    for (i = 0; i < select.options.length; i++) {
      o = select.options[i];
      text = (o.value + " " + o.textContent + (o.getAttribute("data-free") ? " free" : "")).toLowerCase();
      o.hidden = !o.selected && !words.every(function (w) { return text.indexOf(w) >= 0; });
      if (!o.hidden) shown++;
    }
    select.setAttribute("data-shown", String(shown));
  }

  if (select && search) {
    search.hidden = false;
    search.addEventListener("input", filter);
    /* Enter in the search box picks the first match, not the form. */
    search.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      for (var i = 0; i < select.options.length; i++) {
        if (!select.options[i].hidden && !select.options[i].disabled) {
          select.selectedIndex = i;
          describe();
          break;
        }
      }
    });
    select.addEventListener("change", describe);
  }

  /* ---- variables ---- */
  var list = document.getElementById("vars-list");
  var tmpl = document.getElementById("var-template");
  var empty = document.getElementById("vars-empty");
  if (!list || !tmpl || !tmpl.content) return;
  var detectRow = document.getElementById("vars-detect-row");
  if (detectRow) detectRow.parentNode.removeChild(detectRow);
  var sources = ["system", "user_template", "messages_json"].map(function (id) {
    return document.getElementById(id);
  }).filter(Boolean);
  var parked = {};     /* blocks of names no longer in the messages */
  var NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

  /* The placeholders of one text, as the server reads them (vars.h):
   * {{name}} closed on its line, "{{{{" a literal. */
  function scan(text, names) {
    var i = 0, j, n = text.length, name;
    while (i < n) {
      if (text.substr(i, 2) !== "{{") { i++; continue; }
      if (text.substr(i + 2, 2) === "{{") { i += 4; continue; }
      for (j = i + 2; j < n; j++) {
        if (text[j] === "\n" || text.substr(j, 2) === "{{") break;
        if (text.substr(j, 2) === "}}") break;
      }
      if (j < n && text.substr(j, 2) === "}}") {
        name = text.slice(i + 2, j).replace(/^[ \t]+|[ \t]+$/g, "");
        if (NAME.test(name) && names.indexOf(name) < 0) names.push(name);
        i = j + 2;
      } else {
        i = j;
      }
    }
  }

  function texts() {
    var out = [];
    sources.forEach(function (el) {
      if (el.id !== "messages_json") { out.push(el.value); return; }
      try {
        JSON.parse(el.value).forEach(function (m) {
          if (m && typeof m.content === "string") out.push(m.content);
        });
      } catch (e) { out = null; }
    });
    return out;
  }

  function blockOf(name) {
    return list.querySelector('[data-var="' + name + '"]');
  }

  function newBlock(name) {
    var frag = document.importNode(tmpl.content, true);
    var block = frag.querySelector("[data-var]");
    var all = [block].concat(Array.prototype.slice.call(block.querySelectorAll("*")));
    all.forEach(function (el) {
      ["id", "name", "for", "data-var"].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v && v.indexOf("__VAR__") >= 0) el.setAttribute(a, v.split("__VAR__").join(name));
      });
      if (el.childNodes.length === 1 && el.firstChild.nodeType === 3 &&
          el.textContent === "__VAR__") el.textContent = name;
    });
    return block;
  }

  function syncChoices(block) {
    var type = block.querySelector("[data-var-type]");
    var box = block.querySelector("[data-var-choices]");
    if (!type || !box) return;
    box.hidden = type.value !== "enum";
    box.querySelectorAll("input").forEach(function (i) { i.disabled = box.hidden; });
  }

  function detect() {
    var t = texts(), names = [];
    if (t === null) return;          /* chat JSON being typed: wait */
    t.forEach(function (s) { scan(s, names); });
    Array.prototype.slice.call(list.querySelectorAll("[data-var]")).forEach(function (b) {
      var n = b.getAttribute("data-var");
      if (names.indexOf(n) < 0) { parked[n] = b; list.removeChild(b); }
    });
    names.forEach(function (n) {
      var b = blockOf(n);
      if (!b) {
        b = parked[n] || newBlock(n);
        delete parked[n];
        syncChoices(b);
      }
      list.appendChild(b);           /* in the order of the messages */
    });
    if (empty) empty.hidden = names.length > 0;
    list.setAttribute("data-names", names.join(","));
  }

  var timer = null;
  sources.forEach(function (el) {
    el.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(detect, 120);
    });
  });
  list.addEventListener("change", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-var-type")) {
      syncChoices(ev.target.closest("[data-var]"));
    }
  });
  Array.prototype.slice.call(list.querySelectorAll("[data-var]")).forEach(syncChoices);
  detect();
})();
