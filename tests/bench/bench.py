#!/usr/bin/python3
"""make bench: start a private stack, load it with wrk through lighttpd and
print requests/second, latency percentiles and each route's ratio to the
"hello" ceiling, plus the resident memory of one worker.

Figures only: nothing here passes or fails on speed. Record the results in
docs/BENCHMARKS.md with the machine they came from."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tests.integration.stack import Client, Stack  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
THREADS = os.environ.get("BENCH_THREADS", "2")


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def wrk(url, headers=()):
    cmd = ["wrk", "-t", THREADS, "-c", CONNECTIONS, "-d", DURATION, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, pct, int(errors.group(1)) if errors else 0


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    workers = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
    stack = Stack(server="lighttpd", workers=workers,
                  settings={"log_level": "warn", "test_mode": "false"})
    stack.start()
    try:
        c = Client(stack)
        r = c.signup("bench@example.com", "correct-horse-battery")
        assert r.status == 303, r.status
        cookie = "pm_session=" + c.cookies["pm_session"]
        routes = [
            ("hello (ceiling)", "/_hello", ()),
            ("/api/health", "/api/health", ()),
            ("dashboard (signed in)", "/dashboard", ("Cookie: " + cookie,)),
        ]
        rows = []
        for name, path, headers in routes:
            wrk(stack.url(path), headers)          # warm-up
            rows.append((name,) + wrk(stack.url(path), headers))
        hello = rows[0][1]
        print("wrk %s threads, %s connections, %s per route, %d workers, lighttpd"
              % (THREADS, CONNECTIONS, DURATION, workers))
        print("%-24s %10s %8s %8s %8s %7s %6s" % ("route", "req/s", "p50 ms", "p90 ms",
                                                 "p99 ms", "ratio", "non2xx"))
        for name, rps, pct, errs in rows:
            print("%-24s %10.0f %8.2f %8.2f %8.2f %6.0f%% %6d" % (
                name, rps, pct.get("50", 0), pct.get("90", 0), pct.get("99", 0),
                100 * rps / hello, errs))
        pids = stack.worker_pids()
        print("worker RSS: %s KiB (max of %d workers after the load)"
              % (max(rss_kb(p) for p in pids), len(pids)))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
