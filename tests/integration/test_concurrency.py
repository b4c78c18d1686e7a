"""Runs that wait without holding the site: many runs waiting on a slow
model at once, the cap of runs at once per account (plan data), the caps
per process and per site, pages that keep answering, and what happens to
waiting runs when the upstream stalls, a process is killed, MariaDB
restarts, or the server reloads."""
import http.client
import json
import os
import signal
import threading
import time
import unittest

from tests.integration.stack import Client, Stack, api, new_user

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
PAID_MODEL = "openai/gpt-4o"


def make_prompt(c, model=PAID_MODEL):
    r = api(c, "POST", "/api/v1/prompts", {"name": "Slow", "model": model,
                                           "user_template": "{{topic}}"})
    assert r.status == 201, r.text
    return r.json()["slug"]


def execute(c, slug, topic, server="lighttpd", stream=False, timeout=60):
    """POST execute through server; returns (status, body bytes, headers)."""
    cl = Client(c.stack, server=server, timeout=timeout)
    cl.cookies = dict(c.cookies)
    cl.api_token = c.api_token
    body = {"variables": {"topic": topic}}
    if stream:
        body["stream"] = True
    r = api(cl, "POST", "/api/v1/prompts/%s/execute" % slug, body)
    return r


def in_parallel(n, fn):
    """Run fn(k) for k in 0..n-1 on n threads; returns the results in
    order."""
    out = [None] * n

    def go(k):
        out[k] = fn(k)
    ts = [threading.Thread(target=go, args=(k,)) for k in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(180)
    return out


def timed_get(c, path):
    t0 = time.monotonic()
    r = c.get(path)
    return r.status, time.monotonic() - t0


def wait_for(pred, timeout=20.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


class ConcurrencyTest(unittest.TestCase):
    """One stack: 2 workers of 40 threads each, through both servers."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2, settings={
            "threads": "40", "upstream_timeout_ms": "10000"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def rows(self, c, what="status"):
        return [r[0] for r in self.stack.sql(
            "SELECT %s FROM executions e JOIN users u ON u.id = e.user_id"
            " WHERE u.email = '%s' ORDER BY e.id" % (what, c.email))]

    def users_running(self, c):
        """The runs in progress the database keeps for c (users.running)."""
        return int(self.stack.sql("SELECT running FROM users WHERE email = '%s'"
                                  % c.email)[0][0])

    def test_deleting_a_prompt_while_runs_are_admitted(self):
        """Runs being admitted lock the account's row, then the prompt's;
        a deletion at the same moment waits its turn: never a 500."""
        c = new_user(self.stack, plan="PRO")
        for round_ in range(10):
            slug = make_prompt(c)
            go = threading.Event()

            def one(k):
                go.wait(5)
                if k == 0:
                    return api(c, "DELETE", "/api/v1/prompts/%s" % slug).status
                return execute(c, slug, "race %d" % k).status
            ts = []
            out = {}
            for k in range(6):
                t = threading.Thread(target=lambda k=k: out.__setitem__(k, one(k)))
                t.start()
                ts.append(t)
            go.set()
            for t in ts:
                t.join(60)
            self.assertEqual(out[0], 204, (round_, out))
            self.assertTrue(all(out[k] in (200, 404) for k in range(1, 6)), (round_, out))
        self.assertEqual(self.users_running(c), 0)

    def test_the_cap_of_runs_at_once_is_exact_and_others_are_unaffected(self):
        c = new_user(self.stack, plan="PRO")            # PRO: 10 at once
        slug = make_prompt(c)
        other = new_user(self.stack, plan="PRO")
        other_slug = make_prompt(other)
        page = new_user(self.stack)
        results = {}

        def others():
            # while the flood waits: another account's run and pages
            time.sleep(0.5)
            results["other"] = execute(other, other_slug, "quick")
            results["health"] = timed_get(Client(self.stack), "/api/health")
            results["page"] = timed_get(page, "/dashboard")
        t = threading.Thread(target=others)
        t.start()
        rs = in_parallel(30, lambda k: execute(
            c, slug, "flood %d [[fake:delay_ms=2000]]" % k,
            server="lighttpd" if k % 2 else "apache"))
        t.join(60)
        statuses = sorted(r.status for r in rs)
        self.assertEqual(statuses, [200] * 10 + [429] * 20)
        refused = [r for r in rs if r.status == 429]
        for r in refused:
            self.assertEqual(r.json()["error"], {
                "type": "quota_exceeded",
                "message": "You already have 10 runs in progress, as many as your plan"
                           " allows at once (10). Try again when one has finished."})
            self.assertEqual(r.header("retry-after"), "1")
        self.assertEqual(self.rows(c), ["SUCCEEDED"] * 10)      # the refused left no row
        self.assertEqual(self.users_running(c), 0)      # counted out as each ended
        self.assertEqual(results["other"].status, 200, results["other"].text)
        self.assertEqual(results["health"][0], 200)
        self.assertLess(results["health"][1], 1.0)
        self.assertEqual(results["page"][0], 200)
        self.assertLess(results["page"][1], 1.0)
        # the cap frees as runs end
        self.assertEqual(execute(c, slug, "after").status, 200)

    def test_pages_answer_while_50_slow_runs_wait(self):
        users = [new_user(self.stack, plan="PRO") for _ in range(5)]
        slugs = []
        for u in users:
            slugs.append(make_prompt(u))
        reader = new_user(self.stack)
        started = time.monotonic()
        box = {}

        def flood():
            box["runs"] = in_parallel(50, lambda k: execute(
                users[k % 5], slugs[k % 5], "wait %d [[fake:delay_ms=6000]]" % k,
                server="apache" if k % 3 == 0 else "lighttpd"))
        t = threading.Thread(target=flood)
        t.start()
        # wait until the 50 are admitted and waiting (each waits 6 s: time
        # enough to start them all on a loaded machine)
        self.assertTrue(wait_for(lambda: int(self.stack.sql(
            "SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'")[0][0]) >= 50, 20))
        # the database counts them per user as they start
        self.assertEqual([int(self.stack.sql("SELECT running FROM users WHERE email = '%s'"
                                             % u.email)[0][0]) for u in users], [10] * 5)
        for server in ("lighttpd", "apache"):
            for path in ("/api/health", "/dashboard", "/prompts"):
                status, took = timed_get(Client(self.stack, server=server)
                                         if path == "/api/health" else
                                         self._as(reader, server), path)
                self.assertEqual(status, 200, (server, path))
                self.assertLess(took, 1.0, (server, path))
        t.join(60)
        self.assertEqual([r.status for r in box["runs"]], [200] * 50)
        # 50 runs of 6 s each, at once: about 6 s, not 50 x 6 s
        self.assertLess(time.monotonic() - started, 30)

    def _as(self, c, server):
        cl = Client(self.stack, server=server)
        cl.cookies = dict(c.cookies)
        return cl

    def test_a_stall_mid_stream_fails_the_run_and_settles_it(self):
        c = new_user(self.stack)                        # FREE: counted per day
        slug = make_prompt(c, model=FREE_MODEL)
        r = execute(c, slug, "x [[fake:words=6,chunk_delay_ms=12000]]", stream=True)
        self.assertEqual(r.status, 403)          # FREE has no API: from the site
        cl = Client(self.stack)
        cl.cookies = dict(c.cookies)
        t0 = time.monotonic()
        r = cl.request("POST", "/prompts/%s/run" % slug, form={
            "_csrf": c.api_token, "var.topic": "x [[fake:words=6,chunk_delay_ms=12000]]"},
            headers={"Accept": "text/event-stream"})
        self.assertLess(time.monotonic() - t0, 12)
        self.assertIn(b"event: error", r.body)
        self.assertIn("The model did not answer within 10 seconds.", r.body.decode())
        self.assertEqual(self.rows(c, "CONCAT(status, ' ', error_type)"),
                         ["FAILED upstream_timeout"])
        # the quota came back: the day counts nothing
        self.assertEqual(self.stack.sql(
            "SELECT COALESCE(SUM(executions), 0) FROM usage_counters x JOIN users u"
            " ON u.id = x.user_id WHERE u.email = '%s' AND period = 'day'" % c.email),
            [("0",)])


class CapsTest(unittest.TestCase):
    """The caps per process and per site refuse at once with 503."""

    def check_cap(self, settings, n, admitted):
        stack = Stack(server="lighttpd", settings=settings, workers=int(settings["workers"]))
        stack.start()
        self.addCleanup(stack.stop)
        users = [new_user(stack, plan="PRO") for _ in range(n)]
        slugs = [make_prompt(u) for u in users]

        def one(k):
            t0 = time.monotonic()
            r = execute(users[k], slugs[k], "capped %d [[fake:delay_ms=2500]]" % k)
            return r, time.monotonic() - t0
        out = in_parallel(n, one)
        ok = [r for r, _ in out if r.status == 200]
        busy = [(r, took) for r, took in out if r.status == 503]
        self.assertEqual((len(ok), len(busy)), (admitted, n - admitted),
                         [r.status for r, _ in out])
        for r, took in busy:
            self.assertLess(took, 1.5)                  # refused at once, not queued
            self.assertEqual(r.header("retry-after"), "2")
            self.assertEqual(r.json()["error"], {
                "type": "service_unavailable",
                "message": "The service is running as many prompts as it can just now."
                           " Please try again in a few seconds."})
        self.assertEqual(int(stack.sql("SELECT COUNT(*) FROM executions")[0][0]), admitted)
        # pages are not runs: they answer meanwhile, and runs come back
        self.assertEqual(Client(stack).get("/api/health").status, 200)
        self.assertEqual(execute(users[0], slugs[0], "again").status, 200)

    def test_process_cap(self):
        self.check_cap({"workers": "1", "threads": "12", "max_runs_per_process": "3"}, 6, 3)

    def test_site_cap(self):
        self.check_cap({"workers": "2", "threads": "12", "max_runs_per_process": "8",
                        "max_runs": "4"}, 8, 4)


class ProcessFaultsTest(unittest.TestCase):
    """One worker holding many runs: killed, reloaded, or its database
    restarted."""

    def setUp(self):
        self.stack = Stack(server="lighttpd", workers=1, settings={
            "threads": "24", "shutdown_timeout": "20"}).start()
        self.addCleanup(self.stack.stop)

    def flood(self, n, delay_ms, users=None):
        users = users or [new_user(self.stack, plan="PRO") for _ in range((n + 9) // 10)]
        slugs = []
        for u in users:
            slugs.append(make_prompt(u))
        box = {}

        def go():
            box["runs"] = in_parallel(n, lambda k: execute(
                users[k % len(users)], slugs[k % len(users)],
                "r%d [[fake:delay_ms=%d]]" % (k, delay_ms)))
        t = threading.Thread(target=go)
        t.start()
        self.assertTrue(wait_for(lambda: self.running() >= n, 15))
        return t, box, users

    def running(self):
        return int(self.stack.sql(
            "SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'")[0][0])

    def test_sigkill_settles_every_run_of_the_process_at_once(self):
        t, box, users = self.flood(12, 20000)
        victim = self.stack.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        t.join(60)
        self.assertTrue(all(r.status >= 500 for r in box["runs"]))
        # the replacement settles them as it starts: not after a timeout
        self.assertTrue(wait_for(lambda: self.running() == 0, 10))
        rows = self.stack.sql("SELECT status, error_type, runner IS NULL FROM executions")
        self.assertEqual(rows, [("FAILED", "interrupted", "1")] * 12)
        self.assertIn("settled 12 interrupted executions", self.stack.log_text())
        self.assertEqual(self.stack.sql("SELECT SUM(running) FROM users"), [("0",)])
        new = self.stack.worker_pids()
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new[0], victim)
        # the caps were given back: every user may run 10 at once again
        self.assertEqual(Client(self.stack).get("/api/health").status, 200)
        u = users[0]
        slug = make_prompt(u)
        self.assertEqual([r.status for r in in_parallel(10, lambda k: execute(
            u, slug, "again %d" % k))], [200] * 10)

    def test_mariadb_restart_while_runs_wait(self):
        c = new_user(self.stack)                        # FREE: counted per day
        slug = make_prompt(c, model=FREE_MODEL)
        cl = Client(self.stack, timeout=60)
        cl.cookies = dict(c.cookies)
        box = {}

        def go():
            box["r"] = cl.request("POST", "/prompts/%s/run" % slug, form={
                "_csrf": c.api_token, "var.topic": "db [[fake:delay_ms=3000]]"})
        th = threading.Thread(target=go)
        th.start()
        self.assertTrue(wait_for(lambda: self.running() == 1, 10))
        self.stack.db_stop()
        time.sleep(4)                   # the answer comes while MariaDB is away
        self.stack.db_start()
        th.join(60)
        self.assertEqual(box["r"].status, 200, box["r"].text[:300])
        self.assertEqual(self.stack.sql("SELECT status FROM executions"), [("SUCCEEDED",)])
        self.assertEqual(self.stack.sql(
            "SELECT executions FROM usage_counters WHERE period = 'day'"), [("1",)])

    def test_reload_and_stop_let_waiting_runs_finish(self):
        t, box, _ = self.flood(10, 2500)
        old = self.stack.worker_pids()
        os.kill(self.stack.master_pid(), signal.SIGHUP)
        # the new generation answers at once while the old finishes
        self.assertTrue(wait_for(lambda: any(p not in old for p in self.stack.worker_pids())))
        self.assertEqual(Client(self.stack).get("/api/health").status, 200)
        t.join(60)
        self.assertEqual([r.status for r in box["runs"]], [200] * 10)
        self.assertTrue(wait_for(lambda: all(p not in self.stack.worker_pids() for p in old)))
        self.assertEqual(self.stack.sql(
            "SELECT COUNT(*) FROM executions WHERE status = 'SUCCEEDED'"), [("10",)])
        # SIGTERM: the runs in flight finish before the server stops
        t, box, _ = self.flood(10, 2500)
        os.kill(self.stack.master_pid(), signal.SIGTERM)
        t.join(60)
        self.assertEqual([r.status for r in box["runs"]], [200] * 10)
        self.assertEqual(self.stack.sql(
            "SELECT COUNT(*) FROM executions WHERE status = 'SUCCEEDED'"), [("20",)])


if __name__ == "__main__":
    unittest.main()
