"""What the browser tests share: a stack and a browser per test module,
accounts filled with the things people make (categories, prompts with
typed variables, versions in every status, executions that succeeded and
failed), the site's pages read from app/routes.c, and the checks every
page must pass at both widths (no sideways scrolling, every control in
reach, no word broken in the middle, no console error)."""
import contextlib
import json
import os
import re
import time
import unittest

from tests.browser.cdp import DESKTOP, PHONE, Browser
from tests.integration.stack import PASSWORD, Client, Stack, api, new_user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Screenshots of what failed, one PNG per page and width (of every page
# checked with BROWSER_SHOTS_ALL=1, to look at them).
SHOTS = os.environ.get("BROWSER_SHOTS") or os.path.join(ROOT, "build", "browser-failures")
WIDTHS = (("phone", PHONE), ("desktop", DESKTOP))

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
PAID_MODEL = "anthropic/claude-3-opus"
# Text that stresses a narrow screen: long words, a long unbroken token,
# a long URL.
TOKEN = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
LONG_URL = "https://docs.example.com/support/playbooks/escalation/on-call-handover-checklist"


# ---------------------------------------------------------------- pages

_ROUTE_RE = re.compile(r'\{\s*M_GET\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(AUTH_\w+)')
# GET routes that are not pages a person looks at.
NOT_PAGES = ("/api/", "/_", "/webhooks/")
# Answered as a file to save, or as JSON for a page's script: not pages.
DOWNLOADS = {"/prompts/:slug/export", "/executions.csv", "/prompts/:slug/run/:id",
             "/prompts/:slug/samples/export"}


def page_routes():
    """[(pattern, auth)] of every GET route of app/routes.c that is a page
    (not the API, the test routes or a download)."""
    with open(os.path.join(ROOT, "app", "routes.c"), encoding="utf-8") as f:
        src = f.read()
    out = []
    for pattern, _handler, auth in _ROUTE_RE.findall(src):
        if pattern.startswith(NOT_PAGES) or pattern in DOWNLOADS:
            continue
        out.append((pattern, auth))
    return out


def route_of(path, routes):
    """The pattern of routes that path matches (":n" and ":id" are
    numbers, ":slug" and other parameters one segment), or None."""
    segs = path.rstrip("/").split("/") if path != "/" else [""]
    for pattern, _auth in routes:
        psegs = pattern.rstrip("/").split("/") if pattern != "/" else [""]
        if len(psegs) != len(segs):
            continue
        for p, s in zip(psegs, segs):
            if p.startswith(":"):
                if p in (":n", ":id") and not s.isdigit():
                    break
                if not s:
                    break
            elif p != s:
                break
        else:
            return pattern
    return None


# ---------------------------------------------------------------- checks

# Everything a person would see go wrong on a narrow screen, as sentences.
# W is the device's width: a phone's browser widens its window to what
# the page needs when it is wider, so innerWidth alone proves nothing.
LAYOUT_JS = r"""(function (W) {
  var out = [], de = document.documentElement;
  W = Math.min(W, window.innerWidth);
  function desc(e) {
    var s = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
      (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
    var t = (e.textContent || e.value || "").replace(/\s+/g, " ").trim().slice(0, 50);
    return s + (t ? " “" + t + "”" : "");
  }
  function shown(e) {
    var b = e.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && getComputedStyle(e).visibility !== "hidden";
  }
  var all = document.body.getElementsByTagName("*");
  if (de.scrollWidth > W || window.innerWidth > W) {
    var wide = [];
    for (var i = 0; i < all.length && wide.length < 4; i++) {
      var e = all[i], p = e.parentElement;
      if (e.getBoundingClientRect().right > W + 1 && shown(e) &&
          !(p && p.getBoundingClientRect().right > W + 1))
        wide.push(desc(e) + " reaches " + Math.round(e.getBoundingClientRect().right) + "px");
    }
    out.push("the page scrolls sideways (" + de.scrollWidth + "px wide on a " + W +
      "px screen): " + wide.join("; "));
  }
  for (var i = 0; i < all.length; i++) {
    var e = all[i], cs = getComputedStyle(e);
    if (/^(TEXTAREA|INPUT|SELECT)$/.test(e.tagName)) continue;
    if ((cs.overflowX === "auto" || cs.overflowX === "scroll") &&
        e.scrollWidth > e.clientWidth + 1 && shown(e))
      out.push(desc(e) + " scrolls sideways inside (" + e.scrollWidth + "px in " +
        e.clientWidth + "px)");
  }
  var controls = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  for (var i = 0; i < controls.length; i++) {
    var e = controls[i];
    if (!shown(e) || e.closest(".skip, .sr")) continue;
    var b = e.getBoundingClientRect();
    if (b.left < -1 || b.right > W + 1) {
      out.push(desc(e) + " is out of the window (" + Math.round(b.left) + "–" +
        Math.round(b.right) + "px)");
      continue;
    }
    for (var a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      var ox = getComputedStyle(a).overflowX;
      if (ox === "visible") continue;
      var ab = a.getBoundingClientRect();
      if (b.right > ab.right + 1 || b.left < ab.left - 1) {
        out.push(desc(e) + " is cut off by " + desc(a));
        break;
      }
    }
  }
  // A word broken across lines is a fault when its line had room for the
  // whole run of text around it, or when its column is too narrow for
  // text (under 10em); a run longer than the line (a hash, raw JSON) must
  // break somewhere.
  function lineWidth(e, node) {      // [block, width its lines have, font size]
    while (e && /^inline/.test(getComputedStyle(e).display)) e = e.parentElement;
    var cs = getComputedStyle(e), b = e.getBoundingClientRect();
    var right = b.right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth);
    var left = b.left + parseFloat(cs.paddingLeft) + parseFloat(cs.borderLeftWidth);
    var r = document.createRange(), rs;
    r.selectNodeContents(node);
    rs = r.getClientRects();
    if (rs.length) {                   // lines start where the text's first line does
      left = rs[0].left;
      for (var i = 1; i < rs.length; i++) left = Math.min(left, rs[i].left);
    }
    return [e, right - left, parseFloat(cs.fontSize)];
  }
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n, runs = 0;
  var broken = new Map();
  while ((n = walker.nextNode()) && runs < 20000) {
    var pe = n.parentElement;
    if (!pe || /^(SCRIPT|STYLE|TEXTAREA|OPTION)$/.test(pe.tagName) || !shown(pe) ||
        pe.closest(".sr, .skip")) continue;
    var re = /\S+/g, m, line = null;
    while ((m = re.exec(n.data))) {
      var wre = /[A-Za-z0-9]+/g, w, split = [];
      while ((w = wre.exec(m[0]))) {
        if (w[0].length < 2 || w[0].length > 12) continue;
        var r = document.createRange();
        r.setStart(n, m.index + w.index); r.setEnd(n, m.index + w.index + w[0].length);
        var rects = r.getClientRects();
        for (var k = 1; k < rects.length; k++)
          if (Math.abs(rects[k].top - rects[0].top) > 2) { split.push(w[0]); break; }
      }
      runs++;
      if (!split.length) continue;
      line = line || lineWidth(pe, n);
      var rr = document.createRange();
      rr.setStart(n, m.index); rr.setEnd(n, m.index + m[0].length);
      var total = 0, rs = rr.getClientRects();
      for (var k = 0; k < rs.length; k++) total += rs[k].width;
      if (line[1] >= 10 * line[2] && total > line[1]) continue;     // had to break
      var key = desc(line[0]) + (line[1] < 10 * line[2] ?
        " (a column " + Math.round(line[1]) + "px wide)" : "");
      broken.set(key, (broken.get(key) || []).concat(split));
    }
  }
  broken.forEach(function (words, where) {
    out.push("words broken across lines in " + where + ": " + words.slice(0, 8).join(", ") +
      (words.length > 8 ? " and " + (words.length - 8) + " more" : ""));
  });
  return out;
})(%d)"""


def layout_problems(page):
    """What is wrong with the current page at its width (LAYOUT_JS)."""
    return page.evaluate(LAYOUT_JS % page.width)


def shot_name(*parts):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(str(p) for p in parts)).strip("_")


