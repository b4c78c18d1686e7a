"""Billing as a user goes through it, against the local Stripe: the pricing
page (monthly/annual, limits side by side), Upgrade (a Customer and one
Checkout Session per intent, with Stripe's bracket-notation form, a fixed
Stripe-Version and an Idempotency-Key), the success page's status until
the webhook makes the user PRO, Stripe down or refusing during an upgrade,
a declined card, monthly <-> annual with proration, cancelling at the
period's end and undoing it, cancelling now with the prorated refund and
its arithmetic, a refund that fails and is retried once, the Billing
Portal, invoices, pm-admin stripe sync repairing missed webhooks; with the
agents-platform catalog: the BYOK price on and off and per-seat plans."""
import json
import os
import re
import tempfile
import threading
import time
import unittest

from tests.fakes.stripe_helpers import (FakeStripe, deliver, main_text, plan_of,
                                        refresh_url, subscribe, upgrade, user_id)
from tests.integration.stack import PASSWORD, Client, Stack, api, new_user

T0 = 1772323200     # 2026-03-01 00:00:00 UTC: March has 31 days
DAY = 86400
KEY_RE = re.compile(r"^pm_[0-9a-f]{64}$")


class BillingBase(unittest.TestCase):
    plans = None
    settings = {}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2, settings=cls.settings).start()
        cls.fake = FakeStripe(cls.stack)
        if cls.plans:
            for args in (("plans", "load", cls.plans), ("stripe", "sync-prices")):
                r = cls.stack.admin(*args)
                assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.fake.clear_faults()
        self.fake.config(deliver=True)

    def tearDown(self):
        self.fake.idle()
        self.stack.set_clock(None)
        self.fake.clear_faults()
        self.fake.config(deliver=True)

    def price(self, key):
        return self.stack.sql("SELECT price_id FROM billing_prices WHERE lookup_key = '%s'"
                              " AND is_current = 1" % key)[0][0]

    def relogin(self, c):
        c.cookies.clear()
        self.assertEqual(c.login(c.email, PASSWORD).status, 303)

    def sub_row(self, sub, cols="status, billing_interval, byok, quantity, cancel_at_period_end"):
        return self.stack.sql("SELECT %s FROM billing_subscriptions WHERE subscription_id = '%s'"
                              % (cols, sub))[0]


