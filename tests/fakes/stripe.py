#!/usr/bin/env python3
"""A local stand-in for the Stripe API (standard library only), for tests and
for `make run` without internet.

Usage
-----
    python3 tests/fakes/stripe.py --host 127.0.0.1 --port 0 --port-file FILE \\
        --key-file SK_FILE --webhook-url URL --webhook-secret-file WHSEC_FILE \\
        [--clock-file FILE] [--quiet]

--port 0 picks a free port, written as "<port>\\n" to --port-file once the
socket listens. Point the application's stripe_base_url at http://HOST:PORT.
The server runs until SIGTERM or SIGINT.

--key-file     the one secret key accepted (Authorization: Bearer sk_...).
--webhook-url  where events are delivered (POST, signed).
--webhook-secret-file  one whsec_... per line: each delivery carries one v1=
               per secret, as Stripe does during a rotation.
--clock-file   "now" is the integer in this file when it holds one (the
               application's test clock), else the real time.

Objects
-------
Every object is built from Stripe's own fixtures (stripe_fixtures.json,
beside this file) in the shape of API version 2025-03-31.basil: a
subscription's current period on its items, an invoice's subscription under
parent.subscription_details, its payments in the expandable "payments" list.
Errors have Stripe's shape {"error": {"type", "code", "message", "param",
"decline_code"?}}; every answer carries a Request-Id.

Calls: customers (create, retrieve, update, list by email), products (create
with an id of one's choosing, retrieve, update), prices (create with a
lookup_key and transfer_lookup_key, list by lookup_keys[], retrieve, update),
checkout sessions (create in mode subscription, retrieve, expire),
subscriptions (retrieve, list by customer, update items / cancel_at_period_end
/ proration_behavior, cancel with DELETE), invoices (retrieve, list by
customer / subscription / status, expand[]=payments), invoice_payments,
payment intents, charges, refunds (create, retrieve), billing portal sessions,
events (retrieve, list).

Idempotency keys (POST): the same key with the same parameters answers the
first answer again (Idempotent-Replayed: true); with other parameters 400
idempotency_error; while the first is in progress 409.

Hosted pages
------------
GET /checkout/<session>  a payment page with "Pay" and "Card declined"
    buttons. Pay creates the subscription (active, a paid invoice, its payment
    intent and charge), completes the session, queues the events
    checkout.session.completed, customer.subscription.created, invoice.paid,
    invoice.payment_succeeded and charge.succeeded, and redirects to the
    success_url ({CHECKOUT_SESSION_ID} replaced). Card declined (decline_code
    form field, default generic_decline) fails the payment intent, queues
    payment_intent.payment_failed and shows the reason with a link back to
    the cancel_url.
GET /portal/<session>    the customer's subscriptions and invoices, and a
    link back to return_url.
GET /invoices/<id>.pdf   a stand-in PDF.

Events are delivered in the order they were made, one at a time, each retried
(0.2, 0.5, 1, 2 s) until the application answers 2xx.

Test control (/__fake/...)
--------------------------
GET  health | requests (log of API calls: method, path, params, headers
     Idempotency-Key and Stripe-Version, status) | events | deliveries
DELETE requests
POST faults   [{"method", "path" (prefix), "status", "count" (default 1),
     "type", "code", "message", "should_retry" ("true"/"false"),
     "retry_after", "drop" (close without answering), "delay_ms"}] appended;
     DELETE faults clears them
POST config   {"deliver": bool, "webhook_url": str}; deliver false keeps the
     events for the test to send (GET events)
GET  idle     waits (up to 10 s) until every queued delivery was made
POST subscriptions/<id>/renew | fail_payment | pay | end   what Stripe does
     on its own: a new period paid; a renewal payment failed (past_due); the
     open invoice paid (active); dunning over (canceled)
POST lifecycle  {"customer", "price"}: a subscription through created,
     updated, paid, payment_failed and deleted; answers the five events
     (and delivers none)
"""
import argparse
import calendar
import copy
import datetime
import hashlib
import hmac
import html
import http.server
import itertools
import json
import os
import queue
import random
import re
import signal
import socket
import string
import sys
import threading
import time
import urllib.parse
import urllib.request

API_VERSION = "2025-03-31.basil"
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "stripe_fixtures.json")


# ---------------------------------------------------------------- helpers

def rand_id(prefix, n=24):
    alphabet = string.ascii_letters + string.digits
    return prefix + "_" + "".join(random.choice(alphabet) for _ in range(n))


def add_interval(t, interval, count=1):
    """t + count months or years, on the same day of the month (clamped),
    as Stripe's billing anchors do."""
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    if interval == "year":
        y, m = d.year + count, d.month
    else:
        m0 = d.month - 1 + count
        y, m = d.year + m0 // 12, m0 % 12 + 1
    day = min(d.day, calendar.monthrange(y, m)[1])
    return int(d.replace(year=y, month=m, day=day).timestamp())


