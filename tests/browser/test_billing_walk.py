"""Paying for Pro in a real browser, offline, against the local Stripe that
`make run` starts: FREE -> the pricing page's Upgrade -> the local checkout
page -> Pay -> the success page, which shows the new plan once the webhook
made the user PRO (it polls; no reload) -> the API keys unlocked -> switch
to annual -> cancel now, the refund and its arithmetic shown -> FREE again
with the prompt intact. On a desktop and on a phone: our pages fit the
screen and log no console error (the stand-in's checkout page is not ours
and is not checked); every click is a real mouse click."""
import re

from tests.browser.cdp import DESKTOP, PHONE
from tests.browser.site import BrowserCase, sign_in
from tests.integration.stack import api, new_user


class BillingWalkTest(BrowserCase):

    def test_desktop(self):
        self.walk("desktop", DESKTOP)

    def test_phone(self):
        self.walk("phone", PHONE)

    def walk(self, name, device):
        c = new_user(self.stack)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Kept", "slug": "kept",
                                               "model": "openai/gpt-4o-mini",
                                               "user_template": "Hello {{who}}"})
        self.assertEqual(r.status, 201, r.text)
        page = self.browser.new_page()
        self.addCleanup(page.close)
        page.set_viewport(*device)
        sign_in(page, self.stack, c.email)

        with self.step(page, "the pricing page's Upgrade"):
            page.navigate(self.stack.url("/pricing"))
            self.check(page, "pricing page")
            page.click('main form[action="/billing/checkout"] button[type=submit]')
            page.wait_for("location.pathname.indexOf('/checkout/') === 0 &&"
                          " document.readyState === 'complete' &&"
                          " !!document.querySelector(\"form[action$='/pay'] button\")",
                          timeout=15, what="the local checkout page")
            self.assertIn("Subscribe to", page.text("h1"))
            page.clear_problems()           # the stand-in's page is not ours

        with self.step(page, "pay on the local checkout"):
            page.click("form[action$='/pay'] button")
            page.wait_for("location.pathname === '/billing/success' &&"
                          " document.readyState === 'complete'", timeout=15,
                          what="the success page")
            page.wait_for("(document.getElementById('billing-status') || {textContent: ''})"
                          ".textContent.indexOf('You are on') >= 0", timeout=20,
                          what="the plan to be activated by the webhook")
            self.assertRegex(page.text("#billing-status"), r"You are on Pro\.")
            self.check(page, "success page")

        with self.step(page, "PRO: API keys unlocked"):
            page.navigate(self.stack.url("/settings/keys"))
            self.check(page, "API keys page")
            self.assertTrue(page.exists('main form[action="/settings/keys"]'))
            self.assertNotIn("Not in your", page.text("main"))

        with self.step(page, "switch to annual"):
            page.navigate(self.stack.url("/billing"))
            self.check(page, "billing page")
            self.assertIn("Your plan: Pro", page.text("main"))
            page.click_and_wait('main form[action="/billing/change"] button')
            page.wait_for("(document.querySelector('main') || {textContent: ''}).textContent"
                          ".indexOf('a year') >= 0", timeout=15, what="the annual price")
            self.check(page, "billing page, annual")

        with self.step(page, "cancel now, the refund shown"):
            page.click_and_wait('main a[href="/billing/cancel-now"]')
            self.check(page, "cancel-now page")
            body = page.text("main")
            self.assertRegex(body, r"Refund: \$\d+\.\d\d")
            self.assertIn("rounded down", body)
            page.click_and_wait('main form[action="/billing/cancel-now"] button[type=submit]')
            self.assertTrue(page.dialogs, "cancelling now asked for no confirmation")
            page.navigate(self.stack.url("/billing"))
            page.wait_for("(document.querySelector('main') || {textContent: ''}).textContent"
                          ".indexOf('Your plan: Free') >= 0", timeout=15,
                          what="the free plan again")
            self.check(page, "billing page after cancelling")

        with self.step(page, "FREE with the prompt intact"):
            page.navigate(self.stack.url("/prompts/kept"))
            self.check(page, "the prompt kept")
            self.assertIn("Hello {{who}}", page.text("main"))
            self.assertTrue(re.search(r"v1", page.text("main")))
