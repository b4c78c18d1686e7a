"""The web servers' own answers: requests lighttpd or Apache refuse before
pm-fcgi sees them (an oversized header, a bad Host, an over-large body, a
denied path, a malformed %-escape), what they answer when pm-fcgi does
not, and lighttpd's answer to OPTIONS *. Each carries the exact status,
every security header pm-fcgi sends, and no server version. Requests go
over raw sockets, as sent."""
import os
import signal
import time
import unittest

from tests.integration.stack import Client, Stack, get_stack, pid_alive

SECURITY_HEADERS = {
    "content-security-policy":
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}

BIG_HEADER = b"X-Padding: " + b"a" * (70 * 1024) + b"\r\n"
# Above both limits: lighttpd's server.max-request-size (2048 KiB) and
# Apache's LimitRequestBody (2097152). The body is never sent: both answer
# from Content-Length. A static path, so that the web server and not
# pm-fcgi reads the body (Apache passes a proxied one on as it comes).
OVER_LARGE = b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097153\r\n"

# (name, request path and headers, status by server)
CASES = [
    ("70 KB header", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + BIG_HEADER,
     {"lighttpd": 431, "apache": 400}),
    ("Host not UTF-8", b"GET / HTTP/1.1\r\nHost: \xff\r\n",
     {"lighttpd": 400, "apache": 400}),
    ("over-large body", b"POST /static/css/app.css HTTP/1.1\r\nHost: 127.0.0.1\r\n" + OVER_LARGE,
     {"lighttpd": 413, "apache": 413}),
    ("dotfile", b"GET /static/.hidden HTTP/1.1\r\nHost: 127.0.0.1\r\n",
     {"lighttpd": 403, "apache": 403}),
    ("editor backup", b"GET /static/css/app.css~ HTTP/1.1\r\nHost: 127.0.0.1\r\n",
     {"lighttpd": 403, "apache": 403}),
    # lighttpd passes the request target on untouched: pm-fcgi judges it.
    ("malformed %-escape", b"GET /login%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
     {"apache": 400}),
]

# What each server says in the body of its own answers.
BODIES = {
    "lighttpd": {None: b"<h1>Request not answered</h1>"},
    "apache": {400: b"<h1>Bad request</h1><p>The request is malformed.</p>",
               413: b"<h1>Request too large</h1><p>The request body is larger than the limit.</p>"},
}


def parse(raw):
    """(header dict by lower-case name, body) of a raw HTTP response; a
    repeated header is kept as a list."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers, body


class WebServerErrorsTest(unittest.TestCase):
    def assert_own_answer(self, server, status, want, raw):
        self.assertEqual(status, want, raw[:300])
        headers, body = parse(raw)
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(headers.get(name), [value], name)
        for value in headers.get("server", []):
            self.assertNotIn("lighttpd/1.", value)
            self.assertNotIn("Apache/2.", value)
        if server == "apache":
            self.assertEqual(headers.get("server"), ["Apache"])
        else:
            self.assertNotIn("server", headers)
            self.assertEqual(headers.get("content-type"), ["text/html; charset=utf-8"])
            self.assertEqual(headers.get("cache-control"), ["no-store"])
        # the web server's own answer, not pm-fcgi's
        self.assertNotIn("x-request-id", headers)
        bodies = BODIES[server]
        self.assertIn(bodies.get(status, bodies.get(None, b"")), body)

    def test_refusals_carry_the_security_headers_and_no_version(self):
        stack = get_stack()
        for server in ("lighttpd", "apache"):
            c = Client(stack, server=server)
            for name, request, statuses in CASES:
                if server not in statuses:
                    continue
                with self.subTest(server=server, case=name):
                    status, raw = c.raw(request + b"Connection: close\r\n\r\n")
                    self.assert_own_answer(server, status, statuses[server], raw)

    def test_lighttpd_options_star(self):
        status, raw = Client(get_stack(), server="lighttpd").raw(
            b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertEqual(status, 200, raw[:300])
        headers, _ = parse(raw)
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(headers.get(name), [value], name)
        self.assertNotIn("server", headers)

    def test_application_down_503_carries_them_too(self):
        stack = Stack(server="both", workers=1)
        self.addCleanup(stack.stop)
        stack.start()
        master = stack.master_pid()
        os.kill(master, signal.SIGTERM)
        deadline = time.time() + 30
        while time.time() < deadline and pid_alive(master):
            time.sleep(0.1)
        self.assertFalse(pid_alive(master))
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                status, raw = Client(stack, server=server).raw(
                    b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                self.assert_own_answer(server, status, 503, raw)


if __name__ == "__main__":
    unittest.main()