class BillingTest(BillingBase):

    # ------------------------------------------------------------ pricing

    def test_pricing_page(self):
        a = Client(self.stack)
        t = main_text(a.get("/pricing"))
        self.assertIn("Free $0/month", t)
        self.assertIn("Pro $7/month or $70 a year · Save $14 a year (2 months free)", t)
        self.assertIn("Start free", t)
        self.assertIn("Create an account", t)
        self.assertNotIn("Upgrade to", t)
        # the limits side by side: only the rows where the plans differ
        self.assertIn("Limits side by side Limit Free Pro Executions a day 3 Unlimited"
                      " Runs at once 1 10 Models Free models only All OpenRouter models"
                      " Public API No Yes, unlimited keys Your own key (BYOK) No Yes", t)
        # the annual switch
        r = a.get("/pricing?interval=year")
        t = main_text(r)
        self.assertIn("Pro $70/year Save $14 a year (2 months free)", t)
        self.assertIn('href="/pricing"', r.text)
        self.assertIn('href="/pricing?interval=year"', a.get("/pricing").text)
        # signed in: one click from each plan
        c = new_user(self.stack)
        r = c.get("/pricing?interval=year")
        t = main_text(r)
        self.assertIn("Free $0", t)
        self.assertIn("Your plan", t)
        self.assertIn("Upgrade to Pro", t)
        self.assertRegex(r.text, r'action="/billing/checkout"[^>]*>\s*<input type="hidden"'
                         r' name="_csrf"[^>]*>\s*<input type="hidden" name="plan" value="PRO">'
                         r'\s*<input type="hidden" name="interval" value="year">')
        # and from the billing page, and from the one upgrade address
        self.assertIn("Upgrade to Pro · $7/month", main_text(c.get("/billing")))
        r = c.get("/upgrade")
        self.assertEqual(r.status, 200)
        self.assertIn("Upgrade to Pro · $7/month", main_text(r))
        self.assertEqual(a.get("/upgrade").status, 200)
        self.assertIn('href="/signup"', a.get("/upgrade").text)

    # ------------------------------------------------------------ upgrade

    def test_upgrade_then_webhooks_make_the_user_pro(self):
        c = new_user(self.stack)
        uid = user_id(self.stack, c)
        port = self.stack.port
        self.assertEqual(api(c, "POST", "/api/v1/keys", {"name": "k", "scope": "read"}).status, 403)
        self.fake.clear()
        self.fake.config(deliver=False)
        sid, url = upgrade(c)
        self.assertTrue(url.startswith(self.fake.url + "/checkout/cs_test_"), url)
        self.assertIn('href="%s"' % url, c.last.text)        # and a link to click
        # what Stripe was asked, in its form encoding
        reqs = self.fake.requests("/v1/")
        self.assertEqual([(e["method"], e["path"]) for e in reqs],
                         [("POST", "/v1/customers"), ("POST", "/v1/checkout/sessions")])
        for e in reqs:
            self.assertRegex(e["idempotency_key"], KEY_RE)
            self.assertEqual(e["stripe_version"], "2025-03-31.basil")
            self.assertEqual(e["content_type"], "application/x-www-form-urlencoded")
        self.assertEqual(reqs[0]["params"], {"email": c.email, "metadata": {"user_id": str(uid)}})
        p = reqs[1]["params"]
        cus = self.stack.sql("SELECT customer_id FROM billing_customers WHERE user_id = %d" % uid)[0][0]
        self.assertEqual(p, {
            "mode": "subscription", "customer": cus, "client_reference_id": str(uid),
            "line_items": [{"price": self.price("pm_prompt_manager_PRO_month"), "quantity": "1"}],
            "success_url": "http://127.0.0.1:%d/billing/success?session_id={CHECKOUT_SESSION_ID}" % port,
            "cancel_url": "http://127.0.0.1:%d/billing?checkout=cancelled" % port,
            "metadata": {"user_id": str(uid)},
            "subscription_data": {"metadata": {"user_id": str(uid)}}})
        self.assertIn("line_items[0][price]=price_", reqs[1]["raw"])
        # paid on the hosted page: back to the success page, still activating
        loc = self.fake.pay(sid)
        self.assertEqual(loc, "http://127.0.0.1:%d/billing/success?session_id=%s" % (port, sid))
        r = c.get("/billing/success?session_id=" + sid)
        self.assertEqual(r.status, 200)
        self.assertIn("activating your plan", main_text(r))
        self.assertIn('data-status-url="/api/v1/billing/status?session_id=%s"' % sid, r.text)
        self.assertIn('<script src="/static/js/billing.js" defer></script>', r.text)
        st = api(c, "GET", "/api/v1/billing/status?session_id=" + sid)
        self.assertEqual((st.status, st.json()["state"], st.json()["plan"]["code"]),
                         (200, "pending", "FREE"))
        self.assertIsNone(plan_of(self.stack, c))
        # Stripe's webhooks arrive (here in the order Stripe sent them)
        evs = [e for e in self.fake.events() if e["data"]["object"].get("customer") == cus]
        for e in evs:
            self.assertEqual(deliver(self.stack, e).status, 200)
        st = api(c, "GET", "/api/v1/billing/status?session_id=" + sid).json()
        self.assertEqual((st["state"], st["plan"]["code"]), ("active", "PRO"))
        self.assertIn("Public API and API keys", st["plan"]["lines"])
        self.assertIn("Bring your own OpenRouter key (BYOK)", st["plan"]["lines"])
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        t = main_text(c.get("/billing/success?session_id=" + sid))
        self.assertIn("You are on Pro. Thank you!", t)
        self.assertIn("Unlimited executions", t)
        # the API is unlocked at once
        r = api(c, "POST", "/api/v1/keys", {"name": "k", "scope": "read"})
        self.assertEqual(r.status, 201, r.text)
        r = Client(self.stack).request("GET", "/api/v1/prompts",
                                       headers={"Authorization": "Bearer " + r.json()["key"]})
        self.assertEqual(r.status, 200, r.text)
        # the billing page
        t = main_text(c.get("/billing"))
        self.assertIn("Your plan: Pro Active $7.00 a month", t)
        self.assertIn("Current period 2026-", t)
        self.assertIn("Switch to annual · $70.00 a year (save $14.00)", t)
        self.assertRegex(t, r"Invoices Date Amount Status Invoice \d{4}-\d\d-\d\d \$7\.00 paid PDF")
        self.assertIn(self.fake.url + "/invoices/in_", c.last.text)
        # the status endpoint: another user's session, a bad id, no session
        other = new_user(self.stack)
        self.assertEqual(api(other, "GET", "/api/v1/billing/status?session_id=" + sid).status, 404)
        r = api(c, "GET", "/api/v1/billing/status?session_id=../x")
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "session_id"))
        self.assertEqual(Client(self.stack).get("/api/v1/billing/status?session_id=" + sid).status, 401)
        self.assertEqual(c.get("/billing/success?session_id=").status, 400)

    def test_status_while_the_webhook_lands_names_the_new_plan(self):
        """Pages polled while the webhook makes the user PRO: a session shown
        active is shown with the plan it made active, never the one the
        request found as it began (the success page said "You are on Free.
        Thank you!" when the webhook landed mid-request)."""
        seen, stop = [], threading.Event()

        def poll(c, sid, path):
            while not stop.is_set():
                if path == "api":
                    st = api(c, "GET", "/api/v1/billing/status?session_id=" + sid).json()
                    seen.append((st["state"], st["plan"]["code"]))
                else:
                    t = main_text(c.get("/billing/success?session_id=" + sid))
                    if "Thank you!" in t:
                        seen.append(("active", "PRO" if "You are on Pro." in t else t))
        for _ in range(8):
            c = new_user(self.stack)
            self.fake.clear()
            self.fake.config(deliver=False)
            sid, _ = upgrade(c)
            self.fake.pay(sid)
            cus = self.stack.sql("SELECT customer_id FROM billing_customers WHERE user_id = %d"
                                 % user_id(self.stack, c))[0][0]
            evs = [e for e in self.fake.events() if e["data"]["object"].get("customer") == cus]
            stop.clear()
            pollers = [threading.Thread(target=poll, args=(c, sid, k))
                       for k in ("api", "page", "api", "page")]
            for t in pollers:
                t.start()
            time.sleep(0.05)
            for e in evs:
                self.assertEqual(deliver(self.stack, e).status, 200)
            time.sleep(0.05)
            stop.set()
            for t in pollers:
                t.join()
            self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        active = [s for s in seen if s[0] == "active"]
        self.assertTrue(active, seen)
        self.assertEqual([s for s in active if s[1] != "PRO"], [])

    def test_double_click_makes_one_session(self):
        c = new_user(self.stack)
        self.fake.clear()
        urls = [upgrade(c)[1] for _ in range(3)]
        self.assertEqual(len(set(urls)), 1)
        self.assertEqual(len(self.fake.requests("/v1/checkout/sessions", "POST")), 1)
        # two clicks at the same moment: one session too
        d = new_user(self.stack)
        token = d.csrf_token()
        out = []

        def click():
            cl = Client(self.stack)
            cl.cookies = dict(d.cookies)
            r = cl.post("/billing/checkout", form={"plan": "PRO", "interval": "month",
                                                   "_csrf": token})
            out.append(refresh_url(r))

        self.fake.clear()
        ts = [threading.Thread(target=click) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(len(set(out)), 1, out)
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM billing_checkouts c JOIN users u ON"
                                        " u.id = c.user_id WHERE u.email = '%s'" % d.email), [("1",)])
        keys = {e["idempotency_key"] for e in self.fake.requests("/v1/checkout/sessions", "POST")}
        self.assertEqual(len(keys), 1)
        # a new intent (after that checkout is over) gets a new session
        self.stack.sql("UPDATE billing_checkouts SET status = 'expired'")
        self.assertNotEqual(upgrade(c)[1], urls[0])

    def test_every_upsell_is_one_click_from_checkout(self):
        """The run page at the daily limit, the API-key and BYOK upsells:
        each holds the Upgrade form, and that one click makes the session."""
        c = new_user(self.stack)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Up", "slug": "up",
                                               "model": "meta-llama/llama-3.1-8b-instruct:free",
                                               "user_template": "Hi"})
        self.assertEqual(r.status, 201, r.text)
        for _ in range(3):                                  # FREE: 3 runs a day
            r = c.post_form("/prompts/up/run", {"model": "meta-llama/llama-3.1-8b-instruct:free"})
            self.assertIn(r.status, (200, 303), r.text[:500])
        form = re.compile(r'<form method="post" action="/billing/checkout" class="inline">\s*'
                          r'<input type="hidden" name="_csrf" value="[^"]+">\s*'
                          r'<input type="hidden" name="plan" value="PRO">')
        pages = {"/prompts/up/run": 'id="run-limit"', "/settings/keys": "Not in your Free plan",
                 "/settings/byok": 'id="byok-upsell"'}
        for path, where in pages.items():
            page = c.get(path).text
            self.assertIn(where, page, path)
            self.assertRegex(page, form, path)
            self.assertIn("Upgrade to Pro · $7/month", page, path)
        # the run page's notice is shown, not hidden, once the runs are used
        self.assertRegex(c.get("/prompts/up/run").text, r'<div class="alert" id="run-limit"'
                         r' role="status">')
        self.fake.clear()
        sid, url = upgrade(c)
        self.assertTrue(sid.startswith("cs_"), sid)
        self.assertEqual(len(self.fake.requests("/v1/checkout/sessions", "POST")), 1)
        # a PRO user sees no offer on the keys page
        pro = new_user(self.stack, plan="PRO")
        self.assertNotIn("/billing/checkout", pro.get("/settings/keys").text)

    def test_stripe_down_during_upgrade(self):
        c = new_user(self.stack)
        uid = user_id(self.stack, c)
        self.fake.clear()
        self.fake.faults([{"method": "POST", "path": "/v1/checkout/sessions", "status": 500,
                           "count": 3}])
        r = c.post_form("/billing/checkout", {"plan": "PRO", "interval": "month"})
        self.assertEqual(r.status, 503, r.text[:500])
        self.assertIn("Stripe is unavailable right now (HTTP 500). Nothing was changed or charged;"
                      " please try again in a few minutes.", main_text(r))
        self.assertIn("Your plan: Free", main_text(r))
        sent = self.fake.requests("/v1/checkout/sessions", "POST")
        self.assertEqual(len(sent), 3)          # the first and two retries, same key
        self.assertEqual(len({e["idempotency_key"] for e in sent}), 1)
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM billing_checkouts WHERE user_id = %d"
                                        % uid), [("0",)])
        self.assertIsNone(plan_of(self.stack, c))
        # Stripe says not to retry: one request
        self.fake.clear()
        self.fake.faults([{"method": "POST", "path": "/v1/checkout/sessions", "status": 500,
                           "should_retry": "false", "count": 5}])
        r = c.post_form("/billing/checkout", {"plan": "PRO", "interval": "month"})
        self.assertEqual(r.status, 503)
        self.assertEqual(len(self.fake.requests("/v1/checkout/sessions", "POST")), 1)
        self.fake.clear_faults()
        # the network fails: a clear sentence too
        self.fake.faults([{"method": "POST", "path": "/v1/checkout/sessions", "drop": True,
                           "count": 5}])
        r = c.post_form("/billing/checkout", {"plan": "PRO", "interval": "month"})
        self.assertEqual(r.status, 503)
        self.assertIn("Stripe cannot be reached right now. Nothing was changed or charged;"
                      " please try again in a few minutes.", main_text(r))
        self.fake.clear_faults()
        # a 429 then Stripe answers: retried, upgraded, the customer made once
        self.fake.clear()
        self.fake.faults([{"method": "POST", "path": "/v1/checkout/sessions", "status": 429,
                           "type": "rate_limit_error", "count": 1}])
        sid, _ = upgrade(c)
        self.assertEqual(len(self.fake.requests("/v1/checkout/sessions", "POST")), 2)
        self.assertEqual(self.fake.requests("/v1/customers", "POST"), [])     # kept from before
        # a 409 (Stripe's lock on the object), and a 400 that Stripe says
        # to retry: both sent again
        for fault in ({"status": 409, "type": "invalid_request_error", "code": "lock_timeout"},
                      {"status": 400, "type": "invalid_request_error", "should_retry": "true"}):
            u = new_user(self.stack)
            self.fake.clear()
            fault.update({"method": "POST", "path": "/v1/checkout/sessions", "count": 1})
            self.fake.faults([fault])
            upgrade(u)
            sent = self.fake.requests("/v1/checkout/sessions", "POST")
            self.assertEqual([e["status"] for e in sent], [fault["status"], 200])
            self.assertEqual(len({e["idempotency_key"] for e in sent}), 1)
        # Stripe refuses the request itself: named, not retried
        d = new_user(self.stack)
        self.fake.clear()
        self.fake.faults([{"method": "POST", "path": "/v1/checkout/sessions", "status": 400,
                           "type": "invalid_request_error", "code": "parameter_invalid_string",
                           "param": "success_url", "message": "Not a valid URL", "count": 1}])
        r = d.post_form("/billing/checkout", {"plan": "PRO", "interval": "month"})
        self.assertEqual(r.status, 502)
        self.assertIn("Stripe refused the request: Not a valid URL (parameter success_url).",
                      main_text(r))
        self.assertEqual(len(self.fake.requests("/v1/checkout/sessions", "POST")), 1)

    def test_declined_card(self):
        c = new_user(self.stack)
        sid, _ = upgrade(c)
        st, page = self.fake.decline(sid)
        self.assertEqual(st, 402)
        self.assertIn("Your card was declined.", page)
        self.fake.idle()
        self.assertIsNone(plan_of(self.stack, c))
        r = c.get("/billing?checkout=cancelled")
        self.assertIn("The payment did not go through: Your card was declined. Nothing was"
                      " charged; try another card. You are still on Free.", main_text(r))
        st = api(c, "GET", "/api/v1/billing/status?session_id=" + sid).json()
        self.assertEqual((st["state"], st["message"]), (
            "declined", "Your card was declined. Nothing was charged; try another card."))
        self.assertIn("Your card was declined.", main_text(c.get("/billing/success?session_id=" + sid)))
        # insufficient funds, named
        d = new_user(self.stack)
        sid, _ = upgrade(d)
        self.fake.decline(sid, "insufficient_funds")
        self.fake.idle()
        self.assertIn("Your card was declined: insufficient funds.",
                      main_text(d.get("/billing?checkout=cancelled")))
        # the checkout abandoned: nothing charged, still FREE
        e = new_user(self.stack)
        upgrade(e)
        self.assertIn("The checkout was not completed: nothing was charged and you are still on"
                      " Free.", main_text(e.get("/billing?checkout=cancelled")))

    def test_refusals_of_the_forms(self):
        c = new_user(self.stack)
        cases = [({"plan": "GOLD"}, 422, "There is no plan GOLD to subscribe to: choose one on the"
                  " pricing page."),
                 ({"plan": ""}, 422, "Choose a plan."),
                 ({"plan": "FREE"}, 422, "The Free plan is free: there is nothing to pay."),
                 ({"plan": "PRO", "interval": "week"}, 422,
                  "The billing interval must be month or year."),
                 ({"plan": "PRO", "byok": "yes"}, 422, "byok must be 0 or 1."),
                 ({"plan": "PRO", "byok": "1"}, 422, "The Pro plan has no BYOK price."),
                 ({"plan": "PRO", "seats": "0"}, 422, "Seats must be a whole number")]
        for form, status, message in cases:
            r = c.post_form("/billing/checkout", form)
            self.assertEqual(r.status, status, form)
            self.assertIn(message, main_text(r), form)
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM billing_checkouts c JOIN users u ON"
                                        " u.id = c.user_id WHERE u.email = '%s'" % c.email), [("0",)])
        # no CSRF token: refused
        r = c.post("/billing/checkout", form={"plan": "PRO"})
        self.assertEqual(r.status, 403)
        # nothing to change, cancel or refund without a subscription
        for path in ("/billing/change", "/billing/cancel", "/billing/resume"):
            r = c.post_form(path, {"interval": "year"})
            self.assertIn("You have no subscription to change.", main_text(r), path)
        self.assertEqual(c.get("/billing/cancel-now").status, 404)
        r = c.post_form("/billing/portal", {})
        self.assertIn("You have no billing account yet", main_text(r))
        # subscribed: a second Upgrade goes to the billing page
        subscribe(self.stack, c)
        r = c.post_form("/billing/checkout", {"plan": "PRO"})
        self.assertEqual((r.status, r.header("location")), (303, "/billing"))
        self.assertIn("You already have a subscription: change it here.", main_text(c.get("/billing")))
        r = c.post_form("/billing/change", {"interval": "month"})
        self.assertIn("Your subscription is already on that price.", main_text(r))

    # ------------------------------------------------------------ changes

    def test_switch_to_annual_with_proration_and_back(self):
        self.stack.set_clock(T0)
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        self.stack.set_clock(T0 + 10 * DAY)
        self.relogin(c)
        self.fake.clear()
        r = c.post_form("/billing/change", {"interval": "year"})
        self.assertEqual((r.status, r.header("location")), (303, "/billing"))
        sent = self.fake.requests("/v1/subscriptions/" + sub, "POST")
        self.assertEqual(len(sent), 1)
        item = self.sub_row(sub, "item_id")[0]
        self.assertEqual(sent[0]["params"], {
            "items": [{"id": item, "price": self.price("pm_prompt_manager_PRO_year"),
                       "quantity": "1"}],
            "proration_behavior": "create_prorations"})
        self.assertRegex(sent[0]["idempotency_key"], KEY_RE)
        # applied from Stripe's answer at once
        self.assertEqual(self.sub_row(sub)[:2], ("active", "year"))
        self.fake.idle()
        t = main_text(c.get("/billing"))
        self.assertIn("Your subscription was changed. Stripe prorated the difference.", t)
        self.assertIn("Active $70.00 a year", t)
        self.assertIn("renews on 2027-03-11", t)
        # the new year, less the unused 21 days of March: 7000 - 474 = 6526
        self.assertIn("2026-03-11 $65.26 paid", t)
        self.assertIn("Switch to monthly · $7.00 a month", t)
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        # and back to monthly
        r = c.post_form("/billing/change", {"interval": "month"})
        self.assertEqual(r.status, 303)
        self.fake.idle()
        self.assertEqual(self.sub_row(sub)[:2], ("active", "month"))
        self.assertIn("Active $7.00 a month", main_text(c.get("/billing")))

    def test_cancel_at_period_end_and_undo(self):
        self.stack.set_clock(T0)
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        self.fake.clear()
        r = c.post_form("/billing/cancel", {})
        self.assertEqual((r.status, r.header("location")), (303, "/billing"))
        self.assertEqual(self.fake.requests("/v1/subscriptions/" + sub, "POST")[0]["params"],
                         {"cancel_at_period_end": "true"})
        self.assertEqual(self.sub_row(sub)[4], "1")
        self.assertEqual(self.fake.subscription(sub)["cancel_at_period_end"], True)
        t = main_text(c.get("/billing"))
        self.assertIn("Cancelled: Pro ends on 2026-04-01, then you are back on the free plan.", t)
        self.assertIn("Keep my subscription", t)
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))     # until the end
        # a second click changes nothing
        self.fake.idle()
        self.fake.clear()
        c.post_form("/billing/cancel", {})
        self.assertEqual(self.fake.requests("/v1/"), [])
        # undo
        r = c.post_form("/billing/resume", {})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.fake.requests("/v1/subscriptions/" + sub, "POST")[0]["params"],
                         {"cancel_at_period_end": "false"})
        self.assertEqual(self.sub_row(sub)[4], "0")
        self.fake.idle()
        self.assertIn("renews on 2026-04-01", main_text(c.get("/billing")))
        # cancelled again, the period ends: FREE
        c.post_form("/billing/cancel", {})
        self.stack.set_clock(T0 + 31 * DAY)
        self.fake.control("subscriptions/%s/renew" % sub)
        self.fake.idle()
        self.assertEqual(self.sub_row(sub)[0], "canceled")
        self.assertIsNone(plan_of(self.stack, c))

    def test_cancel_now_with_prorated_refund(self):
        self.stack.set_clock(T0)
        c = new_user(self.stack)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Keep me", "slug": "keep-me",
                                                 "model": "openai/gpt-4o-mini",
                                                 "user_template": "Say {{x}}"})
        self.assertEqual(r.status, 201, r.text)
        sub = subscribe(self.stack, c)
        self.stack.set_clock(T0 + 10 * DAY)
        self.relogin(c)
        # the confirmation page shows the refund and its arithmetic
        r = c.get("/billing/cancel-now")
        self.assertEqual(r.status, 200)
        t = main_text(r)
        self.assertIn("Your last payment: $7.00 for 2026-03-01 → 2026-04-01.", t)
        self.assertIn("$7.00 paid × 1,814,400 s unused ÷ 2,678,400 s in the period = 474.19"
                      " cents, rounded down to $4.74", t)
        self.assertIn("Refund: $4.74", t)
        self.assertIn('data-confirm="Cancel your subscription now?"', r.text)
        self.assertIn("Cancel now and get $4.74 back", main_text(c.get("/billing")))
        # not confirmed: nothing happens
        self.fake.clear()
        r = c.post_form("/billing/cancel-now", {})
        self.assertEqual(r.status, 422)
        self.assertIn("Confirm that you want to cancel now.", main_text(r))
        self.assertEqual(self.fake.requests("/v1/"), [])
        # confirmed, 12 hours later: computed again at that moment
        self.stack.set_clock(T0 + 10 * DAY + 12 * 3600)
        r = c.post_form("/billing/cancel-now", {"confirm": "1"})
        self.assertEqual((r.status, r.header("location")), (303, "/billing"), r.text[:300])
        # (the webhooks that follow read the subscription and charge again)
        calls = [(e["method"], e["path"]) for e in self.fake.requests("/v1/")
                 if not (e["method"] == "GET" and e["path"].startswith(("/v1/subscriptions/",
                                                                         "/v1/charges/")))]
        self.assertEqual(calls, [("GET", "/v1/invoices"), ("DELETE", "/v1/subscriptions/" + sub),
                                 ("POST", "/v1/refunds")])
        refund = self.fake.requests("/v1/refunds")[0]
        pi = self.stack.sql("SELECT payment_intent FROM billing_invoices WHERE subscription_id"
                            " = '%s'" % sub)[0][0]
        # 700 x (20.5 days) / 31 days = 462.90 -> 462
        self.assertEqual(refund["params"], {
            "payment_intent": pi, "amount": "462", "reason": "requested_by_customer",
            "metadata": {"subscription": sub, "invoice": refund["params"]["metadata"]["invoice"]}})
        self.assertIsNone(plan_of(self.stack, c))
        self.fake.idle()
        t = main_text(c.get("/billing"))
        self.assertIn("Your subscription was cancelled and the unused part refunded.", t)
        self.assertIn("Your plan: Free", t)
        self.assertIn("Refund Cancelled on 2026-03-11: $4.62 refunded to your card.", t)
        self.assertIn("$7.00 paid × 1,771,200 s unused ÷ 2,678,400 s in the period = 462.90 cents,"
                      " rounded down to $4.62", t)
        self.assertIn("$7.00 ($4.62 refunded) paid", t)
        self.assertEqual(self.fake.api("GET", "/v1/charges/" + self.fake.api(
            "GET", "/v1/payment_intents/" + pi)["latest_charge"])["amount_refunded"], 462)
        # every prompt kept
        self.assertEqual([p["slug"] for p in api(c, "GET", "/api/v1/prompts").json()["items"]],
                         ["keep-me"])
        # a second click: nothing more
        self.fake.clear()
        r = c.post_form("/billing/cancel-now", {"confirm": "1"})
        self.assertIn("You have no subscription to change.", main_text(r))
        self.assertEqual(self.fake.requests("/v1/refunds"), [])

    def test_cancel_now_on_the_first_and_the_last_day(self):
        for at, want in ((T0 + 60, "699"), (T0 + 30 * DAY + 12 * 3600, "11")):
            self.stack.set_clock(T0)
            c = new_user(self.stack)
            subscribe(self.stack, c)
            self.stack.set_clock(at)
            self.relogin(c)
            self.fake.clear()
            self.assertEqual(c.post_form("/billing/cancel-now", {"confirm": "1"}).status, 303)
            self.assertEqual(self.fake.requests("/v1/refunds")[0]["params"]["amount"], want)

    def test_refund_that_fails_is_retried_once(self):
        self.stack.set_clock(T0)
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        self.stack.set_clock(T0 + 5 * DAY)
        self.relogin(c)
        self.fake.clear()
        self.fake.faults([{"method": "POST", "path": "/v1/refunds", "status": 500, "count": 6}])
        r = c.post_form("/billing/cancel-now", {"confirm": "1"})
        self.assertEqual(r.status, 303)
        self.assertIsNone(plan_of(self.stack, c))       # cancelled all the same
        t = main_text(c.get("/billing"))
        self.assertIn("a refund of $5.87 is pending", t)
        self.assertIn("Try the refund again", t)
        self.assertEqual(self.stack.sql("SELECT status, amount FROM billing_refunds WHERE"
                                        " subscription_id = '%s'" % sub), [("failed", "587")])
        # still failing: said on the page
        r = c.post_form("/billing/refund/retry", {})
        self.assertEqual(r.status, 503)
        self.assertIn("Stripe is unavailable right now (HTTP 500)", main_text(r))
        self.fake.clear_faults()
        r = c.post_form("/billing/refund/retry", {})
        self.assertEqual((r.status, r.header("location")), (303, "/billing"))
        self.assertIn("$5.87 refunded to your card", main_text(c.get("/billing")))
        # one refund in Stripe, though seven requests were sent (three, three
        # more, and the one that worked): all with one key
        sent = self.fake.requests("/v1/refunds", "POST")
        self.assertEqual([e["status"] for e in sent], [500] * 6 + [200])
        self.assertEqual(len({e["idempotency_key"] for e in sent}), 1)
        pi = self.stack.sql("SELECT payment_intent FROM billing_invoices WHERE subscription_id"
                            " = '%s'" % sub)[0][0]
        ch = self.fake.api("GET", "/v1/payment_intents/" + pi)["latest_charge"]
        self.assertEqual(self.fake.api("GET", "/v1/charges/" + ch)["amount_refunded"], 587)

    def test_portal(self):
        c = new_user(self.stack)
        subscribe(self.stack, c)
        self.fake.clear()
        r = c.post_form("/billing/portal", {})
        self.assertEqual(r.status, 200)
        url = refresh_url(r)
        self.assertTrue(url.startswith(self.fake.url + "/portal/bps_"), url)
        p = self.fake.requests("/v1/billing_portal/sessions")[0]["params"]
        cus = self.stack.sql("SELECT customer_id FROM billing_customers WHERE user_id = %d"
                             % user_id(self.stack, c))[0][0]
        self.assertEqual(p, {"customer": cus,
                             "return_url": "http://127.0.0.1:%d/billing" % self.stack.port})
        st, _, page = self.fake.call("GET", url[len(self.fake.url):])
        self.assertEqual(st, 200)
        self.assertIn("http://127.0.0.1:%d/billing" % self.stack.port, page)

    def test_the_whole_way_as_a_new_user(self):
        """FREE -> Upgrade -> pay on the local checkout -> PRO with the API
        and BYOK -> annual -> cancel now -> the refund shown -> FREE with
        every prompt intact, through Apache."""
        self.stack.set_clock(T0)
        c = Client(self.stack, server="apache")
        c.email = "whole-way-%d@example.com" % int(time.time() * 1000)
        self.assertEqual(c.signup(c.email, PASSWORD).status, 303)
        c.api_token = c.csrf("/dashboard")
        r = api(c, "POST", "/api/v1/prompts", {"name": "Mine", "slug": "mine",
                                                 "model": "openai/gpt-4o-mini",
                                                 "user_template": "Hello {{who}}"})
        self.assertEqual(r.status, 201, r.text)
        self.assertIn("Your plan: Free", main_text(c.get("/billing")))
        sid, url = upgrade(c)
        st, _, page = self.fake.call("GET", url[len(self.fake.url):])
        self.assertEqual(st, 200)
        self.assertIn("Pay $7.00", page)
        self.assertIn("Card declined", page)
        loc = self.fake.pay(sid)
        # back to the site's public_base_url (the stack's first server)
        self.assertEqual(loc, "http://127.0.0.1:%d/billing/success?session_id=%s"
                         % (self.stack.port, sid))
        self.fake.idle()
        self.assertIn("You are on Pro.", main_text(c.get("/billing/success?session_id=" + sid)))
        # the API and BYOK come with PRO
        k = api(c, "POST", "/api/v1/keys", {"name": "ci", "scope": "execute"})
        self.assertEqual(k.status, 201, k.text)
        r = Client(self.stack).request("POST", "/api/v1/prompts/mine/execute",
                                       headers={"Authorization": "Bearer " + k.json()["key"]},
                                       json={"variables": {"who": "you"}})
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("Bring your own OpenRouter key (BYOK)", main_text(c.get("/billing")))
        # annual, ten days in
        self.stack.set_clock(T0 + 10 * DAY)
        self.relogin(c)
        self.assertEqual(c.post_form("/billing/change", {"interval": "year"}).status, 303)
        self.fake.idle()
        self.assertIn("Active $70.00 a year", main_text(c.get("/billing")))
        # cancel now, a hundred days later: the refund of the annual payment
        self.stack.set_clock(T0 + 110 * DAY)
        self.relogin(c)
        t = main_text(c.get("/billing/cancel-now"))
        # $65.26 paid for 2026-03-11 -> 2027-03-11 (365 days), 265 days unused
        self.assertIn("$65.26 paid × 22,896,000 s unused ÷ 31,536,000 s in the period ="
                      " 4738.05 cents, rounded down to $47.38", t)
        self.assertEqual(c.post_form("/billing/cancel-now", {"confirm": "1"}).status, 303)
        self.fake.idle()
        t = main_text(c.get("/billing"))
        self.assertIn("Your plan: Free", t)
        self.assertIn("$47.38 refunded to your card", t)
        self.assertIsNone(plan_of(self.stack, c))
        self.assertEqual([p["slug"] for p in api(c, "GET", "/api/v1/prompts").json()["items"]],
                         ["mine"])
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM executions e JOIN users u ON"
                                        " u.id = e.user_id WHERE u.email = '%s'" % c.email),
                         [("1",)])
        self.assertEqual(c.get("/static/js/billing.js").status, 200)

    # ------------------------------------------------------------ operator

    def test_sync_repairs_missed_webhooks(self):
        c = new_user(self.stack)
        self.fake.config(deliver=False)         # the webhooks are lost
        sid, _ = upgrade(c)
        self.fake.pay(sid)
        self.assertIsNone(plan_of(self.stack, c))
        r = self.stack.admin("stripe", "sync")
        self.assertEqual(r.returncode, 0, r.stderr)
        sub = self.fake.api("GET", "/v1/checkout/sessions/" + sid)["subscription"]
        self.assertIn("subscription %s: - → active" % sub, r.stdout)
        self.assertIn("%s: plan Pro" % c.email, r.stdout)
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        self.assertIn("$7.00 paid", main_text(c.get("/billing")))   # the invoice too
        # the subscription ends in Stripe, unheard of: repaired
        self.fake.control("subscriptions/%s/end" % sub)
        r = self.stack.admin("stripe", "sync")
        self.assertIn("subscription %s: active → canceled" % sub, r.stdout)
        self.assertIn("%s: plan Pro ended, back to the default plan" % c.email, r.stdout)
        self.assertIsNone(plan_of(self.stack, c))
        r = self.stack.admin("stripe", "sync")
        self.assertEqual((r.returncode, r.stdout.strip()),
                         (0, "nothing to repair: every subscription agrees with Stripe"))

    def test_sync_prices_is_idempotent(self):
        self.fake.clear()
        r = self.stack.admin("stripe", "sync-prices")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "pm_prompt_manager_PRO_month: $7.00 unchanged (%s)" % self.price("pm_prompt_manager_PRO_month"),
            "pm_prompt_manager_PRO_year: $70.00 unchanged (%s)" % self.price("pm_prompt_manager_PRO_year")])
        self.assertEqual(self.fake.requests("/v1/prices", "POST"), [])
        self.assertEqual(self.fake.requests("/v1/products", "POST"), [])
        got = self.fake.requests("/v1/prices", "GET")
        self.assertEqual(got[0]["params"], {"lookup_keys": ["pm_prompt_manager_PRO_month"],
                                            "active": "true"})


