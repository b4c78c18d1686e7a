"""Smoke test of the harness itself: a private stack behind lighttpd and
Apache answers /api/health and serves static files, and stop() leaves no
process and no directory behind."""
import os
import time
import unittest

from tests.integration.stack import Client, Stack, pid_alive


class StackSmokeTest(unittest.TestCase):
    def test_start_serve_stop(self):
        stack = Stack(server="both", workers=2)
        self.addCleanup(stack.stop)
        stack.start()
        self.assertTrue(os.path.isdir(stack.dir))
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c = Client(stack, server=server)
                r = c.get("/api/health")
                self.assertEqual(r.status, 200, r.text)
                self.assertTrue(r.header("content-type").startswith("application/json"))
                self.assertEqual(r.json(), {"status": "ok", "db": "ok"})
                r = c.get("/static/css/app.css")
                self.assertEqual(r.status, 200)
                self.assertTrue(r.header("content-type").startswith("text/css"))
                with open(os.path.join(os.path.dirname(__file__), "..", "..",
                                       "static", "css", "app.css"), "rb") as f:
                    self.assertEqual(r.body, f.read())
                r = c.request("HEAD", "/api/health")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, b"")

        self.assertEqual(len(stack.worker_pids()), 2)
        pids = dict(stack.pids())
        self.assertEqual(set(pids), {"mysqld", "pm-fcgi", "lighttpd", "apache"})
        pids.update(("worker%d" % i, p) for i, p in enumerate(stack.worker_pids()))
        for name, pid in pids.items():
            self.assertTrue(pid_alive(pid), name)
        d = stack.dir

        stack.stop()
        self.assertFalse(os.path.exists(d))
        deadline = time.time() + 10
        while time.time() < deadline and any(pid_alive(p) for p in pids.values()):
            time.sleep(0.1)
        self.assertEqual([n for n, p in pids.items() if pid_alive(p)], [])
        stack.stop()            # idempotent


if __name__ == "__main__":
    unittest.main()