def parse_form(text):
    """Stripe's bracket notation into nested dicts and lists."""
    root = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        m = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$", key)
        if not m:
            raise ValueError("Invalid parameter name: %s" % key)
        parts = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        node = root
        for i, p in enumerate(parts):
            last = i == len(parts) - 1
            if p == "":                      # a[]=x: append
                p = str(len(node))
            if last:
                node[p] = value
            else:
                node = node.setdefault(p, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def to_bool(v):
    return v in (True, "true", "1", "yes")


def to_int(v, name):
    try:
        return int(v)
    except (TypeError, ValueError):
        raise StripeError(400, "invalid_request_error", "parameter_invalid_integer",
                          "Invalid integer: %s" % v, name)


class StripeError(Exception):
    def __init__(self, status, type_, code, message, param=None, decline_code=None):
        super().__init__(message)
        self.status, self.type, self.code, self.message = status, type_, code, message
        self.param, self.decline_code = param, decline_code

    def body(self):
        e = {"type": self.type, "message": self.message}
        if self.code:
            e["code"] = self.code
            e["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        if self.param:
            e["param"] = self.param
        if self.decline_code:
            e["decline_code"] = self.decline_code
        return {"error": e}


def missing(param):
    return StripeError(400, "invalid_request_error", "parameter_missing",
                       "Missing required param: %s." % param, param)


def no_such(kind, oid, param="id"):
    return StripeError(404, "invalid_request_error", "resource_missing",
                       "No such %s: '%s'" % (kind, oid), param)


# ---------------------------------------------------------------- state

class State:
    """Every object, event and log, behind one lock."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        with open(cfg.fixtures) as f:
            self.tpl = json.load(f)["resources"]
        self.objects = {}            # id -> object (every kind)
        self.events = []             # in order
        self.requests = []
        self.seq = itertools.count(1)
        self.objseq = itertools.count(1)
        self.idem = {}               # key -> {"sig", "status", "body"} or "busy"
        self.faults = []
        self.deliveries = []
        self.deliver = True
        self.webhook_url = cfg.webhook_url
        self.queue = queue.Queue()
        self.pending = 0
        self.idle = threading.Condition(self.lock)

    def now(self):
        if self.cfg.clock_file:
            try:
                with open(self.cfg.clock_file) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                pass
        return int(time.time())

    def new(self, kind, **fields):
        """A fresh object of fixture kind with fields set."""
        o = copy.deepcopy(self.tpl[kind])
        o.update(fields)
        if "livemode" in o:
            o["livemode"] = False
        self.objects[o["id"]] = o
        return o

    def get(self, oid, kind, obj_name):
        o = self.objects.get(oid)
        if o is None or o.get("object") != obj_name:
            raise no_such(kind, oid)
        return o

    # -- events
    def event(self, type_, obj, previous=None):
        ev = copy.deepcopy(self.tpl["event"])
        ev.update({"id": rand_id("evt"), "api_version": API_VERSION,
                   "created": self.now(), "type": type_,
                   "data": {"object": copy.deepcopy(obj)},
                   "pending_webhooks": 1,
                   "request": {"id": rand_id("req", 14), "idempotency_key": None}})
        if previous:
            ev["data"]["previous_attributes"] = previous
        ev["livemode"] = False
        self.objects[ev["id"]] = ev
        self.events.append(ev)
        if self.deliver:
            self.pending += 1
            self.queue.put(ev)
        return ev


# ---------------------------------------------------------------- objects

class Stripe:
    """The API's behaviour on State (called with the lock held)."""

    def __init__(self, st, base_url):
        self.st = st
        self.base_url = base_url

    # -- customers
    def customer_create(self, p):
        c = self.st.new("customer", id=rand_id("cus", 14), created=self.st.now(),
                        email=p.get("email"), name=p.get("name"),
                        metadata=p.get("metadata") or {}, description=p.get("description"),
                        discount=None, invoice_prefix=rand_id("X", 6)[2:].upper())
        return c

    def customer_update(self, c, p):
        for k in ("email", "name", "description"):
            if k in p:
                c[k] = p[k] or None
        if isinstance(p.get("metadata"), dict):
            c["metadata"].update(p["metadata"])
        return c

    # -- products and prices
    def product_create(self, p):
        if not p.get("name"):
            raise missing("name")
        pid = p.get("id") or rand_id("prod", 14)
        if pid in self.st.objects:
            raise StripeError(400, "invalid_request_error", "resource_already_exists",
                              "Product already exists.", "id")
        return self.st.new("product", id=pid, name=p["name"], created=self.st.now(),
                           updated=self.st.now(), description=p.get("description"),
                           metadata=p.get("metadata") or {}, default_price=None,
                           package_dimensions=None, type="service")

    def product_update(self, pr, p):
        if "name" in p:
            pr["name"] = p["name"]
        if "active" in p:
            pr["active"] = to_bool(p["active"])
        if isinstance(p.get("metadata"), dict):
            pr["metadata"].update(p["metadata"])
        pr["updated"] = self.st.now()
        return pr

    def prices_with_key(self, key):
        return [o for o in self.st.objects.values()
                if o.get("object") == "price" and o.get("lookup_key") == key]

    def price_create(self, p):
        for k in ("product", "currency"):
            if not p.get(k):
                raise missing(k)
        self.st.get(p["product"], "product", "product")
        if "unit_amount" not in p:
            raise missing("unit_amount")
        amount = to_int(p["unit_amount"], "unit_amount")
        rec = p.get("recurring") or {}
        if rec and rec.get("interval") not in ("day", "week", "month", "year"):
            raise StripeError(400, "invalid_request_error", "parameter_invalid_string",
                              "Invalid recurring[interval]", "recurring[interval]")
        key = p.get("lookup_key") or None
        if key:
            holders = self.prices_with_key(key)
            if holders and not to_bool(p.get("transfer_lookup_key")):
                raise StripeError(400, "invalid_request_error", None,
                                  "A price (`%s`) already uses that lookup key." % holders[0]["id"],
                                  "lookup_key")
            for h in holders:
                h["lookup_key"] = None
        recurring = None
        if rec:
            recurring = {"interval": rec["interval"],
                         "interval_count": to_int(rec.get("interval_count", 1), "interval_count"),
                         "meter": None, "usage_type": "licensed", "trial_period_days": None}
        return self.st.new("price", id=rand_id("price", 24), product=p["product"],
                           unit_amount=amount, unit_amount_decimal=str(amount),
                           currency=p["currency"].lower(), recurring=recurring,
                           type="recurring" if recurring else "one_time",
                           lookup_key=key, nickname=p.get("nickname"),
                           metadata=p.get("metadata") or {}, created=self.st.now(),
                           active=True, transform_quantity=None)

    def price_update(self, pr, p):
        if "active" in p:
            pr["active"] = to_bool(p["active"])
        if "lookup_key" in p:
            key = p["lookup_key"] or None
            if key:
                holders = [h for h in self.prices_with_key(key) if h is not pr]
                if holders and not to_bool(p.get("transfer_lookup_key")):
                    raise StripeError(400, "invalid_request_error", None,
                                      "A price (`%s`) already uses that lookup key."
                                      % holders[0]["id"], "lookup_key")
                for h in holders:
                    h["lookup_key"] = None
            pr["lookup_key"] = key
        if isinstance(p.get("metadata"), dict):
            pr["metadata"].update(p["metadata"])
        return pr

    # -- checkout
    def session_create(self, p):
        mode = p.get("mode")
        if not mode:
            raise missing("mode")
        if mode != "subscription":
            raise StripeError(400, "invalid_request_error", "parameter_invalid_string",
                              "This stand-in supports mode=subscription only.", "mode")
        for k in ("success_url",):
            if not p.get(k):
                raise missing(k)
        items = p.get("line_items")
        if not isinstance(items, list) or not items:
            raise missing("line_items")
        for i, it in enumerate(items):
            if not isinstance(it, dict) or not it.get("price"):
                raise missing("line_items[%d][price]" % i)
            pr = self.st.objects.get(it["price"])
            if pr is None or pr.get("object") != "price":
                raise no_such("price", it["price"], "line_items[%d][price]" % i)
            if not pr.get("active") or not pr.get("recurring"):
                raise StripeError(400, "invalid_request_error", None,
                                  "The price `%s` is not an active recurring price." % pr["id"],
                                  "line_items[%d][price]" % i)
            if to_int(it.get("quantity", 1), "line_items[%d][quantity]" % i) < 1:
                raise StripeError(400, "invalid_request_error", None,
                                  "Quantity must be at least 1.",
                                  "line_items[%d][quantity]" % i)
        cus = p.get("customer")
        if cus:
            self.st.get(cus, "customer", "customer")
        sid = rand_id("cs_test", 58)
        now = self.st.now()
        amount = sum(self.st.objects[it["price"]]["unit_amount"] * int(it.get("quantity", 1))
                     for it in items)
        s = self.st.new("checkout.session", id=sid, mode=mode, customer=cus,
                        client_reference_id=p.get("client_reference_id"),
                        success_url=p["success_url"], cancel_url=p.get("cancel_url"),
                        metadata=p.get("metadata") or {}, created=now, expires_at=now + 86400,
                        status="open", payment_status="unpaid", payment_intent=None,
                        subscription=None, invoice=None, currency=self.st.objects[items[0]["price"]]["currency"],
                        amount_subtotal=amount, amount_total=amount,
                        customer_email=p.get("customer_email"),
                        url="%s/checkout/%s" % (self.base_url, sid),
                        shipping_cost=None, shipping_address_collection=None,
                        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                        currency_conversion=None, collected_information=None)
        s["_line_items"] = [{"price": it["price"], "quantity": int(it.get("quantity", 1))}
                            for it in items]
        s["_subscription_data"] = p.get("subscription_data") or {}
        return s

    # -- payments
    def pay(self, customer, amount, currency, description, fail=None):
        """A payment intent (and its charge when it succeeded)."""
        now = self.st.now()
        pi = self.st.new("payment_intent", id=rand_id("pi", 24), amount=amount,
                         amount_received=0 if fail else amount, currency=currency,
                         customer=customer, created=now, description=description,
                         status="requires_payment_method" if fail else "succeeded",
                         last_payment_error=None, latest_charge=None, canceled_at=None,
                         client_secret=None, next_action=None, processing=None,
                         transfer_data=None, payment_method=rand_id("pm", 24))
        if fail:
            code, decline = fail
            pi["last_payment_error"] = {
                "type": "card_error", "code": code, "decline_code": decline,
                "message": DECLINES.get(decline, "Your card was declined."),
                "doc_url": "https://stripe.com/docs/error-codes/" + code.replace("_", "-")}
            return pi, None
        ch = self.st.new("charge", id=rand_id("ch", 24), amount=amount, amount_captured=amount,
                         amount_refunded=0, captured=True, paid=True, refunded=False,
                         currency=currency, customer=customer, payment_intent=pi["id"],
                         created=now, description=description, status="succeeded",
                         balance_transaction=rand_id("txn", 24), source=None,
                         transfer_data=None, receipt_url=None)
        ch["refunds"] = {"object": "list", "data": [], "has_more": False,
                         "url": "/v1/charges/%s/refunds" % ch["id"]}
        pi["latest_charge"] = ch["id"]
        return pi, ch

    def invoice(self, sub, amount, reason, start, end, paid=True, price=None):
        now = self.st.now()
        iid = rand_id("in", 24)
        price = price or self.st.objects[sub["items"]["data"][0]["price"]["id"]]
        qty = sub["items"]["data"][0]["quantity"]
        line = copy.deepcopy(self.st.tpl["line_item"])
        line.update({"id": rand_id("il", 24), "invoice": iid, "amount": amount,
                     "currency": sub["currency"], "period": {"start": start, "end": end},
                     "quantity": qty, "subtotal": amount,
                     "description": "%d × %s" % (qty, price.get("nickname") or price["id"]),
                     "parent": {"type": "subscription_item_details",
                                "invoice_item_details": None,
                                "subscription_item_details": {
                                    "invoice_item": None, "proration": reason == "subscription_update",
                                    "proration_details": {"credited_items": None},
                                    "subscription": sub["id"],
                                    "subscription_item": sub["items"]["data"][0]["id"]}},
                     "pricing": {"type": "price_details", "unit_amount_decimal": str(price["unit_amount"]),
                                 "price_details": {"price": price["id"], "product": price["product"]}}})
        inv = self.st.new("invoice", id=iid, customer=sub["customer"], created=now,
                          currency=sub["currency"], amount_due=amount,
                          amount_paid=amount if paid else 0,
                          amount_remaining=0 if paid else amount, subtotal=amount,
                          subtotal_excluding_tax=amount, total=amount, total_excluding_tax=amount,
                          amount_overpaid=0, attempt_count=1, attempted=True,
                          billing_reason=reason, status="paid" if paid else "open",
                          number=rand_id("X", 8)[2:].upper() + "-0001",
                          period_start=start, period_end=end, due_date=None,
                          effective_at=now, webhooks_delivered_at=None,
                          hosted_invoice_url="%s/invoices/%s" % (self.base_url, iid),
                          invoice_pdf="%s/invoices/%s.pdf" % (self.base_url, iid),
                          lines={"object": "list", "data": [line], "has_more": False,
                                 "url": "/v1/invoices/%s/lines" % iid},
                          parent={"type": "subscription_details", "quote_details": None,
                                  "subscription_details": {"metadata": sub.get("metadata") or {},
                                                           "subscription": sub["id"]}},
                          status_transitions={"finalized_at": now, "marked_uncollectible_at": None,
                                              "paid_at": now if paid else None, "voided_at": None},
                          last_finalization_error=None, from_invoice=None, shipping_cost=None,
                          next_payment_attempt=None if paid else now + 3 * 86400,
                          auto_advance=not paid, customer_email=None)
        inv["_payments"] = []
        inv["_seq"] = next(self.st.objseq)
        if amount > 0:
            pi, ch = self.pay(sub["customer"], amount, sub["currency"],
                              "Subscription " + sub["id"],
                              None if paid else ("card_declined", "insufficient_funds"))
            inv["_payments"].append({"pi": pi["id"], "status": "paid" if paid else "open",
                                     "amount": amount, "created": now})
        sub["latest_invoice"] = iid
        return inv

    def invoice_view(self, inv, expand):
        o = {k: v for k, v in inv.items() if not k.startswith("_")}
        if any(e in ("payments", "data.payments") for e in expand):
            o["payments"] = {"object": "list", "has_more": False,
                             "url": "/v1/invoice_payments?invoice=" + inv["id"],
                             "data": [self.invoice_payment(inv, p) for p in inv["_payments"]]}
        return o

    def invoice_payment(self, inv, p):
        ip = copy.deepcopy(self.st.tpl["invoice_payment"])
        ip.update({"id": "inpay_" + p["pi"][3:], "invoice": inv["id"], "livemode": False,
                   "amount_paid": p["amount"] if p["status"] == "paid" else None,
                   "amount_requested": p["amount"], "created": p["created"],
                   "currency": inv["currency"], "is_default": True, "status": p["status"],
                   "payment": {"type": "payment_intent", "payment_intent": p["pi"]},
                   "status_transitions": {"canceled_at": None,
                                          "paid_at": p["created"] if p["status"] == "paid" else None}})
        return ip

    def sub_item(self, sub_id, price, qty, start, end):
        item = copy.deepcopy(self.st.tpl["subscription_item"])
        item.update({"id": rand_id("si", 14), "created": self.st.now(), "subscription": sub_id,
                     "price": self.price_view(price), "quantity": qty,
                     "current_period_start": start, "current_period_end": end,
                     "metadata": {}, "billing_thresholds": None})
        item.pop("plan", None)
        return item

    def price_view(self, pr):
        return {k: v for k, v in pr.items() if not k.startswith("_")}

    def subscription_create(self, customer, price, qty, metadata, status="active"):
        now = self.st.now()
        sid = rand_id("sub", 24)
        end = add_interval(now, price["recurring"]["interval"],
                           price["recurring"].get("interval_count", 1))
        sub = self.st.new("subscription", id=sid, customer=customer, created=now,
                          start_date=now, billing_cycle_anchor=now, status=status,
                          currency=price["currency"], metadata=metadata or {},
                          cancel_at=None, canceled_at=None, cancel_at_period_end=False,
                          ended_at=None, trial_end=None, trial_start=None,
                          next_pending_invoice_item_invoice=None, pending_update=None,
                          pause_collection=None, transfer_data=None, schedule=None,
                          billing_cycle_anchor_config=None, latest_invoice=None,
                          billing_schedules=[], billing_thresholds=None,
                          pending_invoice_item_interval=None,
                          cancellation_details={"comment": None, "feedback": None, "reason": None})
        sub["items"] = {"object": "list", "has_more": False,
                        "url": "/v1/subscription_items?subscription=" + sid,
                        "data": [self.sub_item(sid, price, qty, now, end)]}
        sub["_prorations"] = 0
        return sub

    def sub_view(self, sub):
        return {k: v for k, v in sub.items() if not k.startswith("_")}

    def period(self, sub):
        it = sub["items"]["data"][0]
        return it["current_period_start"], it["current_period_end"]

    def set_period(self, sub, start, end):
        for it in sub["items"]["data"]:
            it["current_period_start"], it["current_period_end"] = start, end

    # -- what the checkout page does
    def complete_checkout(self, s):
        li = s["_line_items"][0]
        price = self.st.objects[li["price"]]
        cus = s["customer"]
        if not cus:
            cus = self.customer_create({"email": s.get("customer_email")})["id"]
            s["customer"] = cus
        meta = dict((s["_subscription_data"] or {}).get("metadata") or {})
        sub = self.subscription_create(cus, price, li["quantity"], meta)
        start, end = self.period(sub)
        inv = self.invoice(sub, price["unit_amount"] * li["quantity"], "subscription_create",
                           start, end)
        s.update({"status": "complete", "payment_status": "paid", "subscription": sub["id"],
                  "invoice": inv["id"]})
        ch = self.charge_of(inv)
        st = self.st
        st.event("customer.subscription.created", self.sub_view(sub))
        st.event("invoice.paid", self.invoice_view(inv, []))
        st.event("invoice.payment_succeeded", self.invoice_view(inv, []))
        if ch:
            st.event("charge.succeeded", ch)
        st.event("checkout.session.completed", self.session_view(s))
        return sub

    def decline_checkout(self, s, decline):
        li = s["_line_items"][0]
        price = self.st.objects[li["price"]]
        pi, _ = self.pay(s["customer"], price["unit_amount"] * li["quantity"], price["currency"],
                         "Checkout " + s["id"], ("card_declined", decline))
        self.st.event("payment_intent.payment_failed", pi)
        return pi

    def session_view(self, s):
        return {k: v for k, v in s.items() if not k.startswith("_")}

    def charge_of(self, inv):
        for p in inv["_payments"]:
            pi = self.st.objects.get(p["pi"])
            if pi and pi.get("latest_charge"):
                return self.st.objects.get(pi["latest_charge"])
        return None

    # -- subscription changes
    def sub_update(self, sub, p):
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(400, "invalid_request_error", None,
                              "A canceled subscription can only update its cancellation_details and metadata.")
        prev = {}
        now = self.st.now()
        if "cancel_at_period_end" in p:
            want = to_bool(p["cancel_at_period_end"])
            if want != sub["cancel_at_period_end"]:
                prev["cancel_at_period_end"] = sub["cancel_at_period_end"]
                sub["cancel_at_period_end"] = want
                sub["cancel_at"] = self.period(sub)[1] if want else None
                sub["canceled_at"] = now if want else None
        if isinstance(p.get("metadata"), dict):
            sub["metadata"].update(p["metadata"])
        inv = None
        items = p.get("items")
        if items:
            if not isinstance(items, list) or not isinstance(items[0], dict):
                raise StripeError(400, "invalid_request_error", None, "Invalid array", "items")
            it = items[0]
            item = sub["items"]["data"][0]
            if it.get("id") and it["id"] != item["id"]:
                raise no_such("subscription item", it["id"], "items[0][id]")
            old_price = self.st.objects[item["price"]["id"]]
            new_price = old_price
            if it.get("price"):
                new_price = self.st.objects.get(it["price"])
                if new_price is None or new_price.get("object") != "price":
                    raise no_such("price", it["price"], "items[0][price]")
            qty = to_int(it.get("quantity", item["quantity"]), "items[0][quantity]")
            behavior = p.get("proration_behavior", "create_prorations")
            if new_price is not old_price or qty != item["quantity"]:
                prev["items"] = {"data": [copy.deepcopy(item)]}
                start, end = self.period(sub)
                period = max(end - start, 1)
                unused = max(0, min(end - now, period))
                credit = (old_price["unit_amount"] * item["quantity"] * unused) // period
                item["price"] = self.price_view(new_price)
                item["quantity"] = qty
                new_interval = new_price["recurring"]["interval"]
                if new_interval != old_price["recurring"]["interval"]:
                    # A new billing interval starts now and is invoiced at
                    # once, less the unused time of the old one.
                    new_end = add_interval(now, new_interval)
                    self.set_period(sub, now, new_end)
                    sub["billing_cycle_anchor"] = now
                    if sub["cancel_at_period_end"]:
                        sub["cancel_at"] = new_end
                    amount = max(0, new_price["unit_amount"] * qty - credit + sub["_prorations"])
                    sub["_prorations"] = 0
                    inv = self.invoice(sub, amount, "subscription_update", now, new_end,
                                       price=new_price)
                elif behavior != "none":
                    charge = (new_price["unit_amount"] * qty * unused) // period
                    sub["_prorations"] += charge - credit
                    if behavior == "always_invoice":
                        amount = max(0, sub["_prorations"])
                        sub["_prorations"] = 0
                        inv = self.invoice(sub, amount, "subscription_update", now, end,
                                           price=new_price)
        if prev or inv:
            self.st.event("customer.subscription.updated", self.sub_view(sub), prev or None)
        if inv is not None:
            self.st.event("invoice.paid", self.invoice_view(inv, []))
            self.st.event("invoice.payment_succeeded", self.invoice_view(inv, []))
        return sub

    def sub_cancel(self, sub):
        if sub["status"] == "canceled":
            raise StripeError(400, "invalid_request_error", None,
                              "No such subscription: '%s'; it was already canceled." % sub["id"])
        now = self.st.now()
        sub.update({"status": "canceled", "canceled_at": now, "ended_at": now,
                    "cancel_at_period_end": False,
                    "cancellation_details": {"comment": None, "feedback": None,
                                             "reason": "cancellation_requested"}})
        self.st.event("customer.subscription.deleted", self.sub_view(sub))
        return sub

    def renew(self, sub):
        if sub["status"] not in ("active", "trialing", "past_due"):
            raise StripeError(400, "invalid_request_error", None, "Not renewable.")
        if sub["cancel_at_period_end"]:
            return self.end(sub)
        start, end = self.period(sub)
        price = self.st.objects[sub["items"]["data"][0]["price"]["id"]]
        new_end = add_interval(end, price["recurring"]["interval"])
        self.set_period(sub, end, new_end)
        amount = max(0, price["unit_amount"] * sub["items"]["data"][0]["quantity"] + sub["_prorations"])
        sub["_prorations"] = 0
        inv = self.invoice(sub, amount, "subscription_cycle", end, new_end)
        prev = {"items": {"data": []}}
        sub["status"] = "active"
        self.st.event("customer.subscription.updated", self.sub_view(sub), prev)
        self.st.event("invoice.paid", self.invoice_view(inv, []))
        self.st.event("invoice.payment_succeeded", self.invoice_view(inv, []))
        return sub

    def fail_payment(self, sub):
        start, end = self.period(sub)
        price = self.st.objects[sub["items"]["data"][0]["price"]["id"]]
        new_end = add_interval(end, price["recurring"]["interval"])
        self.set_period(sub, end, new_end)
        inv = self.invoice(sub, price["unit_amount"] * sub["items"]["data"][0]["quantity"],
                           "subscription_cycle", end, new_end, paid=False)
        prev = {"status": sub["status"]}
        sub["status"] = "past_due"
        self.st.event("invoice.payment_failed", self.invoice_view(inv, []))
        self.st.event("customer.subscription.updated", self.sub_view(sub), prev)
        return sub

    def pay_open(self, sub):
        inv = self.st.objects.get(sub.get("latest_invoice"))
        if inv is None or inv["status"] != "open":
            raise StripeError(400, "invalid_request_error", None, "No open invoice.")
        pi, ch = self.pay(sub["customer"], inv["amount_due"], inv["currency"], "Retry")
        inv["_payments"].append({"pi": pi["id"], "status": "paid", "amount": inv["amount_due"],
                                 "created": self.st.now()})
        inv.update({"status": "paid", "amount_paid": inv["amount_due"], "amount_remaining": 0})
        inv["status_transitions"]["paid_at"] = self.st.now()
        prev = {"status": sub["status"]}
        sub["status"] = "active"
        self.st.event("invoice.paid", self.invoice_view(inv, []))
        self.st.event("customer.subscription.updated", self.sub_view(sub), prev)
        return sub

    def end(self, sub):
        now = self.st.now()
        sub.update({"status": "canceled", "ended_at": now, "canceled_at": sub["canceled_at"] or now})
        self.st.event("customer.subscription.deleted", self.sub_view(sub))
        return sub

    def refund_create(self, p):
        pi_id, ch_id = p.get("payment_intent"), p.get("charge")
        if not pi_id and not ch_id:
            raise missing("charge")
        if pi_id:
            pi = self.st.get(pi_id, "payment_intent", "payment_intent")
            if not pi.get("latest_charge"):
                raise StripeError(400, "invalid_request_error", "charge_not_refundable",
                                  "This PaymentIntent has no successful charge to refund.",
                                  "payment_intent")
            ch_id = pi["latest_charge"]
        ch = self.st.get(ch_id, "charge", "charge")
        left = ch["amount"] - ch["amount_refunded"]
        amount = to_int(p.get("amount", left), "amount")
        if amount <= 0 or amount > left:
            raise StripeError(400, "invalid_request_error", "amount_too_large",
                              "Refund amount ($%.2f) is greater than unrefunded amount on charge ($%.2f)"
                              % (amount / 100, left / 100), "amount")
        r = self.st.new("refund", id=rand_id("re", 24), amount=amount, charge=ch["id"],
                        payment_intent=ch["payment_intent"], currency=ch["currency"],
                        created=self.st.now(), metadata=p.get("metadata") or {},
                        reason=p.get("reason"), status="succeeded",
                        balance_transaction=rand_id("txn", 24), customer=ch.get("customer"))
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
        ch["refunds"]["data"].insert(0, copy.deepcopy(r))
        self.st.event("charge.refunded", ch, {"amount_refunded": ch["amount_refunded"] - amount})
        self.st.event("refund.created", r)
        return r

    def portal_create(self, p):
        if not p.get("customer"):
            raise missing("customer")
        self.st.get(p["customer"], "customer", "customer")
        pid = rand_id("bps", 24)
        return self.st.new("billing_portal.session", id=pid, customer=p["customer"],
                           created=self.st.now(), return_url=p.get("return_url"),
                           url="%s/portal/%s" % (self.base_url, pid), flow=None,
                           configuration=rand_id("bpc", 24), livemode=False)

    def lifecycle(self, p):
        """created, updated, paid, payment_failed, deleted of one subscription."""
        cus = p.get("customer")
        self.st.get(cus, "customer", "customer")
        price = self.st.get(p.get("price"), "price", "price")
        qty = int(p.get("quantity", 1))
        was = self.st.deliver
        self.st.deliver = False
        try:
            n0 = len(self.st.events)
            sub = self.subscription_create(cus, price, qty, p.get("metadata") or {})
            start, end = self.period(sub)
            inv = self.invoice(sub, price["unit_amount"] * qty, "subscription_create", start, end)
            self.st.event("customer.subscription.created", self.sub_view(sub))
            sub["metadata"]["note"] = "updated"
            self.st.event("customer.subscription.updated", self.sub_view(sub),
                          {"metadata": {}})
            self.st.event("invoice.paid", self.invoice_view(inv, []))
            self.fail_payment(sub)
            # fail_payment made invoice.payment_failed and an update: keep
            # the failure only, as the lifecycle's fourth event.
            self.st.events.pop()
            self.end(sub)
            return self.st.events[n0:]
        finally:
            self.st.deliver = was


DECLINES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
}


# ---------------------------------------------------------------- delivery

def sign(secret, t, body):
    return hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()


def deliverer(st):
    """Deliver queued events one at a time, in order, with retries."""
    while True:
        ev = st.queue.get()
        if ev is None:
            return
        body = json.dumps(ev, indent=2).encode("utf-8")
        record = {"event": ev["id"], "type": ev["type"], "attempts": [], "status": None}
        for pause in (0, 0.2, 0.5, 1, 2, None):
            if pause is None:
                break
            time.sleep(pause)
            with st.lock:
                url = st.webhook_url
                secrets = st.cfg.webhook_secrets()
                t = st.now()
            if not url:
                break
            sig = "t=%d,%s" % (t, ",".join("v1=" + sign(s, t, body) for s in secrets))
            req = urllib.request.Request(url, data=body, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sig, "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    code = r.status
            except urllib.error.HTTPError as e:
                code = e.code
            except (OSError, urllib.error.URLError):
                code = 0
            record["attempts"].append(code)
            record["status"] = code
            if 200 <= code < 300:
                break
        with st.lock:
            st.deliveries.append(record)
            st.pending -= 1
            st.idle.notify_all()


# ---------------------------------------------------------------- server

class Config:
    def __init__(self, args):
        self.key = None
        if args.key_file:
            with open(args.key_file) as f:
                self.key = f.read().strip()
        elif args.key:
            self.key = args.key
        self.webhook_url = args.webhook_url
        self.secret_file = args.webhook_secret_file
        self.clock_file = args.clock_file
        self.quiet = args.quiet
        self.fixtures = args.fixtures

    def webhook_secrets(self):
        if not self.secret_file:
            return []
        try:
            with open(self.secret_file) as f:
                return [l.strip() for l in f if l.strip() and not l.startswith("#")]
        except OSError:
            return []


class FakeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, cfg):
        self.cfg = cfg
        self.st = State(cfg)
        super().__init__(addr, Handler)
        self.base_url = "http://%s:%d" % (addr[0], self.server_address[1])
        self.api = Stripe(self.st, self.base_url)


ROUTES = [
    ("POST", r"/v1/customers", "customer_create"),
    ("GET", r"/v1/customers", "customer_list"),
    ("GET", r"/v1/customers/(\w+)", "customer_get"),
    ("POST", r"/v1/customers/(\w+)", "customer_update"),
    ("POST", r"/v1/products", "product_create"),
    ("GET", r"/v1/products/([\w-]+)", "product_get"),
    ("POST", r"/v1/products/([\w-]+)", "product_update"),
    ("POST", r"/v1/prices", "price_create"),
    ("GET", r"/v1/prices", "price_list"),
    ("GET", r"/v1/prices/(\w+)", "price_get"),
    ("POST", r"/v1/prices/(\w+)", "price_update"),
    ("POST", r"/v1/checkout/sessions", "session_create"),
    ("GET", r"/v1/checkout/sessions/(\w+)", "session_get"),
    ("POST", r"/v1/checkout/sessions/(\w+)/expire", "session_expire"),
    ("GET", r"/v1/subscriptions", "sub_list"),
    ("GET", r"/v1/subscriptions/(\w+)", "sub_get"),
    ("POST", r"/v1/subscriptions/(\w+)", "sub_update"),
    ("DELETE", r"/v1/subscriptions/(\w+)", "sub_cancel"),
    ("GET", r"/v1/invoices", "invoice_list"),
    ("GET", r"/v1/invoices/(\w+)", "invoice_get"),
    ("GET", r"/v1/invoice_payments", "invoice_payment_list"),
    ("GET", r"/v1/payment_intents/(\w+)", "pi_get"),
    ("GET", r"/v1/charges/(\w+)", "charge_get"),
    ("POST", r"/v1/refunds", "refund_create"),
    ("GET", r"/v1/refunds/(\w+)", "refund_get"),
    ("POST", r"/v1/billing_portal/sessions", "portal_create"),
    ("GET", r"/v1/events", "event_list"),
    ("GET", r"/v1/events/(\w+)", "event_get"),
]


def listing(url, items, limit=10):
    return {"object": "list", "url": url, "has_more": len(items) > limit, "data": items[:limit]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeStripe/1.0"

    def log_message(self, fmt, *args):
        if not self.server.cfg.quiet:
            super().log_message(fmt, *args)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    # -- plumbing
    def _send(self, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else (
            json.dumps(body, indent=2).encode() if ctype == "application/json" else body.encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", rand_id("req", 14))
        self.send_header("Stripe-Version", API_VERSION)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        try:
            if path.startswith("/__fake/"):
                return self._control(path, raw)
            if path.startswith("/checkout/"):
                return self._checkout_page(path, raw)
            if path.startswith("/portal/"):
                return self._portal_page(path)
            if path.startswith("/invoices/"):
                return self._invoice_page(path)
            if path.startswith("/v1/"):
                return self._api(path, url.query, raw)
            self._send(404, StripeError(404, "invalid_request_error", None,
                                        "Unrecognized request URL (%s %s)." % (self.command, path)).body())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:          # a bug of the stand-in: say it
            import traceback
            traceback.print_exc()
            self._send(500, StripeError(500, "api_error", None, "fake stripe: %r" % e).body())

    # -- the API
    def _api(self, path, query, raw):
        st = self.server.st
        params_text = raw if self.command == "POST" else query
        entry = {"seq": next(st.seq), "method": self.command, "path": path,
                 "idempotency_key": self.headers.get("Idempotency-Key"),
                 "stripe_version": self.headers.get("Stripe-Version"),
                 "content_type": self.headers.get("Content-Type"),
                 "raw": params_text, "status": 0}
        with st.lock:
            st.requests.append(entry)
        try:
            params = parse_form(params_text)
        except ValueError as e:
            entry["params"] = None
            return self._fail(entry, StripeError(400, "invalid_request_error", None, str(e)))
        entry["params"] = params
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] != self.server.cfg.key:
            shown = auth[7:][:8] + "****" if auth.startswith("Bearer ") else ""
            return self._fail(entry, StripeError(
                401, "invalid_request_error", None,
                "Invalid API Key provided: %s" % shown if shown else
                "You did not provide an API key."))
        fault = self._fault(path)
        if fault is not None:
            if fault.get("delay_ms"):
                time.sleep(fault["delay_ms"] / 1000)
            if fault.get("drop"):
                entry["status"] = "dropped"
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.get("status"):
                err = StripeError(fault["status"], fault.get("type", "api_error"),
                                  fault.get("code"), fault.get("message", "An error occurred with our connection to Stripe."),
                                  fault.get("param"), fault.get("decline_code"))
                hdrs = []
                if fault.get("should_retry") is not None:
                    hdrs.append(("Stripe-Should-Retry", fault["should_retry"]))
                if fault.get("retry_after") is not None:
                    hdrs.append(("Retry-After", str(fault["retry_after"])))
                return self._fail(entry, err, hdrs)
        key = entry["idempotency_key"] if self.command == "POST" else None
        sig = json.dumps([path, params], sort_keys=True)
        if key:
            with st.lock:
                prior = st.idem.get(key)
                if prior == "busy":
                    return self._fail(entry, StripeError(
                        409, "idempotency_error", None,
                        "There is currently another in-progress request using this Stripe API key (in either test or live mode) with the same idempotency key."))
                if prior is not None:
                    if prior["sig"] != sig:
                        return self._fail(entry, StripeError(
                            400, "idempotency_error", None,
                            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request." % key))
                    entry["status"] = prior["status"]
                    entry["replayed"] = True
                    return self._send(prior["status"], prior["body"],
                                      headers=[("Idempotent-Replayed", "true"),
                                               ("Idempotency-Key", key)])
                st.idem[key] = "busy"
        status, body = self._call(path, params)
        if key:
            with st.lock:
                st.idem[key] = {"sig": sig, "status": status, "body": body}
        entry["status"] = status
        self._send(status, body)

    def _fail(self, entry, err, headers=()):
        entry["status"] = err.status
        self._send(err.status, err.body(), headers=headers)

    def _fault(self, path):
        st = self.server.st
        with st.lock:
            for f in st.faults:
                if f.get("count", 1) <= 0:
                    continue
                if f.get("method") and f["method"] != self.command:
                    continue
                if not path.startswith(f.get("path", "")):
                    continue
                f["count"] = f.get("count", 1) - 1
                return f
        return None

    def _call(self, path, params):
        st, api = self.server.st, self.server.api
        for method, rx, name in ROUTES:
            m = re.fullmatch(rx, path)
            if m and method == self.command:
                try:
                    with st.lock:
                        return 200, getattr(self, "_" + name)(api, params, *m.groups())
                except StripeError as e:
                    return e.status, e.body()
                except Exception as e:      # a bug of the stand-in: say it
                    return 500, StripeError(500, "api_error", None, "fake stripe: %r" % e).body()
        return 404, StripeError(404, "invalid_request_error", None,
                                "Unrecognized request URL (%s: %s)." % (self.command, path)).body()

    # -- handlers (lock held)
    def _customer_create(self, api, p):
        return api.customer_create(p)

    def _customer_list(self, api, p):
        items = [o for o in api.st.objects.values() if o.get("object") == "customer"
                 and (not p.get("email") or o.get("email") == p["email"])]
        return listing("/v1/customers", items, int(p.get("limit", 10)))

    def _customer_get(self, api, p, cid):
        return api.st.get(cid, "customer", "customer")

    def _customer_update(self, api, p, cid):
        return api.customer_update(api.st.get(cid, "customer", "customer"), p)

    def _product_create(self, api, p):
        return api.product_create(p)

    def _product_get(self, api, p, pid):
        return api.st.get(pid, "product", "product")

    def _product_update(self, api, p, pid):
        return api.product_update(api.st.get(pid, "product", "product"), p)

    def _price_create(self, api, p):
        return api.price_create(p)

    def _price_list(self, api, p):
        keys = p.get("lookup_keys") or []
        if isinstance(keys, str):
            keys = [keys]
        items = [api.price_view(o) for o in api.st.objects.values() if o.get("object") == "price"
                 and (not keys or o.get("lookup_key") in keys)
                 and ("active" not in p or o.get("active") == to_bool(p["active"]))]
        return listing("/v1/prices", items, int(p.get("limit", 10)))

    def _price_get(self, api, p, pid):
        return api.price_view(api.st.get(pid, "price", "price"))

    def _price_update(self, api, p, pid):
        return api.price_view(api.price_update(api.st.get(pid, "price", "price"), p))

    def _session_create(self, api, p):
        return api.session_view(api.session_create(p))

    def _session_get(self, api, p, sid):
        return api.session_view(api.st.get(sid, "checkout session", "checkout.session"))

    def _session_expire(self, api, p, sid):
        s = api.st.get(sid, "checkout session", "checkout.session")
        if s["status"] != "open":
            raise StripeError(400, "invalid_request_error", None,
                              "Only Checkout Sessions with a status in [\"open\"] can be expired.")
        s["status"] = "expired"
        api.st.event("checkout.session.expired", api.session_view(s))
        return api.session_view(s)

    def _sub_list(self, api, p):
        status = p.get("status", "active")
        items = [api.sub_view(o) for o in api.st.objects.values()
                 if o.get("object") == "subscription"
                 and (not p.get("customer") or o["customer"] == p["customer"])
                 and (status == "all" or o["status"] == status
                      or (status == "active" and o["status"] in ("active", "trialing", "past_due")))]
        items.sort(key=lambda s: -s["created"])
        return listing("/v1/subscriptions", items, int(p.get("limit", 10)))

    def _sub_get(self, api, p, sid):
        return api.sub_view(api.st.get(sid, "subscription", "subscription"))

    def _sub_update(self, api, p, sid):
        return api.sub_view(api.sub_update(api.st.get(sid, "subscription", "subscription"), p))

    def _sub_cancel(self, api, p, sid):
        return api.sub_view(api.sub_cancel(api.st.get(sid, "subscription", "subscription")))

    def _invoice_list(self, api, p):
        expand = p.get("expand") or []
        items = [o for o in api.st.objects.values() if o.get("object") == "invoice"
                 and (not p.get("customer") or o["customer"] == p["customer"])
                 and (not p.get("subscription")
                      or o["parent"]["subscription_details"]["subscription"] == p["subscription"])
                 and (not p.get("status") or o["status"] == p["status"])]
        items.sort(key=lambda i: (i["created"], i["_seq"]), reverse=True)
        return listing("/v1/invoices", [api.invoice_view(i, expand) for i in items],
                       int(p.get("limit", 10)))

    def _invoice_get(self, api, p, iid):
        return api.invoice_view(api.st.get(iid, "invoice", "invoice"), p.get("expand") or [])

    def _invoice_payment_list(self, api, p):
        inv = api.st.get(p.get("invoice"), "invoice", "invoice")
        return listing("/v1/invoice_payments", [api.invoice_payment(inv, x) for x in inv["_payments"]])

    def _pi_get(self, api, p, pid):
        return api.st.get(pid, "payment_intent", "payment_intent")

    def _charge_get(self, api, p, cid):
        return api.st.get(cid, "charge", "charge")

    def _refund_create(self, api, p):
        return api.refund_create(p)

    def _refund_get(self, api, p, rid):
        return api.st.get(rid, "refund", "refund")

    def _portal_create(self, api, p):
        return api.portal_create(p)

    def _event_list(self, api, p):
        return listing("/v1/events", list(reversed(api.st.events)), int(p.get("limit", 10)))

    def _event_get(self, api, p, eid):
        return api.st.get(eid, "event", "event")

    # -- hosted pages
    def _page(self, status, title, body, headers=()):
        doc = ("<!doctype html><html lang=en><head><meta charset=utf-8>"
               "<meta name=viewport content='width=device-width, initial-scale=1'>"
               "<link rel=icon href='data:,'>"
               "<title>%s</title><style>body{font:16px system-ui,sans-serif;max-width:32rem;"
               "margin:2rem auto;padding:0 1rem;color:#1c1e21}.card{border:1px solid #ddd;"
               "border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}button{font:inherit;"
               "padding:.6rem 1.2rem;border-radius:6px;border:0;background:#635bff;color:#fff;"
               "margin:.25rem .5rem .25rem 0;cursor:pointer}button.decline{background:#c92a2a}"
               ".muted{color:#666;font-size:.9rem}.error{color:#c92a2a;font-weight:600}</style>"
               "</head><body><p class=muted>Local Stripe stand-in · test mode · no real"
               " payment</p>%s</body></html>") % (html.escape(title), body)
        self._send(status, doc, "text/html; charset=utf-8", headers)

    def _checkout_page(self, path, raw):
        st, api = self.server.st, self.server.api
        m = re.fullmatch(r"/checkout/(\w+)(?:/(pay|decline))?", path)
        if not m:
            return self._page(404, "Not found", "<h1>Not found</h1>")
        with st.lock:
            s = st.objects.get(m.group(1))
            if s is None or s.get("object") != "checkout.session":
                return self._page(404, "Not found", "<h1>This checkout does not exist</h1>")
            action = m.group(2) if self.command == "POST" else None
            li = s["_line_items"][0]
            price = st.objects[li["price"]]
            product = st.objects.get(price["product"], {})
            amount = price["unit_amount"] * li["quantity"]
            error = None
            if action and s["status"] != "open":
                action = None
            if action == "pay":
                api.complete_checkout(s)
                target = s["success_url"].replace("{CHECKOUT_SESSION_ID}", s["id"])
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if action == "decline":
                code = (parse_form(raw).get("decline_code") or "generic_decline")
                pi = api.decline_checkout(s, code if code in DECLINES else "generic_decline")
                error = pi["last_payment_error"]["message"]
        cancel = s.get("cancel_url") or ""
        interval = price["recurring"]["interval"]
        if s["status"] != "open":
            body = ("<h1>%s</h1><div class=card><p>This checkout is %s.</p></div>"
                    % (html.escape(product.get("name", "")), html.escape(s["status"])))
            if cancel:
                body += "<p><a href='%s'>Back to the site</a></p>" % html.escape(cancel)
            return self._page(200, "Checkout", body)
        body = ("<h1>Subscribe to %s</h1><div class=card><p><strong>$%d.%02d</strong> per %s"
                "%s</p><p class=muted>Session %s</p></div>"
                % (html.escape(product.get("name", price["id"])), amount // 100, amount % 100,
                   interval, " (%d seats)" % li["quantity"] if li["quantity"] > 1 else "",
                   html.escape(s["id"])))
        if error:
            body += "<p class=error role=alert>%s</p>" % html.escape(error)
        body += ("<form method=post action='/checkout/%s/pay'><button type=submit>Pay $%d.%02d"
                 "</button></form><form method=post action='/checkout/%s/decline'>"
                 "<input type=hidden name=decline_code value=generic_decline>"
                 "<button type=submit class=decline>Card declined</button></form>"
                 % (s["id"], amount // 100, amount % 100, s["id"]))
        if cancel:
            body += "<p><a href='%s'>Cancel and go back</a></p>" % html.escape(cancel)
        self._page(402 if error else 200, "Checkout", body)

    def _portal_page(self, path):
        st = self.server.st
        m = re.fullmatch(r"/portal/(\w+)", path)
        with st.lock:
            ps = st.objects.get(m.group(1)) if m else None
            if ps is None or ps.get("object") != "billing_portal.session":
                return self._page(404, "Not found", "<h1>Not found</h1>")
            subs = [o for o in st.objects.values() if o.get("object") == "subscription"
                    and o["customer"] == ps["customer"]]
            invs = [o for o in st.objects.values() if o.get("object") == "invoice"
                    and o["customer"] == ps["customer"]]
        rows = "".join("<li>%s: %s</li>" % (html.escape(s["id"]), html.escape(s["status"]))
                       for s in subs) or "<li>none</li>"
        irows = "".join("<li><a href='%s'>%s</a> $%d.%02d %s</li>" % (
            html.escape(i["invoice_pdf"]), html.escape(i["id"]), i["amount_paid"] // 100,
            i["amount_paid"] % 100, html.escape(i["status"])) for i in invs) or "<li>none</li>"
        body = ("<h1>Billing portal</h1><div class=card><h2>Subscriptions</h2><ul>%s</ul>"
                "<h2>Invoices</h2><ul>%s</ul><p class=muted>Payment methods: Visa ···· 4242"
                "</p></div>" % (rows, irows))
        if ps.get("return_url"):
            body += "<p><a href='%s'>Return to the site</a></p>" % html.escape(ps["return_url"])
        self._page(200, "Billing portal", body)

    def _invoice_page(self, path):
        m = re.fullmatch(r"/invoices/(\w+?)(\.pdf)?", path)
        st = self.server.st
        with st.lock:
            inv = st.objects.get(m.group(1)) if m else None
        if inv is None or inv.get("object") != "invoice":
            return self._page(404, "Not found", "<h1>Not found</h1>")
        text = "Invoice %s\nAmount paid: $%d.%02d\nStatus: %s\n" % (
            inv["id"], inv["amount_paid"] // 100, inv["amount_paid"] % 100, inv["status"])
        if m.group(2):
            return self._send(200, pdf(text), "application/pdf")
        self._page(200, "Invoice", "<pre>%s</pre>" % html.escape(text))

    # -- test control
    def _control(self, path, raw):
        st, api = self.server.st, self.server.api
        name = path[len("/__fake/"):]
        body = json.loads(raw) if raw.strip() else {}
        if name == "health":
            return self._send(200, {"ok": True})
        if name == "requests":
            with st.lock:
                if self.command == "DELETE":
                    st.requests.clear()
                    return self._send(200, {"ok": True})
                return self._send(200, list(st.requests))
        if name == "events":
            with st.lock:
                return self._send(200, list(st.events))
        if name == "deliveries":
            with st.lock:
                return self._send(200, list(st.deliveries))
        if name == "faults":
            with st.lock:
                if self.command == "DELETE":
                    st.faults.clear()
                else:
                    st.faults.extend(body if isinstance(body, list) else [body])
                return self._send(200, {"faults": st.faults})
        if name == "config":
            with st.lock:
                if "deliver" in body:
                    st.deliver = bool(body["deliver"])
                if "webhook_url" in body:
                    st.webhook_url = body["webhook_url"]
                return self._send(200, {"deliver": st.deliver, "webhook_url": st.webhook_url})
        if name == "idle":
            end = time.time() + float(body.get("timeout", 10))
            with st.lock:
                while st.pending > 0 and time.time() < end:
                    st.idle.wait(0.1)
                return self._send(200 if st.pending == 0 else 504, {"pending": st.pending})
        if name == "lifecycle":
            try:
                with st.lock:
                    return self._send(200, api.lifecycle(body))
            except StripeError as e:
                return self._send(e.status, e.body())
        m = re.fullmatch(r"subscriptions/(\w+)/(renew|fail_payment|pay|end)", name)
        if m and self.command == "POST":
            try:
                with st.lock:
                    sub = st.get(m.group(1), "subscription", "subscription")
                    fn = {"renew": api.renew, "fail_payment": api.fail_payment,
                          "pay": api.pay_open, "end": api.end}[m.group(2)]
                    return self._send(200, api.sub_view(fn(sub)))
            except StripeError as e:
                return self._send(e.status, e.body())
        self._send(404, {"error": "unknown control " + name})


def pdf(text):
    """A minimal valid PDF showing text."""
    lines = text.strip().split("\n")
    stream = "BT /F1 12 Tf 50 780 Td 16 TL " + " ".join(
        "(%s) '" % l.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for l in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            " /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offs = "%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += "%d 0 obj\n%s\nendobj\n" % (i, o)
    xref = len(out)
    out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += "".join("%010d 00000 n \n" % o for o in offs)
    out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out.encode("latin-1")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local stand-in for the Stripe API.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--key", help="the accepted secret key")
    ap.add_argument("--key-file", help="file holding the accepted secret key")
    ap.add_argument("--webhook-url")
    ap.add_argument("--webhook-secret-file")
    ap.add_argument("--clock-file")
    ap.add_argument("--fixtures", default=FIXTURES)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not args.key and not args.key_file:
        ap.error("--key or --key-file is required")
    cfg = Config(args)
    server = FakeServer((args.host, args.port), cfg)
    worker = threading.Thread(target=deliverer, args=(server.st,), daemon=True)
    worker.start()

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(tmp, args.port_file)
    if not cfg.quiet:
        sys.stderr.write("fake stripe listening on %s\n" % server.base_url)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
