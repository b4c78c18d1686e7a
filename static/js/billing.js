/* billing.js - the success page after Stripe Checkout: ask the site every
 * second (for two minutes at most) whether Stripe's webhook has made the
 * plan active, then show the new plan and its limits. No page reloads;
 * without JavaScript the page has a "Check again" link. */
"use strict";
(function () {
  var box = document.getElementById("billing-status");
  if (!box || !box.querySelector("[data-state=pending]")) return;
  var url = box.getAttribute("data-status-url"), tries = 0;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function show(st) {
    box.textContent = "";
    if (st.state === "active") {
      var p = el("p", "", "flash"), ul = el("ul");
      p.appendChild(document.createTextNode("You are on "));
      p.appendChild(el("strong", st.plan ? st.plan.name : ""));
      p.appendChild(document.createTextNode(". Thank you!"));
      box.appendChild(p);
      (st.plan && st.plan.lines || []).forEach(function (l) { ul.appendChild(el("li", l)); });
      box.appendChild(ul);
      var a = el("a", "Go to your dashboard", "button");
      a.href = "/dashboard";
      box.appendChild(el("p")).appendChild(a);
    } else if (st.state === "declined" || st.state === "expired") {
      box.appendChild(el("p", st.state === "declined" ? st.message :
        "This checkout expired before it was paid. Nothing was charged.", "alert"));
      var b = el("a", "Try again", "button");
      b.href = "/pricing";
      box.appendChild(el("p")).appendChild(b);
    }
  }
  function poll() {
    tries++;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (st) {
        if (st && st.state !== "pending") return show(st);
        if (tries < 120) setTimeout(poll, 1000);
        else box.appendChild(el("p", "This takes longer than usual: the billing page will show your plan as soon as Stripe confirms it.", "muted"));
      })
      .catch(function () { if (tries < 120) setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