def screenshot(page, *name):
    """Save a screenshot of page under SHOTS; returns its path (or the
    reason it could not be taken)."""
    path = os.path.join(SHOTS, shot_name(*name)[:150] + ".png")
    try:
        return page.screenshot(path)
    except Exception as e:        # the evidence must not hide the failure
        return "no screenshot (%s)" % e


# ---------------------------------------------------------------- accounts

def sign_in(page, stack, email, password=PASSWORD):
    """Log page's browser context in through the log-in form."""
    page.navigate(stack.url("/login"))
    page.type("#email", email)
    page.type("#password", password)
    page.click_and_wait("main form button[type=submit]")
    url = page.url()
    if "/login" in url:
        raise AssertionError("could not log in as %s: %s" % (email, page.text("main")))


def make_admin(stack):
    """A new admin account's Client (logged in), with its .email."""
    email = "admin-%d-%d@example.com" % (os.getpid(), int(time.time() * 1000) % 10**9)
    r = stack.admin("create-admin", email, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    c = Client(stack)
    assert c.login(email, PASSWORD).status == 303
    c.email = email
    return c


def _ok(r, status=(200, 201)):
    assert r.status in status, (r.status, r.text[:500])
    return r


def run_form(c, slug, variables, model=None):
    """A run through the run page's form, as without script."""
    form = {"_csrf": c.api_token}
    for k, v in variables.items():
        form["var." + k] = v
    if model:
        form["model"] = model
    return c.request("POST", "/prompts/%s/run" % slug, form=form)


def seed_account(stack, plan=None):
    """A new user (plan: a catalog code such as "PRO") with what people
    make: two categories (one with a long name), a prompt with typed
    variables in three versions (production, archived, draft), a chat
    prompt, an uncategorised one, and executions that succeeded and failed.
    Returns the Client, with .slug the main prompt's slug."""
    c = new_user(stack, plan=plan)
    cats = []
    for name in ("Support", "Internationalisation and localisation experiments"):
        cats.append(_ok(api(c, "POST", "/api/v1/categories", {"name": name})).json()["id"])
    model = PAID_MODEL if plan == "PRO" else FREE_MODEL
    variables = [
        {"name": "ticket", "type": "string", "required": True,
         "description": "The customer's message, as they wrote it"},
        {"name": "tone", "type": "enum", "choices": ["warm", "formal", "very-apologetic"],
         "required": False, "default": "warm"},
        {"name": "count", "type": "number", "required": False, "default": 3},
        {"name": "escalate", "type": "boolean", "required": False, "default": False},
    ]
    p = _ok(api(c, "POST", "/api/v1/prompts", {
        "name": "Summarise a support ticket for the on-call engineer",
        "slug": "summarise-support-ticket-for-the-on-call-engineer",
        "description": "Turns a long customer e-mail into a short handover. See " + LONG_URL,
        "category_id": cats[0],
        "system": "You are a calm support lead. Never promise refunds. Reference " + TOKEN,
        "user_template": "Summarise {{ticket}} in {{count}} bullet points, in a {{tone}} "
                         "tone.\nEscalate: {{escalate}}",
        "model": model, "params": {"temperature": 0.7, "top_p": 0.9, "max_tokens": 400},
        "variables": variables,
        "commit_message": "First version, written with the support team after the "
                          "incident review of the handover process"})).json()
    slug = p["slug"]
    url = "/api/v1/prompts/%s/versions" % slug
    _ok(api(c, "POST", url, {
        "user_template": "Summarise {{ticket}} in {{count}} short bullet points for the "
                         "engineer on call, in a {{tone}} tone.\nEscalate: {{escalate}}",
        "params": {"temperature": 0.3, "top_p": 0.9, "max_tokens": 400},
        "commit_message": "Shorter bullets"}))
    _ok(api(c, "POST", url, {
        "user_template": "Summarise {{ticket}} in {{count}} short bullet points for the "
                         "engineer on call, in a {{tone}} tone, and name the product "
                         "area.\nEscalate: {{escalate}}",
        "commit_message": "Name the product area (" + TOKEN + ")"}))
    _ok(api(c, "POST", url + "/1/promote"))
    _ok(api(c, "POST", url + "/2/promote"))          # v1 archived, v3 a draft
    _ok(api(c, "POST", "/api/v1/prompts", {
        "name": "Translate release notes", "category_id": cats[1],
        "messages": [{"role": "system", "content": "Translate into {{language}}."},
                     {"role": "user", "content": "Release notes:\n{{notes}}"},
                     {"role": "assistant", "content": "Which product?"},
                     {"role": "user", "content": "Prompt Manager " + TOKEN}],
        "model": model}))
    _ok(api(c, "POST", "/api/v1/prompts", {
        "name": "Scratch", "user_template": "Say hello to {{name}}", "model": model}))
    _ok(run_form(c, slug, {"ticket": "My invoice " + TOKEN + " is wrong, please call me "
                           "back before Friday", "tone": "formal", "count": "2"}))
    r = run_form(c, slug, {"ticket": "Unreachable [[fake:status=502]]"})
    assert r.status >= 400 or "failed" in r.text.lower(), (r.status, r.text[:300])
    if plan == "PRO":
        _ok(run_form(c, slug, {"ticket": "Premium run"}, model="openai/gpt-4o"))
        _seed_byok(stack, c)
    _ok(api(c, "POST", "/api/v1/prompts/%s/samples" % slug, {
        "name": "Invoice complaint answered formally, with the escalation flag set "
                "for the billing team " + TOKEN,
        "variables": {"ticket": "My invoice " + TOKEN + " is wrong", "tone": "formal"},
        "expected_output": "- The customer disputes invoice " + TOKEN + " " + LONG_URL,
        "checks": [{"type": "contains", "value": "invoice"},
                   {"type": "word-count", "max": 80, "weight": 2},
                   {"type": "regex", "pattern": "^- ", "not": True}]}))
    _seed_runs(stack, c, slug, model)
    c.slug = slug
    return c


def _seed_runs(stack, c, slug, model):
    """A regression run of the main prompt's production version (v2)
    against its golden sample, and a benchmark, started from their forms
    and waited for (two executions: what a FREE account has left)."""
    _ok(c.post_form("/prompts/%s/versions/2/regressions" % slug,
                    {"_csrf": c.api_token}), (303,))
    _ok(c.post_form("/prompts/%s/benchmarks" % slug, {
        "_csrf": c.api_token, "version": "2", "mode": "values",
        "variables": '{"ticket": "A short one"}', "m." + model: "1"}), (303,))
    deadline = time.time() + 60
    while stack.sql("SELECT COUNT(*) FROM golden_runs r JOIN users u ON u.id = r.user_id"
                    " WHERE u.email = '%s' AND r.items_done < r.items_total"
                    % c.email) != [("0",)]:
        assert time.time() < deadline, "the seeded runs did not end"
        time.sleep(0.2)


def _seed_byok(stack, c):
    """A PRO account's own OpenRouter key (Settings > BYOK), failing."""
    import urllib.request
    key = "sk-or-v1-" + "b" * 60 + "9c3f"
    req = urllib.request.Request(stack.openrouter_url("/__fake/keys"), method="POST",
                                 data=json.dumps({"key": key}).encode())
    urllib.request.urlopen(req, timeout=10).read()
    _ok(c.post_form("/settings/byok/test", {"provider": "openrouter", "key": key}))
    assert c.post_form("/settings/byok/save", {"provider": "openrouter"}).status == 303
    stack.sql("UPDATE byok_keys SET failing_status = 402, failing_reason = 'Insufficient"
              " credits', failing_since = 1700000000")


# ---------------------------------------------------------------- test case

class BrowserCase(unittest.TestCase):
    """A test module's stack (lighttpd, the demo models) and browser,
    started once for the class and stopped after it, also on failure."""
    stack_settings = {}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2, settings=cls.stack_settings)
        cls.stack.start()
        try:
            cls.browser = Browser().start()
        except BaseException:
            cls.stack.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.close()
        finally:
            cls.stack.stop()

    def page_checks(self, page, what, allow=()):
        """The failures of the current page, each a sentence naming what
        (with a screenshot): layout problems and console errors, but for
        those containing one of the strings of allow."""
        found = list(layout_problems(page))
        found += [p for p in page.problems if not any(a in p for a in allow)]
        page.clear_problems()
        if os.environ.get("BROWSER_SHOTS_ALL"):
            screenshot(page, "all", self.id().split(".")[-1], what)
        if found:
            found.append("screenshot: " + screenshot(page, self.id().split(".")[-1], what))
        return ["%s: %s" % (what, f) for f in found]

    @contextlib.contextmanager
    def step(self, page, name):
        """A step of a walk: on failure the message names it, with a
        screenshot of the page."""
        try:
            yield
        except Exception as e:
            path = screenshot(page, self.id().split(".")[-1], name)
            raise AssertionError("step %r failed: %s\nscreenshot: %s\nat %s"
                                 % (name, e, path, page.evaluate("location.href"))) from e

    def check(self, page, what):
        """The current page fits and logged no error (page_checks)."""
        self.assertEqual(self.page_checks(page, what), [])

    @staticmethod
    def js(value):
        return json.dumps(value)
