"""POST /webhooks/stripe: the signature on the raw body (the fixtures'
three vectors through both web servers; missing, malformed, expired,
future, wrong-secret and replayed-with-new-body signatures are 400 and
store nothing; several secrets during a rotation), events stored by id
(a duplicate is 200 and does nothing), unknown types and customers
stored and acknowledged, a failure to apply answered 500 and applied
once when Stripe retries, every order of a subscription's lifecycle
(with duplicates) converging to one state, the past_due grace period
then the downgrade, the admin's event log with re-apply."""
import copy
import itertools
import json
import os
import random
import re
import time
import unittest

from tests.fakes.stripe_helpers import (deliver, main_text, plan_of,
                                        secrets, signature, subscribe, upgrade,
                                        user_id)
from tests.integration.stack import PASSWORD, Client, new_user
from tests.integration.test_billing import BillingBase

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "fakes", "stripe_fixtures.json")) as f:
    FIXTURES = json.load(f)["resources"]

VECTOR1 = b'{"id":"evt_test_webhook","object":"event"}'
VECTOR2 = b'{\n  "id": "evt_test_webhook",\n  "object": "event"\n}'
VECTORS = [
    (VECTOR1, 1700000000, "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"),
    (VECTOR2, 1492774577, "c2f890decbc5ede7c5060bb9a6d31e0626a4342bacb9aeae2adb1bcea72f9812"),
    (VECTOR2, 12345, "2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e"),
]
T0 = 1772323200     # 2026-03-01 00:00:00 UTC


def an_event(type_="customer.created", obj=None):
    """A real-shaped event (Stripe's fixture) with a new id."""
    ev = copy.deepcopy(FIXTURES["event"])
    ev["id"] = "evt_%s_%d" % ("t", random.getrandbits(48))
    ev["type"] = type_
    if obj is not None:
        ev["data"] = {"object": obj}
    return ev


def stored(stack, event_id):
    return stack.sql("SELECT status, attempts, COALESCE(error, '') FROM billing_events"
                     " WHERE event_id = '%s'" % event_id)


