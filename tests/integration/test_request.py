"""Request layer through lighttpd and Apache: limits, malformed input,
routing errors, HEAD, security headers. Each bad input checks the exact
status and message and that nothing was written."""
import html
import json
import unittest

from tests.integration.stack import Client, get_stack

SERVERS = ("lighttpd", "apache")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def both(fn):
    """Run a test once through each web server."""
    def run(self):
        for server in SERVERS:
            with self.subTest(server=server):
                fn(self, Client(self.stack, server=server))
    run.__name__ = fn.__name__
    return run


def user_count(stack):
    return int(stack.sql("SELECT COUNT(*) FROM users")[0][0])


class RequestLayerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()


    def assert_api_error(self, resp, status, etype, message, field=None):
        self.assertEqual(resp.status, status, resp.text)
        self.assertTrue(resp.header("content-type").startswith("application/json"))
        want = {"type": etype, "message": message}
        if field is not None:
            want["field"] = field
        self.assertEqual(resp.json(), {"error": want})

    def assert_page_error(self, resp, status, title, message):
        self.assertEqual(resp.status, status, resp.text)
        self.assertTrue(resp.header("content-type").startswith("text/html"))
        self.assertIn(title, resp.text)
        self.assertIn(html.escape(message), resp.text)

    @both
    def test_oversized_body_is_413_before_reading(self, c):
        before = user_count(self.stack)
        big = b"email=a%40b.c&password=" + b"x" * (1024 * 1024 + 10)
        r = c.request("POST", "/signup", body=big,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assert_page_error(r, 413, "Request too large",
                               "The request body is larger than the limit of 1048576 bytes.")
        r = c.request("POST", "/api/v1/me", body=b"{" + b" " * (1100 * 1024) + b"}",
                      headers={"Content-Type": "application/json"})
        self.assert_api_error(r, 413, "request_too_large",
                              "The request body is larger than the limit of 1048576 bytes.")
        self.assertEqual(user_count(self.stack), before)

    @both
    def test_malformed_query_path_cookie_form_are_400(self, c):
        before = user_count(self.stack)
        q = "The query string is malformed (bad percent-encoding, invalid UTF-8 or a control character)."
        qx = ('The query parameter "x" is malformed (bad percent-encoding, invalid UTF-8 or a'
              ' control character).')
        p = "The request path is malformed (bad percent-encoding, control character or invalid UTF-8)."
        f = ('The form field "email" is malformed (bad percent-encoding, invalid UTF-8 or a'
             ' control character).')
        k = "A cookie holds invalid bytes (control characters or invalid UTF-8)."
        for query in ("x=%zz", "x=%4", "x=%00", "x=%ff%fe", "x=a%01b", "x=%7f", "%c3%28=1"):
            want = q if query.startswith("%c3") else qx
            self.assert_page_error(c.get("/login?" + query), 400, "Bad request", want)
            self.assert_api_error(c.get("/api/health?" + query), 400,
                                  "invalid_request_error", want,
                                  None if want == q else "x")
        for path in ("/%ff", "/prompts%00x", "/a%zz", "/a%01b", "/a%7f"):
            r = c.get(path)
            if c.server == "apache" and path == "/a%zz":
                # Apache refuses a malformed escape itself (its
                # ErrorDocument in conf/apache.conf), before the app
                self.assertEqual(r.status, 400)
                self.assertIn("<h1>Bad request</h1><p>The request is malformed.</p>", r.text)
                self.assertIsNone(r.header("x-request-id"))
            else:
                self.assert_page_error(r, 400, "Bad request", p)
        # under /api the answer is JSON even when the path cannot be decoded
        self.assert_api_error(c.get("/api/%c0%af"), 400, "invalid_request_error", p)
        cookie = "pm_csrf=\xff\xfe"
        self.assert_page_error(c.get("/login", headers={"Cookie": cookie}), 400,
                               "Bad request", k)
        self.assert_api_error(c.get("/api/health", headers={"Cookie": cookie}), 400,
                              "invalid_request_error", k)
        for cookie in ("pm_csrf=a\x01b", "pm_csrf=a\x7fb"):
            # control characters in a header: both web servers refuse the
            # request themselves, before the app
            r = c.get("/api/health", headers={"Cookie": cookie})
            self.assertEqual(r.status, 400, cookie)
            self.assertIsNone(r.header("x-request-id"), cookie)
        csrf = c.csrf("/signup")
        for bad in (b"email=a%ffb%40x.org", b"email=x%00y%40x.org",
                    b"email=\xff%40x.org", b"email=%zz", b"email=a%01b%40x.org",
                    b"email=a%ed%a0%80b%40x.org", b"email=a%c0%afb%40x.org"):
            r = c.request("POST", "/signup",
                          body=bad + b"&password=correct-horse-9&password_confirm=correct-horse-9&_csrf="
                          + csrf.encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
            self.assert_page_error(r, 400, "Bad request", f)
        self.assertEqual(user_count(self.stack), before)

    @both
    def test_invalid_json_is_400_naming_the_problem(self, c):
        before = self.stack.sql("SELECT COUNT(*) FROM categories")
        for body, msg in ((b'{"a": tru}', "boolean expected at byte 9"),
                          (b'null', "the document is null at byte 0"),
                          (b'{"name": "x"}\x00junk', "unexpected character at byte 13"),
                          (b'{"name": "x", "n": -Infinity}',
                           "unexpected NaN or Infinity at byte 19")):
            # an endpoint that writes: nothing is created
            r = c.request("POST", "/api/v1/categories", body=body,
                          headers={"Content-Type": "application/json"})
            self.assert_api_error(r, 400, "invalid_request_error",
                                  "Invalid JSON body: %s." % msg)
        r = c.request("POST", "/api/v1/categories", body=b'{"name": "\xff"}',
                      headers={"Content-Type": "application/json"})
        self.assert_api_error(r, 400, "invalid_request_error", 'The field "name" holds invalid'
                              ' text: invalid UTF-8 or a control character.', "name")
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM categories"), before)
        r = c.request("POST", "/api/v1/me", body=b'{"a":1} x',
                      headers={"Content-Type": "application/json"})
        self.assert_api_error(r, 400, "invalid_request_error",
                              "Invalid JSON body: unexpected character at byte 8.")
        r = c.request("POST", "/api/v1/me", body=b'{"a":"x\\u0000y"}',
                      headers={"Content-Type": "application/json"})
        self.assert_api_error(r, 400, "invalid_request_error",
                              "Invalid JSON body: strings must not contain NUL characters.")
        r = c.request("POST", "/api/v1/me", body=b'<x/>',
                      headers={"Content-Type": "application/xml"})
        self.assertEqual(r.status, 415)
        # no page takes uploads: a multipart form is refused, not ignored
        r = c.request("POST", "/signup", body=b'--b\r\nContent-Disposition: form-data;'
                      b' name="email"\r\n\r\na@example.com\r\n--b--\r\n',
                      headers={"Content-Type": "multipart/form-data; boundary=b"})
        self.assertEqual(r.status, 415)
        self.assertIn("Unsupported Content-Type: send application/json to the API and forms as"
                      " application/x-www-form-urlencoded.", r.text)

    @both
    def test_unknown_route_404_and_wrong_method_405(self, c):
        self.assert_page_error(c.get("/no/such/page"), 404, "Page not found",
                               "There is nothing at this address.")
        self.assert_api_error(c.get("/api/v1/nope"), 404, "not_found_error",
                              "There is nothing at this address.")
        r = c.request("DELETE", "/login", body=b"")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD, POST, OPTIONS")
        self.assertIn("The method DELETE is not allowed here; allowed: GET, HEAD, POST, OPTIONS.", r.text)
        r = c.request("PUT", "/api/health", json={})
        self.assert_api_error(r, 405, "invalid_request_error",
                              "The method PUT is not allowed here; allowed: GET, HEAD, OPTIONS.")
        self.assertEqual(r.header("allow"), "GET, HEAD, OPTIONS")

    @both
    def test_head_has_headers_and_no_body(self, c):
        g = c.get("/")
        h = c.request("HEAD", "/")
        self.assertEqual(h.status, 200)
        self.assertEqual(h.body, b"")
        self.assertEqual(h.header("content-type"), g.header("content-type"))

    @both
    def test_security_headers_on_every_response(self, c):
        for path in ("/", "/login", "/no/such", "/api/health", "/api/nope",
                     "/dashboard", "/static/css/app.css"):
            r = c.get(path)
            for name, value in SECURITY_HEADERS.items():
                self.assertIn(value, r.header(name) or "", (path, name))

    @both
    def test_health_json(self, c):
        r = c.get("/api/health")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"status": "ok", "db": "ok"})

    @both
    def test_webhook_routed_to_the_app(self, c):
        # through both web servers to the webhook handler, which wants a signature
        before = self.stack.sql("SELECT COUNT(*) FROM billing_events")
        r = c.request("POST", "/webhooks/stripe", body=b"{}",
                      headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(r.json(), {"error": {"type": "invalid_request_error",
                                              "message": "The Stripe-Signature header is"
                                                         " missing."}})
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM billing_events"), before)


if __name__ == "__main__":
    unittest.main()