class CatalogBillingTest(BillingBase):
    """agents-platform: BYOK prices (Pro $9 or $5), per-seat Team, no
    annual prices."""
    plans = "agents-platform"

    def test_pricing_shows_byok_and_seats(self):
        a = Client(self.stack)
        t = main_text(a.get("/pricing"))
        self.assertIn("Pro $9/month or $5/month with your own key (BYOK)", t)
        self.assertIn("Team $29/seat/month or $19/seat/month with your own key (BYOK)", t)
        self.assertIn("Enterprise Custom", t)
        self.assertNotIn("Annual", t)           # no annual price: no switch
        self.assertIn("Executions a month 100 5,000 25,000 per seat Unlimited", t)
        c = new_user(self.stack)
        r = c.get("/pricing")
        self.assertIn('name="seats" type="number" inputmode="numeric" min="1"', r.text)
        self.assertIn("Contact us for a quote.", main_text(r))

    def test_byok_price_on_and_off(self):
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        t = main_text(c.get("/billing"))
        self.assertIn("Active $9.00 a month", t)
        self.assertIn("Use the BYOK price · $5.00", t)
        self.assertIn("The BYOK price needs your own provider key", t)
        r = c.post_form("/billing/change", {"byok": "1"})
        self.assertEqual(r.status, 422)
        self.assertIn("The BYOK price is for accounts that run on their own provider key: add"
                      " yours in Settings first.", main_text(r))
        # with a key of one's own
        self.stack.sql("INSERT INTO byok_keys (user_id, provider, sealed, vault_key_id, last4,"
                       " created_at, updated_at) VALUES (%d, 'openrouter', 'x', 'k', 'abcd', 0, 0)"
                       % user_id(self.stack, c))
        self.fake.clear()
        r = c.post_form("/billing/change", {"byok": "1"})
        self.assertEqual(r.status, 303, main_text(r))
        self.assertEqual(self.fake.requests("/v1/subscriptions/" + sub, "POST")[0]["params"]["items"][0]["price"],
                         self.price("pm_agents_platform_PRO_month_byok"))
        self.assertEqual(self.sub_row(sub)[2], "1")
        self.fake.idle()
        t = main_text(c.get("/billing"))
        self.assertIn("Active $5.00 a month (BYOK price)", t)
        self.assertIn("Back to the standard price · $9.00", t)
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        r = c.post_form("/billing/change", {"byok": "0"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.sub_row(sub)[2], "0")

    def test_per_seat_quantity(self):
        c = new_user(self.stack)
        self.fake.clear()
        r = c.post_form("/billing/checkout", {"plan": "TEAM", "seats": "3"})
        self.assertEqual(r.status, 200, main_text(r))
        sent = self.fake.requests("/v1/checkout/sessions", "POST")[0]["params"]
        self.assertEqual(sent["line_items"], [{"price": self.price("pm_agents_platform_TEAM_month"),
                                               "quantity": "3"}])
        sid = refresh_url(r).rsplit("/", 1)[1]
        self.fake.pay(sid)
        self.fake.idle()
        self.assertEqual(plan_of(self.stack, c), ("TEAM", "stripe"))
        self.assertIn("Active $87.00 a month · 3 seats", main_text(c.get("/billing")))
        d = new_user(self.stack)
        r = d.post_form("/billing/checkout", {"plan": "TEAM", "seats": "0"})
        self.assertEqual(r.status, 422)
        r = d.post_form("/billing/checkout", {"plan": "ENTERPRISE"})
        self.assertIn("The Enterprise plan is priced on request: contact us.", main_text(r))
        r = d.post_form("/billing/checkout", {"plan": "PRO", "interval": "year"})
        self.assertIn("The Pro plan is sold monthly only.", main_text(r))

    def test_a_new_amount_gets_a_new_price(self):
        with open(os.path.join(self.stack.root, "conf", "plans", "agents-platform.json")) as f:
            cat = json.load(f)
        for p in cat["plans"]:
            if p["code"] == "PRO":
                p["price_monthly_cents"] = 1000
        old = self.price("pm_agents_platform_PRO_month")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(cat, f)
        try:
            self.assertEqual(self.stack.admin("plans", "load", f.name).returncode, 0)
            r = self.stack.admin("stripe", "sync-prices")
            self.assertEqual(r.returncode, 0, r.stderr)
            new = self.price("pm_agents_platform_PRO_month")
            self.assertNotEqual(new, old)
            self.assertIn("pm_agents_platform_PRO_month: $10.00 created (%s); the previous price"
                          " keeps its subscribers" % new, r.stdout)
            self.assertIn("pm_agents_platform_PRO_month_byok: $5.00 unchanged", r.stdout)
            # the old price still maps to the plan (its subscribers keep it)
            self.assertEqual(self.stack.sql("SELECT is_current FROM billing_prices WHERE"
                                            " price_id = '%s'" % old), [("0",)])
            self.assertEqual(self.fake.api("GET", "/v1/prices/" + old)["lookup_key"], None)
        finally:
            os.unlink(f.name)
            self.assertEqual(self.stack.admin("plans", "load", "agents-platform").returncode, 0)
            self.assertEqual(self.stack.admin("stripe", "sync-prices").returncode, 0)


class BillingFromHostTest(BillingBase):
    """Without public_base_url, Stripe's return pages are the request's
    own site; a Host header that is not a host name is refused first."""
    settings = {"public_base_url": ""}

    def test_return_pages_follow_the_request(self):
        c = new_user(self.stack, server="apache")
        self.fake.clear()
        self.fake.config(deliver=False)
        upgrade(c)
        p = self.fake.requests("/v1/checkout/sessions", "POST")[-1]["params"]
        self.assertEqual(p["success_url"], "http://127.0.0.1:%d/billing/success?session_id="
                         "{CHECKOUT_SESSION_ID}" % self.stack.apache_port)
        self.assertEqual(p["cancel_url"], "http://127.0.0.1:%d/billing?checkout=cancelled"
                         % self.stack.apache_port)
        # a Host that is not a host name never reaches the application
        d = new_user(self.stack)
        self.fake.clear()
        r = d.request("POST", "/billing/checkout", headers={"Host": "bad_host.example"},
                      form={"plan": "PRO", "interval": "month", "_csrf": d.csrf_token()})
        self.assertEqual(r.status, 400, r.text[:500])
        self.assertEqual(self.fake.requests("/v1/checkout/sessions", "POST"), [])


class BillingOffTest(unittest.TestCase):
    """No Stripe key: the plans are shown, payments are not offered."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1, settings={
            "stripe_secret_key_file": "", "stripe_webhook_secret_file": ""}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_billing_off(self):
        c = new_user(self.stack)
        t = main_text(c.get("/pricing"))
        self.assertIn("Payments are not set up on this installation yet.", t)
        self.assertNotIn("Upgrade to Pro", t)
        t = main_text(c.get("/billing"))
        self.assertIn("Payments are not set up on this installation", t)
        r = c.post_form("/billing/checkout", {"plan": "PRO"})
        self.assertEqual(r.status, 503)
        self.assertIn("Billing is not set up on this installation: payments are not available.",
                      main_text(r))
        r = Client(self.stack).request("POST", "/webhooks/stripe", body=b'{"id":"evt_1"}',
                                       headers={"Content-Type": "application/json",
                                                "Stripe-Signature": "t=1,v1=" + "0" * 64})
        self.assertEqual(r.status, 503)
        r = self.stack.admin("stripe", "sync-prices")
        self.assertEqual((r.returncode, r.stderr.strip()), (1, "pm-admin: Billing is not set up"
                                                            " on this installation: payments are"
                                                            " not available."))


if __name__ == "__main__":
    unittest.main()
