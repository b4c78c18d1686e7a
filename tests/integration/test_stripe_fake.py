"""The local Stripe itself (tests/fakes/stripe.py), without the app: its
objects have the shapes of Stripe's fixtures, its errors Stripe's error
shape, idempotency keys replay the first answer (and refuse another
body), requests are recorded, faults injected, and its checkout page pays
or declines and delivers correctly signed webhooks."""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fakes", "stripe.py")
with open(os.path.join(ROOT, "tests", "fakes", "stripe_fixtures.json")) as f:
    FIXTURES = json.load(f)["resources"]
KEY = "sk_test_fake_key"
SECRETS = ["whsec_one", "whsec_two"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((self.headers["Stripe-Signature"], body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class FakeStripeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fake-stripe-")
        cls.recv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=cls.recv.serve_forever, daemon=True).start()
        with open(os.path.join(cls.dir, "key"), "w") as f:
            f.write(KEY + "\n")
        with open(os.path.join(cls.dir, "whsec"), "w") as f:
            f.write("\n".join(SECRETS) + "\n")
        port_file = os.path.join(cls.dir, "port")
        cls.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                                     "--key-file", os.path.join(cls.dir, "key"),
                                     "--webhook-url", "http://127.0.0.1:%d/hook"
                                     % cls.recv.server_address[1],
                                     "--webhook-secret-file", os.path.join(cls.dir, "whsec"),
                                     "--quiet"])
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        with open(port_file) as f:
            cls.url = "http://127.0.0.1:%s" % f.read().strip()
        cls.opener = urllib.request.build_opener(NoRedirect)

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(10)
        cls.recv.shutdown()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def call(self, method, path, form=None, key=KEY, idem=None, body=None):
        data = None
        h = {}
        if key:
            h["Authorization"] = "Bearer " + key
        if idem:
            h["Idempotency-Key"] = idem
        if form is not None:
            q = urllib.parse.urlencode(form)
            if method == "GET":
                path += "?" + q
            else:
                data = q.encode()
                h["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            data = json.dumps(body).encode()
        if method in ("POST", "DELETE") and data is None:
            data = b""
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=20) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, *a, **k):
        st, h, body = self.call(*a, **k)
        return st, json.loads(body)

    def catalog(self):
        st, cus = self.json("POST", "/v1/customers", [("email", "a@example.com")])
        self.assertEqual(st, 200)
        pid = "pm_t_%d" % time.monotonic_ns()
        self.assertEqual(self.json("POST", "/v1/products", [("id", pid), ("name", "Pro")])[0], 200)
        st, price = self.json("POST", "/v1/prices", [
            ("product", pid), ("unit_amount", "700"), ("currency", "usd"),
            ("recurring[interval]", "month"), ("lookup_key", pid + "_month")])
        self.assertEqual(st, 200, price)
        return cus, price

    def test_shapes_are_stripes(self):
        cus, price = self.catalog()
        self.assertEqual(set(cus), set(FIXTURES["customer"]))
        self.assertEqual(set(price), set(FIXTURES["price"]))
        self.assertEqual(price["recurring"]["interval"], "month")
        st, s = self.json("POST", "/v1/checkout/sessions", [
            ("mode", "subscription"), ("customer", cus["id"]),
            ("line_items[0][price]", price["id"]), ("line_items[0][quantity]", "2"),
            ("success_url", "http://app/ok?session_id={CHECKOUT_SESSION_ID}"),
            ("client_reference_id", "42")])
        self.assertEqual(st, 200, s)
        self.assertEqual(set(s), set(FIXTURES["checkout.session"]))
        self.assertEqual((s["mode"], s["status"], s["client_reference_id"]),
                         ("subscription", "open", "42"))
        st, h, _ = self.call("POST", "/checkout/%s/pay" % s["id"], key=None)
        self.assertEqual((st, h["Location"]), (303, "http://app/ok?session_id=" + s["id"]))
        st, sess = self.json("GET", "/v1/checkout/sessions/" + s["id"])
        st, sub = self.json("GET", "/v1/subscriptions/" + sess["subscription"])
        # the 2025-03-31 shape: the period on the item, not at the top
        self.assertEqual(set(sub), set(FIXTURES["subscription"]))
        item = sub["items"]["data"][0]
        self.assertEqual(set(item), set(FIXTURES["subscription_item"]) - {"plan"})
        self.assertNotIn("current_period_start", sub)
        self.assertGreater(item["current_period_end"], item["current_period_start"])
        self.assertEqual((sub["status"], item["quantity"], item["price"]["id"]),
                         ("active", 2, price["id"]))
        st, inv = self.json("GET", "/v1/invoices/%s?expand[0]=payments" % sub["latest_invoice"])
        self.assertEqual(set(inv) - {"payments"}, set(FIXTURES["invoice"]))
        self.assertEqual(inv["parent"]["subscription_details"]["subscription"], sub["id"])
        self.assertEqual((inv["status"], inv["amount_paid"]), ("paid", 1400))
        pay = inv["payments"]["data"][0]
        self.assertEqual(set(pay), set(FIXTURES["invoice_payment"]))
        st, pi = self.json("GET", "/v1/payment_intents/" + pay["payment"]["payment_intent"])
        self.assertEqual(set(pi), set(FIXTURES["payment_intent"]))
        st, ch = self.json("GET", "/v1/charges/" + pi["latest_charge"])
        self.assertEqual(set(ch), set(FIXTURES["charge"]))
        st, r = self.json("POST", "/v1/refunds", [("payment_intent", pi["id"]), ("amount", "100")])
        self.assertEqual(set(r), set(FIXTURES["refund"]))
        st, ev = self.json("GET", "/v1/events", [("limit", "1")])
        self.assertEqual(set(ev["data"][0]), set(FIXTURES["event"]))

    def test_errors_have_stripes_shape(self):
        st, e = self.json("GET", "/v1/customers/cus_nope")
        self.assertEqual((st, e), (404, {"error": {
            "type": "invalid_request_error", "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "message": "No such customer: 'cus_nope'", "param": "id"}}))
        st, e = self.json("GET", "/v1/customers/cus_nope", key="sk_test_wrong")
        self.assertEqual(st, 401)
        self.assertEqual(e["error"]["message"], "Invalid API Key provided: sk_test_****")
        st, e = self.json("POST", "/v1/checkout/sessions", [("mode", "subscription")])
        self.assertEqual((st, e["error"]["code"], e["error"]["param"]),
                         (400, "parameter_missing", "success_url"))

    def test_idempotency_keys(self):
        form = [("email", "idem@example.com")]
        st1, a = self.json("POST", "/v1/customers", form, idem="k-1")
        st2, h, raw = self.call("POST", "/v1/customers", form, idem="k-1")
        self.assertEqual((st1, st2), (200, 200))
        self.assertEqual(json.loads(raw)["id"], a["id"])      # the same answer
        self.assertEqual(h.get("Idempotent-Replayed"), "true")
        st, e = self.json("POST", "/v1/customers", [("email", "other@example.com")], idem="k-1")
        self.assertEqual((st, e["error"]["type"]), (400, "idempotency_error"))
        st, b = self.json("POST", "/v1/customers", form, idem="k-2")
        self.assertNotEqual(b["id"], a["id"])

    def test_requests_and_faults(self):
        self.call("DELETE", "/__fake/requests", key=None)
        self.call("POST", "/__fake/faults", key=None, body=[
            {"method": "GET", "path": "/v1/events", "status": 503, "should_retry": "true",
             "retry_after": 2, "count": 1}])
        st, h, body = self.call("GET", "/v1/events")
        self.assertEqual((st, h["Stripe-Should-Retry"], h["Retry-After"]), (503, "true", "2"))
        self.assertEqual(json.loads(body)["error"]["type"], "api_error")
        self.assertEqual(self.call("GET", "/v1/events")[0], 200)       # once only
        log = json.loads(self.call("GET", "/__fake/requests", key=None)[2])
        self.assertEqual([(e["method"], e["path"], e["status"]) for e in log],
                         [("GET", "/v1/events", 503), ("GET", "/v1/events", 200)])

    def test_checkout_page_delivers_signed_webhooks(self):
        cus, price = self.catalog()
        Receiver.got = []
        st, s = self.json("POST", "/v1/checkout/sessions", [
            ("mode", "subscription"), ("customer", cus["id"]),
            ("line_items[0][price]", price["id"]), ("success_url", "http://app/ok"),
            ("cancel_url", "http://app/back")])
        st, h, page = self.call("GET", "/checkout/" + s["id"], key=None)
        page = page.decode()
        self.assertEqual(st, 200)
        self.assertIn("Pay $7.00", page)
        self.assertIn("Card declined", page)
        self.assertIn("http://app/back", page)
        st, h, page = self.call("POST", "/checkout/%s/decline" % s["id"], key=None)
        self.assertEqual(st, 402)
        self.assertIn("Your card was declined.", page.decode())
        self.call("POST", "/checkout/%s/pay" % s["id"], key=None)
        self.call("POST", "/__fake/idle", key=None, body={})
        types = []
        for sig, body in Receiver.got:
            items = dict(p.split("=", 1) for p in sig.split(",") if p.startswith("t="))
            t = int(items["t"])
            v1 = [p[3:] for p in sig.split(",") if p.startswith("v1=")]
            self.assertEqual(v1, [hmac.new(sec.encode(), b"%d." % t + body,
                                           hashlib.sha256).hexdigest() for sec in SECRETS])
            self.assertLessEqual(abs(time.time() - t), 300)
            types.append(json.loads(body)["type"])
        self.assertEqual(types, ["payment_intent.payment_failed", "customer.subscription.created",
                                 "invoice.paid", "invoice.payment_succeeded", "charge.succeeded",
                                 "checkout.session.completed"])
        # a completed session has no buttons any more
        page = self.call("GET", "/checkout/" + s["id"], key=None)[2].decode()
        self.assertIn("This checkout is complete.", page)


if __name__ == "__main__":
    unittest.main()
