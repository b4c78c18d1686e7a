"""A regression run in a real browser: from a version's page, "Run
regression" opens the run's page, whose progress bar and results fill in
while the samples run in the background (the page reads itself again
every second), ending with the summary; on a phone and on a desktop, with
no sideways scrolling and no console error."""
import json

from tests.browser.cdp import DESKTOP, PHONE
from tests.browser.site import FREE_MODEL, BrowserCase, sign_in
from tests.integration.stack import PASSWORD, api, new_user
from tests.integration.test_regressions import add_sample

# Every value the progress bar takes, and the number of result rows,
# recorded in the page while the run goes on.
WATCH_JS = r"""(function () {
  window.__seen = [];
  setInterval(function () {
    var p = document.querySelector("#run-live .run-progress");
    var rows = document.querySelectorAll("#run-live tr.result").length;
    var ended = document.getElementById("run-live").getAttribute("data-ended");
    if (p) window.__seen.push([Number(p.value), Number(p.max), rows, ended]);
  }, 50);
  return true;
})()"""


class LiveRunTest(BrowserCase):
    stack_settings = {"run_threads": "2", "run_poll_ms": "100"}

    def test_desktop(self):
        self.live("desktop", DESKTOP)

    def test_phone(self):
        self.live("phone", PHONE)

    def live(self, name, device):
        c = new_user(self.stack)             # FREE: one run at a time
        r = api(c, "POST", "/api/v1/prompts", {
            "name": "Live " + name, "slug": "live-" + name, "model": FREE_MODEL,
            "user_template": "Describe {{topic}}"})
        self.assertEqual(r.status, 201, r.text)
        for k in range(3):
            add_sample(self.stack, c, "live-" + name, "sample %d" % k,
                       {"topic": "t%d [[fake:delay_ms=900]]" % k},
                       [{"type": "contains", "value": "t%d" % k if k < 2 else "absent"}])
        page = self.browser.new_page()
        self.addCleanup(page.close)
        page.set_viewport(*device)
        sign_in(page, self.stack, c.email, PASSWORD)
        page.navigate(self.stack.url("/prompts/live-%s/versions/1" % name))
        self.assertEqual(self.page_checks(page, "version page"), [])
        page.click_and_wait('form[action$="/versions/1/regressions"] button')
        self.assertRegex(page.url(), r"/prompts/live-%s/regressions/\d+$" % name)
        page.evaluate(WATCH_JS)
        page.wait_for('document.getElementById("run-live").getAttribute("data-ended")'
                      ' === "true"', timeout=30, what="the run's end")
        seen = page.evaluate("JSON.stringify(window.__seen)")
        seen = json.loads(seen)
        values = [v for v, _, _, _ in seen]
        values.append(page.evaluate('Number(document.querySelector("#run-live'
                                    ' .run-progress").value)'))
        self.assertTrue(all(m == 3 for _, m, _, _ in seen), seen)
        # The bar moved through the samples as they ended, not at once.
        self.assertEqual(values[0], 0)
        self.assertEqual(values[-1], 3)
        self.assertTrue(set(values) & {1, 2}, values)
        self.assertEqual(values, sorted(values))
        self.assertEqual(page.evaluate('document.querySelectorAll("#run-live tr.result").length'), 3)
        summary = page.text("#run-live .run-summary")
        self.assertIn("Passed", summary)
        self.assertEqual(page.text("#run-live .run-passed"), "2")
        self.assertEqual(page.text("#run-live .run-failed"), "1")
        self.assertEqual(self.page_checks(page, "run page, ended"), [])
