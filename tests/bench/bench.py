#!/usr/bin/python3
"""make bench: start a private stack, load it with wrk through lighttpd and
print requests/second, latency percentiles and each route's ratio to the
"hello" ceiling, plus the resident memory of one worker.

Figures only: nothing here passes or fails on speed. Record the results in
docs/BENCHMARKS.md with the machine they came from."""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tests.integration.stack import Client, Stack  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
THREADS = os.environ.get("BENCH_THREADS", "2")


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def wrk(url, headers=(), script=None):
    cmd = ["wrk", "-t", THREADS, "-c", CONNECTIONS, "-d", DURATION, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, pct, int(errors.group(1)) if errors else 0


def post_script(body, headers):
    """A wrk Lua script that POSTs body as JSON."""
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write('wrk.method = "POST"\nwrk.body = %s\n' % json.dumps(json.dumps(body)))
    f.write('wrk.headers["Content-Type"] = "application/json"\n')
    for k, v in headers.items():
        f.write('wrk.headers[%s] = %s\n' % (json.dumps(k), json.dumps(v)))
    f.close()
    return f.name


def make_prompts(c, token, n):
    """n prompts with one version each, created through the API."""
    def work(start):
        for i in range(start, n, 8):
            r = c.request("POST", "/api/v1/prompts", headers={"X-CSRF-Token": token}, json={
                "name": "Prompt %04d" % i, "model": "openai/gpt-4o-mini",
                "system": "You are helpful.",
                "user_template": "Summarise {{text}} in {{n}} words.",
                "variables": [{"name": "n", "type": "number", "required": False, "default": 50}]})
            assert r.status == 201, r.text
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    workers = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
    stack = Stack(server="lighttpd", workers=workers,
                  settings={"log_level": "warn", "test_mode": "false",
                            "max_requests": "0"})
    stack.start()
    try:
        c = Client(stack)
        r = c.signup("bench@example.com", "correct-horse-battery")
        assert r.status == 303, r.status
        cookie = "pm_session=" + c.cookies["pm_session"]
        token = c.csrf("/dashboard")
        make_prompts(c, token, 1000)
        render = post_script({"variables": {"text": "the quarterly report"}},
                             {"Cookie": cookie, "X-CSRF-Token": token})
        auth = ("Cookie: " + cookie,)
        routes = [
            ("hello (ceiling)", "/_hello", (), None),
            ("/api/health", "/api/health", (), None),
            ("dashboard (signed in)", "/dashboard", auth, None),
            ("prompt list page (1000)", "/prompts", auth, None),
            ("GET /api/v1/prompts (1000)", "/api/v1/prompts", auth, None),
            ("POST render", "/api/v1/prompts/prompt-0500/render", (), render),
        ]
        rows = []
        for name, path, headers, script in routes:
            wrk(stack.url(path), headers, script)          # warm-up
            rows.append((name,) + wrk(stack.url(path), headers, script))
        os.unlink(render)
        hello = rows[0][1]
        print("wrk %s threads, %s connections, %s per route, %d workers, lighttpd"
              % (THREADS, CONNECTIONS, DURATION, workers))
        print("%-28s %10s %8s %8s %8s %7s %6s" % ("route", "req/s", "p50 ms", "p90 ms",
                                                 "p99 ms", "ratio", "non2xx"))
        for name, rps, pct, errs in rows:
            print("%-28s %10.0f %8.2f %8.2f %8.2f %6.0f%% %6d" % (
                name, rps, pct.get("50", 0), pct.get("90", 0), pct.get("99", 0),
                100 * rps / hello, errs))
        pids = stack.worker_pids()
        print("worker RSS: %s KiB (max of %d workers after the load)"
              % (max(rss_kb(p) for p in pids), len(pids)))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