class WebhookTest(BillingBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pro_price = cls.stack.sql("SELECT price_id FROM billing_prices WHERE"
                                      " lookup_key = 'pm_prompt_manager_PRO_month'")[0][0]

    def write_secrets(self, lines):
        path = self.stack.path("secrets", "stripe_webhook_secret")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def events_count(self):
        return int(self.stack.sql("SELECT COUNT(*) FROM billing_events")[0][0])

    # ------------------------------------------------------------ signatures

    def test_signature_vectors(self):
        """The three vectors of shared/fixtures/stripe/README.md are accepted
        through both servers (whsec_test_secret added as a second secret,
        as in a rotation); the body is stored once, under its id."""
        old = secrets(self.stack)
        self.write_secrets(old + ["whsec_test_secret"])
        try:
            outcomes = []
            for i, (body, t, v1) in enumerate(VECTORS):
                self.stack.set_clock(t)
                r = deliver(self.stack, body, header="t=%d,v1=%s" % (t, v1),
                            server=("lighttpd", "apache")[i % 2])
                self.assertEqual(r.status, 200, r.text)
                self.assertTrue(r.json()["received"])
                outcomes.append(r.json()["outcome"])
            # no type: stored and acknowledged; the same id again: nothing
            self.assertEqual(outcomes, ["ignored", "duplicate", "duplicate"])
            self.assertEqual(stored(self.stack, "evt_test_webhook"), [("ignored", "1", "")])
            payload = self.stack.sql("SELECT payload FROM billing_events WHERE"
                                     " event_id = 'evt_test_webhook'")[0][0]
            self.assertEqual(payload.encode(), VECTOR1)     # the raw body, as it came
            # v0 is ignored, and any one of several v1 may match
            self.stack.set_clock(1700000000)
            r = deliver(self.stack, VECTOR1, header="t=1700000000,v0=%s,v1=%s,v1=%s" % (
                VECTORS[0][2], "0" * 64, VECTORS[0][2]))
            self.assertEqual(r.status, 200, r.text)
        finally:
            self.write_secrets(old)

    def test_bad_signatures_store_nothing(self):
        ev = an_event()
        body = json.dumps(ev).encode()
        now = int(time.time())
        self.stack.set_clock(now)
        secret = secrets(self.stack)[0]
        good = signature(secret, now, body)
        cases = [
            ("missing", False, body, "The Stripe-Signature header is missing."),
            ("empty", "", body, "The Stripe-Signature header is missing."),
            ("no t", "v1=" + good, body, "The Stripe-Signature header is malformed: it"
             " needs t=<timestamp> and at least one v1=<signature>."),
            ("t not a number", "t=now,v1=" + good, body, None),
            ("no v1", "t=%d,v0=%s" % (now, good), body, None),
            ("v1 cut", "t=%d,v1=%s" % (now, good[:40]), body, None),
            ("garbage", "nonsense", body, None),
            ("expired", "t=%d,v1=%s" % (now - 301, signature(secret, now - 301, body)), body,
             "The signature's timestamp is more than 300 seconds old: a replay is refused."),
            ("future", "t=%d,v1=%s" % (now + 301, signature(secret, now + 301, body)), body,
             "The signature's timestamp is more than 300 seconds in the future."),
            ("wrong secret", "t=%d,v1=%s" % (now, signature("whsec_wrong", now, body)), body,
             "No signature of the Stripe-Signature header matches this body with the"
             " endpoint's signing secrets."),
            ("secret without its whsec_ prefix", "t=%d,v1=%s" % (
                now, signature(secret[len("whsec_"):], now, body)), body, None),
            ("replayed with a new body", "t=%d,v1=%s" % (now, good),
             body.replace(b'"customer.created"', b'"customer.deleted"'), None),
            ("one byte more", "t=%d,v1=%s" % (now, good), body + b" ", None),
        ]
        malformed = cases[2][3]
        mismatch = cases[9][3]
        before = self.events_count()
        for name, header, b, message in cases:
            for server in ("lighttpd", "apache"):
                r = deliver(self.stack, b, header=header, server=server)
                self.assertEqual(r.status, 400, (name, server, r.text))
                err = r.json()["error"]
                self.assertEqual(err["type"], "invalid_request_error", name)
                want = message or (mismatch if "secret" in name or "body" in name or
                                   "byte" in name else malformed)
                self.assertEqual(err["message"], want, name)
        self.assertEqual(self.events_count(), before)
        self.assertEqual(stored(self.stack, ev["id"]), [])
        # the edge of the tolerance is accepted, either way
        for t in (now - 300, now + 300):
            e = an_event()
            r = deliver(self.stack, e, t=t)
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(stored(self.stack, e["id"])[0][0], "ignored")

    def test_rotation_two_secrets(self):
        old = secrets(self.stack)
        self.write_secrets(["whsec_newer_one"] + old)
        try:
            for s in ("whsec_newer_one", old[0]):
                e = an_event()
                r = deliver(self.stack, e, secret=s)
                self.assertEqual(r.status, 200, (s, r.text))
            # the old one removed after the rotation: refused
            self.write_secrets(["whsec_newer_one"])
            r = deliver(self.stack, an_event(), secret=old[0])
            self.assertEqual(r.status, 400, r.text)
        finally:
            self.write_secrets(old)

    def test_no_secret_configured(self):
        path = self.stack.path("secrets", "stripe_webhook_secret")
        old = secrets(self.stack)
        self.write_secrets(["# no secret yet"])
        try:
            r = deliver(self.stack, an_event(), secret=old[0])
            self.assertEqual(r.status, 503, r.text)
            self.assertEqual(r.json()["error"]["message"],
                             "Webhooks are not set up on this installation (no signing secret).")
        finally:
            self.write_secrets(old)
        self.assertTrue(os.path.exists(path))

    # ------------------------------------------------------------ events

    def test_duplicate_is_applied_once(self):
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        evs = [e for e in self.fake.events() if e["data"]["object"].get("id") == sub]
        created = [e for e in evs if e["type"] == "customer.subscription.created"][0]
        self.assertEqual(stored(self.stack, created["id"]), [("applied", "1", "")])
        self.fake.clear()
        t0 = time.monotonic()
        for server in ("lighttpd", "apache", "lighttpd"):
            r = deliver(self.stack, created, server=server)
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(r.json()["outcome"], "duplicate")
        self.assertLess(time.monotonic() - t0, 3)
        # nothing done: Stripe was not asked again, nothing counted twice
        self.assertEqual(self.fake.requests("/v1/"), [])
        self.assertEqual(stored(self.stack, created["id"]), [("applied", "1", "")])
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM billing_subscriptions"
                                        " WHERE subscription_id = '%s'" % sub), [("1",)])

    def test_answer_within_a_second(self):
        c = new_user(self.stack)
        self.fake.config(deliver=False)
        sid, _ = upgrade(c)
        self.fake.pay(sid)
        ev = [e for e in self.fake.events() if e["type"] == "invoice.paid"][-1]
        t0 = time.monotonic()
        r = deliver(self.stack, ev)
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertEqual((r.status, r.json()["outcome"]), (200, "applied"))
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))

    def test_unknown_type_and_unknown_customer(self):
        e = an_event("customer.tax_id.created", {"id": "txi_1", "object": "tax_id"})
        r = deliver(self.stack, e)
        self.assertEqual((r.status, r.json()["outcome"]), (200, "ignored"))
        self.assertEqual(stored(self.stack, e["id"]), [("ignored", "1", "")])
        # a subscription of a customer that is not one of ours
        cus = self.fake.api("POST", "/v1/customers", [("email", "stranger@example.com")])["id"]
        evs = self.fake.control("lifecycle", {"customer": cus, "price": self.pro_price})
        r = deliver(self.stack, evs[0])
        self.assertEqual((r.status, r.json()["outcome"]), (200, "flagged"), r.text)
        self.assertEqual(stored(self.stack, evs[0]["id"]), [(
            "flagged", "1", "The customer %s is not one of this site's: stored, not applied." % cus)])
        # stored with no user, giving no plan to anyone
        self.assertEqual(self.stack.sql("SELECT user_id, status FROM billing_subscriptions"
                                        " WHERE customer_id = '%s'" % cus), [("NULL", "canceled")])
        # a known type without its object: flagged, acknowledged
        e = an_event("invoice.paid")
        e["data"] = {}
        r = deliver(self.stack, e)
        self.assertEqual((r.status, r.json()["outcome"]), (200, "flagged"))
        # no id at all: refused, nothing stored
        before = self.events_count()
        r = deliver(self.stack, b'{"object":"event","type":"invoice.paid"}')
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(r.json()["error"]["message"], "The body is not a Stripe event: it has no id.")
        self.assertEqual(self.events_count(), before)

    def test_failure_is_500_and_the_retry_applies_once(self):
        c = new_user(self.stack)
        self.fake.config(deliver=False)
        sid, _ = upgrade(c)
        self.fake.pay(sid)
        created = [e for e in self.fake.events()
                   if e["type"] == "customer.subscription.created"][-1]
        sub = created["data"]["object"]["id"]
        self.fake.faults([{"method": "GET", "path": "/v1/subscriptions/" + sub,
                           "status": 500, "count": 1}])
        self.fake.clear()
        r = deliver(self.stack, created)
        self.assertEqual(r.status, 500, r.text)
        self.assertEqual(r.json()["error"]["message"],
                         "Stripe is unavailable right now (HTTP 500). Nothing was changed or"
                         " charged; please try again in a few minutes.")
        st = stored(self.stack, created["id"])
        self.assertEqual(st[0][:2], ("failed", "1"))
        self.assertIn("HTTP 500", st[0][2])
        self.assertIsNone(plan_of(self.stack, c))       # still FREE
        # one try only within the webhook (Stripe retries the delivery)
        self.assertEqual(len(self.fake.requests("/v1/subscriptions/", "GET")), 1)
        # Stripe's retry: applied
        r = deliver(self.stack, created)
        self.assertEqual((r.status, r.json()["outcome"]), (200, "applied"), r.text)
        self.assertEqual(stored(self.stack, created["id"]), [("applied", "2", "")])
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        # and a third delivery does nothing
        n = len(self.fake.requests("/v1/"))
        r = deliver(self.stack, created)
        self.assertEqual((r.status, r.json()["outcome"]), (200, "duplicate"))
        self.assertEqual(len(self.fake.requests("/v1/")), n)

    def test_trial_will_end_and_refund_events(self):
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        obj = self.fake.subscription(sub)
        e = an_event("customer.subscription.trial_will_end", obj)
        r = deliver(self.stack, e)
        self.assertEqual((r.status, r.json()["outcome"]), (200, "applied"), r.text)
        # a refund made on Stripe's dashboard: the invoice shows it
        inv = self.stack.sql("SELECT payment_intent FROM billing_invoices WHERE"
                             " subscription_id = '%s'" % sub)[0][0]
        self.fake.api("POST", "/v1/refunds", [("payment_intent", inv), ("amount", "150")])
        self.fake.idle()
        self.assertEqual(self.stack.sql("SELECT amount_refunded FROM billing_invoices WHERE"
                                        " subscription_id = '%s'" % sub), [("150",)])
        types = [t for (t,) in self.stack.sql(
            "SELECT type FROM billing_events WHERE status = 'applied' AND type = 'charge.refunded'")]
        self.assertTrue(types)

    # ------------------------------------------------------------ convergence

    def make_users(self, n):
        """n users, each with a customer of ours: [(user id, customer id)]."""
        tag = random.getrandbits(32)
        values = ",".join("('p%d-%d@example.com', 'p%d-%d@example.com', 'x', 0, 0)" % (
            tag, i, tag, i) for i in range(n))
        self.stack.sql("INSERT INTO users (email, email_norm, password_hash, created_at,"
                       " updated_at) VALUES " + values)
        ids = [int(x) for (x,) in self.stack.sql(
            "SELECT id FROM users WHERE email LIKE 'p%d-%%' ORDER BY id" % tag)]
        out = []
        for uid in ids:
            cus = self.fake.api("POST", "/v1/customers", [("metadata[user_id]", str(uid))])["id"]
            out.append((uid, cus))
        self.stack.sql("INSERT INTO billing_customers (user_id, customer_id, created_at)"
                       " VALUES " + ",".join("(%d, '%s', 0)" % p for p in out))
        return out

    def final_states(self, users):
        ids = ",".join(str(u) for u, _ in users)
        rows = self.stack.sql(
            "SELECT s.user_id, s.status, s.cancel_at_period_end, s.past_due_since IS NULL,"
            " s.billing_interval, COALESCE((SELECT CONCAT(p.code, ':', up.source) FROM"
            " user_plans up JOIN plans p ON p.id = up.plan_id WHERE up.user_id = s.user_id),"
            " 'default') FROM billing_subscriptions s WHERE s.user_id IN (%s)" % ids)
        return {int(r[0]): r[1:] for r in rows}

    def check_orders(self, events_of, orders, want):
        """Deliver each user's lifecycle in its order (with one event
        delivered twice, somewhere): every user ends in state want."""
        rng = random.Random(7)
        users = self.make_users(len(orders))
        for (uid, cus), order in zip(users, orders):
            evs = events_of(cus)
            seq = [evs[i] for i in order]
            dup = rng.randrange(len(seq))
            seq.insert(rng.randrange(len(seq) + 1), seq[dup])
            for ev in seq:
                r = deliver(self.stack, ev)
                self.assertEqual(r.status, 200, (order, ev["type"], r.text))
        states = self.final_states(users)
        self.assertEqual(len(states), len(orders))
        for (uid, _), order in zip(users, orders):
            self.assertEqual(states[uid], want, order)

    def test_every_order_of_a_lifecycle_converges(self):
        """created, updated, paid, payment_failed and deleted, in all 120
        orders, each with a duplicate: one final state (cancelled, FREE)."""
        self.fake.config(deliver=False)

        def lifecycle(cus):
            return self.fake.control("lifecycle", {"customer": cus, "price": self.pro_price})

        orders = list(itertools.permutations(range(5)))
        self.assertEqual(len(orders), 120)
        self.check_orders(lifecycle, orders, ("canceled", "0", "1", "month", "default"))

    def test_every_order_before_the_end_converges(self):
        """created, updated, paid and payment_failed in all 24 orders (with
        duplicates), Stripe's subscription left past_due: PRO kept (grace)."""
        self.fake.config(deliver=False)

        # A lifecycle that ends past_due: made by hand in the fake.
        def past_due(cus):
            sid = self.fake.api("POST", "/v1/checkout/sessions", [
                ("mode", "subscription"), ("customer", cus),
                ("line_items[0][price]", self.pro_price), ("line_items[0][quantity]", "1"),
                ("success_url", "http://x/ok")])["id"]
            n = len(self.fake.events())
            self.fake.pay(sid)
            sub = [e for e in self.fake.events()[n:]
                   if e["type"] == "customer.subscription.created"][0]["data"]["object"]["id"]
            self.fake.control("subscriptions/%s/fail_payment" % sub)
            evs = self.fake.events()[n:]
            pick = {}
            for e in evs:
                pick.setdefault(e["type"], e)
            return [pick["customer.subscription.created"], pick["customer.subscription.updated"],
                    pick["invoice.paid"], pick["invoice.payment_failed"]]

        orders = list(itertools.permutations(range(4)))
        self.check_orders(past_due, orders, ("past_due", "0", "0", "month", "PRO:stripe"))

    # ------------------------------------------------------------ grace period

    def test_past_due_keeps_the_plan_for_the_grace_period(self):
        self.stack.set_clock(T0)
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        self.stack.set_clock(T0 + 31 * 86400)       # the renewal fails
        self.fake.control("subscriptions/%s/fail_payment" % sub)
        self.fake.idle()
        self.assertEqual(self.stack.sql("SELECT status, past_due_since FROM billing_subscriptions"
                                        " WHERE subscription_id = '%s'" % sub),
                         [("past_due", str(T0 + 31 * 86400))])
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))     # kept
        self.relogin(c)
        # told on every page of the site, and by the billing page
        notice = ("Your last payment failed. Your plan is kept until 2026-04-08 while Stripe"
                  " retries: update your card on the billing page.")
        for path in ("/dashboard", "/prompts", "/billing"):
            self.assertIn(notice, main_text(c.get(path)), path)
        self.assertIn("Payment failed", main_text(c.get("/billing")))
        # a day before the end of the grace period: still PRO
        self.stack.set_clock(T0 + 37 * 86400)
        self.relogin(c)
        c.get("/dashboard")
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        # past it: downgraded (by the next page, or by any webhook's sweep)
        self.stack.set_clock(T0 + 38 * 86400 + 1)
        self.relogin(c)
        r = c.get("/dashboard")
        self.assertIn("the grace period is over: you are back on the free plan", main_text(r))
        self.assertIsNone(plan_of(self.stack, c))
        self.assertIn("Your plan: Free", main_text(c.get("/billing")))
        # the card is updated and the invoice paid: PRO again
        self.fake.control("subscriptions/%s/pay" % sub)
        self.fake.idle()
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        self.assertNotIn("payment failed", main_text(c.get("/dashboard")).lower())

    def test_sweep_by_webhooks(self):
        """The downgrade after grace happens at the next event of anyone."""
        self.stack.set_clock(T0)
        c = new_user(self.stack)
        sub = subscribe(self.stack, c)
        self.fake.control("subscriptions/%s/fail_payment" % sub)
        self.fake.idle()
        self.stack.set_clock(T0 + 8 * 86400)
        r = deliver(self.stack, an_event())
        self.assertEqual(r.status, 200)
        self.assertIsNone(plan_of(self.stack, c))

    # ------------------------------------------------------------ the admin

    def test_event_log_and_reapply(self):
        email = "admin-%d@example.com" % random.getrandbits(32)
        self.assertEqual(self.stack.admin("create-admin", email, input=PASSWORD + "\n").returncode, 0)
        a = Client(self.stack)
        self.assertEqual(a.login(email, PASSWORD).status, 303)
        # a failed event, as the log shows it
        c = new_user(self.stack)
        self.fake.config(deliver=False)
        sid, _ = upgrade(c)
        self.fake.pay(sid)
        created = [e for e in self.fake.events()
                   if e["type"] == "customer.subscription.created"][-1]
        sub = created["data"]["object"]["id"]
        self.fake.faults([{"method": "GET", "path": "/v1/subscriptions/" + sub,
                           "status": 503, "count": 1}])
        self.assertEqual(deliver(self.stack, created).status, 500)
        r = a.get("/admin/billing/events?status=failed")
        self.assertEqual(r.status, 200)
        text = main_text(r)
        self.assertIn(created["id"], text)
        self.assertIn("customer.subscription.created", text)
        self.assertIn("Stripe is unavailable right now (HTTP 503)", text)
        self.assertIn("Re-apply", text)
        # re-apply from the page
        r = a.post_form("/admin/billing/events/reapply", {"event": created["id"]})
        self.assertEqual((r.status, r.header("location")), (303, "/admin/billing/events"))
        self.assertIn("The event was applied again.", main_text(a.get("/admin/billing/events")))
        self.assertEqual(stored(self.stack, created["id"]), [("applied", "2", "")])
        self.assertEqual(plan_of(self.stack, c), ("PRO", "stripe"))
        # and from pm-admin
        out = self.stack.admin("stripe", "reapply", created["id"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "event %s: applied" % created["id"])
        out = self.stack.admin("stripe", "reapply", "evt_nope")
        self.assertEqual((out.returncode, out.stderr.strip()), (1, "pm-admin: There is no Stripe event evt_nope."))
        # a bad filter, a missing event, not an admin
        self.assertEqual(a.get("/admin/billing/events?status=weird").status, 400)
        self.assertEqual(a.post_form("/admin/billing/events/reapply", {"event": "evt_nope"}).status, 404)
        self.assertEqual(c.get("/admin/billing/events").status, 403)


if __name__ == "__main__":
    unittest.main()
