"""Helpers of the billing tests: the local Stripe of a test stack
(tests/fakes/stripe.py, started by scripts/stack.sh), signed webhook
deliveries, and the upgrade flow as a browser goes through it.

    fake = FakeStripe(stack)
    fake.requests(); fake.clear(); fake.faults([{...}]); fake.idle()
    sid, url = upgrade(c)                   # POST /billing/checkout
    fake.pay(sid); fake.idle()              # the hosted page's "Pay"
    r = deliver(stack, event)               # a signed POST /webhooks/stripe
"""
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request

from tests.integration.stack import Client


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


_opener = urllib.request.build_opener(NoRedirect)


class FakeStripe:
    """The fake Stripe of a stack, through its test-control endpoints."""

    def __init__(self, stack):
        self.stack = stack

    @property
    def url(self):
        with open(self.stack.path("run", "stripe.port")) as f:
            return "http://127.0.0.1:%s" % f.read().strip()

    @property
    def secret_key(self):
        with open(self.stack.path("secrets", "stripe_secret_key")) as f:
            return f.read().strip()

    def call(self, method, path, body=None, raw=None, headers=None):
        """(status, headers, parsed JSON or text) of a request to the fake."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if method in ("POST", "DELETE") and data is None:
            data = b""
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with _opener.open(req, timeout=30) as r:
                status, hdrs, text = r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, dict(e.headers), e.read().decode()
        try:
            return status, hdrs, json.loads(text)
        except ValueError:
            return status, hdrs, text

    def api(self, method, path, form=None):
        """A Stripe API call with the stack's secret key (form: pairs)."""
        import urllib.parse
        h = {"Authorization": "Bearer " + self.secret_key}
        q = urllib.parse.urlencode(form or [])
        if method == "GET":
            return self.call("GET", path + ("?" + q if q else ""), headers=h)[2]
        h["Content-Type"] = "application/x-www-form-urlencoded"
        return self.call(method, path, raw=q.encode(), headers=h)[2]

    def requests(self, path=None, method=None):
        log = self.call("GET", "/__fake/requests")[2]
        return [e for e in log if (path is None or e["path"].startswith(path))
                and (method is None or e["method"] == method)]

    def clear(self):
        self.call("DELETE", "/__fake/requests")

    def faults(self, faults):
        return self.call("POST", "/__fake/faults", faults)[2]

    def clear_faults(self):
        self.call("DELETE", "/__fake/faults")

    def config(self, **kw):
        return self.call("POST", "/__fake/config", kw)[2]

    def events(self):
        return self.call("GET", "/__fake/events")[2]

    def deliveries(self):
        return self.call("GET", "/__fake/deliveries")[2]

    def idle(self, timeout=20):
        st, _, body = self.call("POST", "/__fake/idle", {"timeout": timeout})
        assert st == 200, body
        return body

    def pay(self, session_id):
        """The hosted page's Pay button: the Location it sends the browser."""
        st, hdrs, body = self.call("POST", "/checkout/%s/pay" % session_id)
        assert st == 303, (st, body)
        return hdrs.get("Location")

    def decline(self, session_id, code="generic_decline"):
        st, _, body = self.call("POST", "/checkout/%s/decline" % session_id,
                                raw=("decline_code=" + code).encode(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        return st, body

    def control(self, path, body=None):
        st, _, out = self.call("POST", "/__fake/" + path, body)
        assert st == 200, out
        return out

    def subscription(self, sub_id):
        return self.api("GET", "/v1/subscriptions/" + sub_id)


# ---------------------------------------------------------------- webhooks

def secrets(stack):
    """The webhook signing secrets the application reads (one a line)."""
    with open(stack.path("secrets", "stripe_webhook_secret")) as f:
        return [l.strip() for l in f if l.strip()]


def signature(secret, t, body):
    return hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()


def now_of(stack):
    """The application's clock: the pinned time, or the real one."""
    try:
        with open(stack.settings["clock_file"]) as f:
            return int(f.read().strip())
    except (OSError, ValueError, KeyError):
        return int(time.time())


def deliver(stack, event, t=None, secret=None, header=None, server="lighttpd"):
    """POST event (a dict, or bytes as they are) to /webhooks/stripe signed
    like Stripe (or with header as given). Returns the Response."""
    body = event if isinstance(event, bytes) else json.dumps(event, indent=2).encode()
    t = now_of(stack) if t is None else t
    if header is None:
        header = "t=%d,v1=%s" % (t, signature(secret or secrets(stack)[0], t, body))
    h = {"Content-Type": "application/json; charset=utf-8"}
    if header is not False:
        h["Stripe-Signature"] = header
    return Client(stack, server=server).request("POST", "/webhooks/stripe", body=body, headers=h)


# ---------------------------------------------------------------- the upgrade

def refresh_url(r):
    """The address a "Continue to Stripe" page sends the browser to."""
    m = re.match(r"0; url=(.+)$", r.header("refresh") or "")
    assert m, (r.status, r.header("refresh"), r.text[:500])
    return m.group(1)


def upgrade(c, plan="PRO", interval="month", **extra):
    """Click Upgrade: (session id, checkout URL)."""
    form = {"plan": plan, "interval": interval}
    form.update(extra)
    r = c.post_form("/billing/checkout", form)
    assert r.status == 200, (r.status, r.text[:2000])
    url = refresh_url(r)
    return url.rsplit("/", 1)[1], url


def subscribe(stack, c, plan="PRO", interval="month", **extra):
    """Upgrade, pay, and wait for the webhooks: the subscription id."""
    fake = FakeStripe(stack)
    sid, _ = upgrade(c, plan, interval, **extra)
    fake.pay(sid)
    fake.idle()
    rows = stack.sql("SELECT s.subscription_id FROM billing_subscriptions s JOIN users u"
                     " ON u.id = s.user_id WHERE u.email = '%s' ORDER BY s.created DESC"
                     % c.email)
    assert rows, "no subscription stored"
    return rows[0][0]


def plan_of(stack, c):
    """(plan code, source) of user c as user_plans says, or None."""
    rows = stack.sql("SELECT p.code, up.source FROM user_plans up JOIN users u ON"
                     " u.id = up.user_id JOIN plans p ON p.id = up.plan_id"
                     " WHERE u.email = '%s'" % c.email)
    return rows[0] if rows else None


def user_id(stack, c):
    return int(stack.sql("SELECT id FROM users WHERE email = '%s'" % c.email)[0][0])


def main_text(r):
    """The text of a page's <main>, tags removed, blanks collapsed."""
    import html
    t = r.text
    t = t[t.find("<main"):t.find("</main>")]
    t = re.sub(r"</?(?:strong|em|span|a|code|b)\b[^>]*>", "", t)   # inline: no space
    t = re.sub(r"<[^>]+>", " ", t)
    return re.sub(r"\s+", " ", html.unescape(t)).strip()
