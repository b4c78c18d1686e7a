"""A new user's first minutes, in a real browser, on a desktop and on a
phone: sign up, create a prompt with typed variables, run it and watch the
answer stream in, then find it on the dashboard. Every page on the way fits
the screen (no sideways scrolling, controls in reach) and logs no console
error; every click is a real mouse click on a visible, uncovered element.

The new-prompt form detects the variables as they are typed and lets
their types be set there; the run page fills their defaults; the dashboard
lists the run."""
import re

from tests.browser.cdp import DESKTOP, PHONE
from tests.browser.site import FREE_MODEL, BrowserCase

TEMPLATE = "Write {{count}} facts about {{topic}} in a {{tone}} tone."
# The demo stand-in paces its answer with this directive (one word every
# 70 ms), so that streaming is seen whatever its default pace.
PACE = " [[fake:chunk_delay_ms=70]]"

# Records, in the page, every length the streamed output takes while the
# run's result line (#run-meta) is still empty, and whether it ended.
WATCH_JS = r"""(function () {
  var out = document.getElementById("run-output"), meta = document.getElementById("run-meta");
  window.__stream = {lengths: [], ended: false};
  function look() {
    var s = window.__stream;
    if (s.ended) return;
    if (meta.textContent.trim()) { s.ended = true; s.final = out.textContent; return; }
    var n = out.textContent.length;
    if (n && n !== s.lengths[s.lengths.length - 1]) s.lengths.push(n);
  }
  new MutationObserver(look).observe(document.getElementById("run-output-card"),
    {childList: true, characterData: true, subtree: true});
  return true;
})()"""


class WalkthroughTest(BrowserCase):
    n = 0

    def test_desktop(self):
        self.walk("desktop", DESKTOP)

    def test_phone(self):
        self.walk("phone", PHONE)

    def walk(self, name, device):
        page = self.browser.new_page()
        self.addCleanup(page.close)
        page.set_viewport(*device)
        WalkthroughTest.n += 1
        email = "walk-%s-%d-%d@example.com" % (name, WalkthroughTest.n, id(self) % 100000)
        password = "correct-horse-battery"
        prompt_name = "Facts for class %s" % name

        with self.step(page, "sign up"):
            page.navigate(self.stack.url("/"))
            self.check(page, "home")
            page.click_and_wait('main a[href="/signup"]')
            self.check(page, "sign-up form")
            page.type("#email", email)
            page.type("#password", password)
            page.type("#password_confirm", password)
            page.click_and_wait("main form button[type=submit]")
            self.assertRegex(page.url(), r"/dashboard$")
            self.check(page, "dashboard after sign-up")

        with self.step(page, "open the new-prompt form"):
            # the first-steps guide links to /prompts/new; else via /prompts
            if not page.exists('main a[href="/prompts/new"]'):
                page.click_and_wait('main a[href="/prompts"]')
            page.click_and_wait('main a[href="/prompts/new"]')
            self.assertRegex(page.url(), r"/prompts/new$")
            self.check(page, "new-prompt form")

        with self.step(page, "create a prompt with typed variables"):
            page.type("#name", prompt_name)
            # typed key by key, so that a form that detects the variables
            # as they are typed sees every key
            page.type("#user_template", TEMPLATE, per_key=True)
            self.choose_model(page)
            # the form detects the variables as they are typed: their
            # types are set right here, before the prompt exists
            self.assertTrue(self.wait_optional(page, '[name="var.count.type"]'),
                            "the new-prompt form did not detect {{count}} as it was typed")
            self.type_variables(page)
            self.check(page, "new-prompt form with its variables")
            page.click_and_wait("main form button[type=submit]")
            self.assertRegex(page.url(), r"/prompts/[a-z0-9-]+$")
            self.check(page, "prompt page")
            slug = page.url().rsplit("/", 1)[1]
            body = page.text("main")
            self.assertIn(prompt_name, body)
            self.assertRegex(body, r"count\s*number")     # the variables table
            self.assertRegex(body, r"tone\s*enum")

        with self.step(page, "run it and watch it stream"):
            run = 'main a[href^="/prompts/%s/run"]' % slug
            if not page.exists(run):
                page.click_and_wait('main a[href="/prompts/%s"]' % slug)
            page.click_and_wait(run)
            self.latest_version(page)
            self.check(page, "run page")
            # the default of count is filled in
            self.assertEqual(page.evaluate("document.getElementById('var-count').value"), "3")
            page.type("#var-topic", "tides" + PACE)
            page.select("#var-tone", "formal")
            page.select("#model", FREE_MODEL)
            page.evaluate(WATCH_JS)
            page.click("#run-button")
            page.wait_for("window.__stream.ended", timeout=30, what="the run to end")
            s = page.evaluate("window.__stream")
            self.assertIn("echo: Write 3 facts about tides", s["final"])
            self.assertIn("formal tone", s["final"])
            # the answer grew in at least two steps before the run ended
            self.assertGreaterEqual(len(s["lengths"]), 2, s)
            self.assertLess(s["lengths"][0], len(s["final"]), s)
            meta = page.text("#run-meta")
            self.assertRegex(meta, r"execution #\d+")
            self.check(page, "run page after the run")

        with self.step(page, "see it on the dashboard"):
            page.click_and_wait("a.brand")
            self.assertRegex(page.url(), r"/dashboard$")
            self.check(page, "dashboard")
            body = page.text("main")
            self.assertIn(prompt_name, body)
            self.assertRegex(body, r"(?i)succeeded")

    # -- pieces of the form, by field names the server reads
    def choose_model(self, page):
        """A model the FREE plan can run, from the catalog's list."""
        self.assertEqual(page.evaluate("document.getElementById('model').tagName"), "SELECT")
        page.select("#model", FREE_MODEL)

    def type_variables(self, page):
        """count: a number, 3 by default; tone: one of warm or formal."""
        page.select('[name="var.count.type"]', "number")
        page.type('[name="var.count.default"]', "3")
        page.select('[name="var.tone.type"]', "enum")
        page.type('[name="var.tone.choices"]', "warm, formal")

    def wait_optional(self, page, selector, timeout=1.5):
        """True when selector appears within timeout seconds."""
        try:
            page.wait_for("!!document.querySelector(%s)" % self.js(selector), timeout=timeout)
            return True
        except Exception:
            return False

    def latest_version(self, page):
        """Run the newest version (the version list reloads the page)."""
        newest = page.evaluate("""Math.max.apply(null, Array.prototype.map.call(
            document.querySelectorAll('#version option'), function (o) { return +o.value; }))""")
        if int(page.evaluate("document.getElementById('version').value")) != newest:
            n = page.loads
            page.select("#version", str(newest))
            page.wait_load(n)
        self.assertTrue(re.search(r"v%d" % newest, page.text("#version")))
