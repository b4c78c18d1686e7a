"""Fault tests on private stacks: a worker killed under load, SIGTERM with
requests in flight, MariaDB stopped and restarted, SIGHUP reload, worker
replacement after max_requests."""
import http.client
import os
import signal
import subprocess
import threading
import time
import unittest

from tests.integration.stack import Client, Stack


def wait_for(pred, timeout=15.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Load:
    """Threads issuing GET requests in a loop, recording (start, end,
    status) for each; status 0 means the connection or the answer failed."""

    def __init__(self, stack, paths, threads=6, server="lighttpd"):
        self.stack, self.paths, self.server = stack, paths, server
        self.results, self.lock = [], threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(threads)]

    def run(self, i):
        c = Client(self.stack, server=self.server)
        n = 0
        while not self.stop.is_set():
            path = self.paths[(i + n) % len(self.paths)]
            n += 1
            t0 = time.time()
            try:
                status = c.get(path).status
            except (OSError, http.client.HTTPException):
                status = 0
            with self.lock:
                self.results.append((t0, time.time(), status, path))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


class WorkerFaultsTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(server="lighttpd", workers=3)
        self.stack.start()
        self.addCleanup(self.stack.stop)

    def test_sigkill_worker_under_load(self):
        before = set(self.stack.worker_pids())
        self.assertEqual(len(before), 3)
        with Load(self.stack, ["/_hello", "/api/health", "/"]) as load:
            time.sleep(0.5)
            victim = sorted(before)[0]
            os.kill(victim, signal.SIGKILL)
            replaced = wait_for(lambda: (len(self.stack.worker_pids()) == 3 and
                                         victim not in self.stack.worker_pids()))
            self.assertTrue(replaced, "master did not replace the killed worker")
            t_replaced = time.time()
            # at least 50 requests after the replacement (however slow the
            # machine), each of which must succeed
            self.assertTrue(wait_for(lambda: sum(
                1 for r in list(load.results) if r[0] > t_replaced) > 50, 30))
        after = [r for r in load.results if r[0] > t_replaced]
        self.assertGreater(len(after), 50)
        failed = [r for r in after if r[2] != 200]
        self.assertEqual(failed, [], "requests failed after the replacement")
        self.assertIn("worker %d killed by signal 9" % victim, self.stack.log_text())

    def test_sigterm_master_lets_in_flight_requests_finish(self):
        results = []

        def slow():
            try:
                results.append(Client(self.stack).get("/_test/sleep?ms=1500").status)
            except OSError as e:
                results.append(str(e))

        threads = [threading.Thread(target=slow) for _ in range(3)]
        for t in threads:
            t.start()
        self.assertTrue(wait_for(lambda: self.stack.log_text().count(
            "test sleep 1500 ms") == 3), "the three requests did not reach a worker")
        master = self.stack.master_pid()
        os.kill(master, signal.SIGTERM)
        for t in threads:
            t.join(20)
        self.assertEqual(results, [200, 200, 200])
        gone = wait_for(lambda: not os.path.exists("/proc/%d" % master), 10)
        self.assertTrue(gone, "master did not exit after SIGTERM")
        self.assertIn("shutting down", self.stack.log_text())

    def test_sighup_reload_replaces_workers_and_keeps_in_flight(self):
        before = set(self.stack.worker_pids())
        results = []
        t = threading.Thread(target=lambda: results.append(
            Client(self.stack).get("/_test/sleep?ms=1200").status))
        t.start()
        self.assertTrue(wait_for(lambda: "test sleep 1200 ms" in self.stack.log_text()))
        os.kill(self.stack.master_pid(), signal.SIGHUP)
        t.join(20)
        self.assertEqual(results, [200])
        fresh = wait_for(lambda: (len(self.stack.worker_pids()) == 3 and
                                  not (set(self.stack.worker_pids()) & before)))
        self.assertTrue(fresh, "workers were not replaced on SIGHUP")
        self.assertEqual(Client(self.stack).get("/api/health").status, 200)


class MaxRequestsTest(unittest.TestCase):
    def test_worker_replaced_after_max_requests(self):
        stack = Stack(server="lighttpd", workers=2, settings={"max_requests": "5"})
        stack.start()
        self.addCleanup(stack.stop)
        first = set(stack.worker_pids())
        c = Client(stack)
        statuses = [c.get("/_hello").status for _ in range(40)]
        self.assertEqual(statuses, [200] * 40)
        self.assertTrue(wait_for(lambda: len(stack.worker_pids()) == 2))
        self.assertFalse(set(stack.worker_pids()) & first)


class DatabaseFaultsTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(server="both", workers=3)
        self.stack.start()
        self.addCleanup(self.stack.stop)

    def test_db_down_503_then_recovers_by_itself(self):
        c = Client(self.stack)
        email = "db-%d@example.com" % int(time.time())
        self.assertEqual(c.signup(email, "correct-horse-battery").status, 303)
        workers = set(self.stack.worker_pids())
        self.stack.db_stop()
        try:
            for server in ("lighttpd", "apache"):
                cs = Client(self.stack, server=server)
                r = cs.get("/api/health")
                self.assertEqual(r.status, 503)
                self.assertEqual(r.json(), {"status": "unavailable", "db": "down"})
                r = cs.get("/login")       # a page that needs no database
                self.assertEqual(r.status, 200)
            down = ("The service is temporarily unavailable (database unreachable). Please"
                    " try again in a moment.")
            r = c.get("/dashboard")
            self.assertEqual(r.status, 503)
            self.assertIn("Temporarily unavailable", r.text)
            self.assertIn(down, r.text)
            self.assertEqual(r.header("retry-after"), "5")
            for server in ("lighttpd", "apache"):
                cs = Client(self.stack, server=server)
                cs.cookies = dict(c.cookies)
                r = cs.get("/api/v1/me")
                self.assertEqual(r.status, 503)
                self.assertEqual(r.json(), {"error": {"type": "service_unavailable",
                                                      "message": down}})
            c2 = Client(self.stack)
            r = c2.signup("new-" + email, "correct-horse-battery")
            self.assertEqual(r.status, 503)
            self.assertIn(down, r.text)
            self.assertEqual(set(self.stack.worker_pids()), workers)
        finally:
            self.stack.db_start()
        self.assertTrue(wait_for(lambda: c.get("/api/health").status == 200, 10))
        # every worker's first write after the restart works (a write is
        # not sent again only when it may have reached the server)
        for i in range(9):
            r = Client(self.stack).signup("after-%d-%s" % (i, email), "correct-horse-battery")
            self.assertEqual(r.status, 303, (i, r.text[:200]))
        self.assertEqual(c.get("/dashboard").status, 200)     # same session
        self.assertEqual(set(self.stack.worker_pids()), workers)
        self.assertEqual(self.stack.sql(
            "SELECT COUNT(*) FROM users WHERE email='new-%s'" % email), [("0",)])

    def test_write_lost_after_sending_is_not_sent_again(self):
        """A write whose connection dies after MariaDB received it may have
        been applied: the app answers 503 rather than sending it twice."""
        c = Client(self.stack)
        email = "lost-%d@example.com" % int(time.time())
        self.assertEqual(c.signup(email, "correct-horse-battery").status, 303)
        token = c.csrf("/dashboard")
        uid = self.stack.sql("SELECT id FROM users WHERE email = '%s'" % email)[0][0]
        # another session holds the user's row: the INSERT's foreign-key
        # check waits for it, so the statement is in the server meanwhile
        holder = subprocess.Popen(
            ["mariadb", "--no-defaults", "--socket=" + self.stack.db_socket, "-uroot",
             "prompt_manager", "-e", "BEGIN; SELECT id FROM users WHERE id = %s FOR UPDATE;"
             " SELECT SLEEP(3); COMMIT;" % uid], stdout=subprocess.DEVNULL)
        self.addCleanup(holder.wait)
        self.assertTrue(wait_for(lambda: self.stack.sql(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
            " WHERE INFO LIKE 'SELECT SLEEP%'") == [("1",)]))
        result = []
        t = threading.Thread(target=lambda: result.append(c.request(
            "POST", "/api/v1/categories", headers={"X-CSRF-Token": token},
            json={"name": "Once"})))
        t.start()
        waiting = wait_for(lambda: self.stack.sql(
            "SELECT ID FROM information_schema.PROCESSLIST"
            " WHERE INFO LIKE 'INSERT INTO categories%'"))
        self.assertTrue(waiting, "the INSERT never reached the server")
        self.stack.sql("KILL CONNECTION %s" % waiting[0][0])
        t.join(20)
        holder.wait(20)
        r = result[0]
        self.assertEqual(r.status, 503, r.text)
        self.assertEqual(r.json()["error"]["type"], "service_unavailable")
        self.assertEqual(self.stack.sql(
            "SELECT COUNT(*) FROM categories WHERE user_id = %s" % uid), [("0",)])
        # the next request reconnects and works
        r = c.request("POST", "/api/v1/categories", headers={"X-CSRF-Token": token},
                      json={"name": "Once"})
        self.assertEqual(r.status, 201, r.text)

    def test_db_restart_under_load(self):
        c = Client(self.stack)
        self.assertEqual(c.signup("load-%d@example.com" % int(time.time()),
                                  "correct-horse-battery").status, 303)
        workers = set(self.stack.worker_pids())
        with Load(self.stack, ["/api/health", "/_hello"], threads=4) as load:
            time.sleep(0.5)
            self.stack.db_stop()
            time.sleep(1.0)
            self.stack.db_start()
            t_up = time.time()
            ok = wait_for(lambda: c.get("/api/health").status == 200, 10)
            t_ok = time.time()
            time.sleep(1.0)
        self.assertTrue(ok)
        statuses = {r[2] for r in load.results}
        self.assertTrue(statuses <= {200, 503}, statuses)
        self.assertIn(503, statuses)
        late = [r for r in load.results if r[0] > t_ok + 0.2 and r[2] != 200]
        self.assertEqual(late, [])
        self.assertEqual(c.get("/dashboard").status, 200)
        self.assertEqual(set(self.stack.worker_pids()), workers)
        self.assertLess(t_ok - t_up, 10)


if __name__ == "__main__":
    unittest.main()
