#!/usr/bin/python3
"""make bench: private stacks in temporary directories, loaded through
lighttpd and Apache, printing figures as ratios against stand-ins measured
in the same run:

  routes  each page and API route with wrk against the "hello" ceiling
  exec    POST execute through the pipeline against the C upstream
          stand-in called directly (16 connections and 1), and the time
          to first token of a streamed run against the stand-in's own
  slow    1,000 runs at once against a stand-in answering after 2 s,
          against the ideal rate, with pages timed meanwhile and the
          resident memory per 100 waiting runs

BENCH_ONLY="routes exec slow golden" picks parts. Figures only: nothing here
passes or fails on speed. Record the results in docs/BENCHMARKS.md with the
machine they came from."""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tests.integration.stack import Client, Stack  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "16")
THREADS = os.environ.get("BENCH_THREADS", "2")


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def wrk(url, headers=(), script=None, connections=None):
    c = connections or CONNECTIONS
    t = "1" if connections == "1" else THREADS
    cmd = ["wrk", "-t", t, "-c", c, "-d", DURATION, "--latency"]
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


def users_script(body, users, key=False):
    """A wrk Lua script that POSTs body as JSON, each request as the next
    of users [(cookie, csrf token, api key)], so that no account reaches
    its cap of runs at once: with the session, or with the API key."""
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write("local body = %s\nlocal users = {\n" % json.dumps(json.dumps(body)))
    for u in users:
        f.write("  {%s},\n" % ", ".join(json.dumps(x) for x in u))
    headers = ('[\"Authorization\"] = \"Bearer \" .. u[3]' if key else
               '[\"Cookie\"] = u[1], [\"X-CSRF-Token\"] = u[2]')
    f.write("}\nlocal i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            "  local u = users[(i %% #users) + 1]\n"
            "  return wrk.format(\"POST\", nil, {%s,"
            " [\"Content-Type\"] = \"application/json\"}, body)\n"
            "end\n" % headers)
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


def ttft(conn_factory, method, path, body, headers, first_marker, n=30):
    """Median time to the first streamed content of n sequential calls."""
    import http.client
    import statistics
    times = []
    for _ in range(n):
        conn = conn_factory()
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        buf = b""
        while first_marker not in buf:
            chunk = resp.read1(4096)
            if not chunk:
                break
            buf += chunk
        times.append((time.perf_counter() - t0) * 1000)
        resp.read()
        conn.close()
    return statistics.median(times)


BYOK_KEY = "sk-or-v1-" + "b7" * 32      # the bench users' own OpenRouter key
ROW_GROUP = 5                             # rows per connection count


def pro_account(stack, email, slug, timeout=30):
    """A new PRO account with a prompt slug on fake/fast ("Say {{text}}"):
    (client, CSRF token)."""
    c = Client(stack, timeout=timeout)
    assert c.signup(email, "correct-horse-battery").status == 303
    token = c.csrf("/dashboard")
    r = stack.admin("set-plan", email, "PRO")
    assert r.returncode == 0, r.stderr
    r = c.request("POST", "/api/v1/prompts", headers={"X-CSRF-Token": token}, json={
        "name": slug, "slug": slug, "model": "fake/fast", "user_template": "Say {{text}}"})
    assert r.status == 201, r.text
    return c, token


def byok_users(stack, n=16):
    """n PRO accounts whose own OpenRouter key (BYOK_KEY, tested with the
    stand-in and saved) runs their prompt "byok-bench": [(cookie, csrf)]."""
    users = []
    for i in range(n):
        c, token = pro_account(stack, "byok%d@example.com" % i, "byok-bench")
        r = c.post_form("/settings/byok/test", {"provider": "openrouter", "key": BYOK_KEY,
                                                "base_url": ""})
        assert r.status == 200, r.text
        assert c.post_form("/settings/byok/save", {"provider": "openrouter"}).status == 303
        if i == 0:          # the figures are of runs on the user's key
            r = c.request("POST", "/api/v1/prompts/byok-bench/execute",
                          headers={"X-CSRF-Token": token}, json={"variables": {"text": "x"}})
            assert r.status == 200, r.text
            r = c.request("GET", "/api/v1/executions")
            assert r.json()["items"][0]["billing"] == "BYOK", r.text
        users.append(("pm_session=" + c.cookies["pm_session"], token))
    return users


def execute_bench(stack, up):
    """The execute endpoint through the whole pipeline versus the C upstream
    stand-in called directly, non-streaming at 16 connections and at 1,
    through lighttpd and through Apache, with an API key through chat
    completions, and on the user's own key (BYOK: the vault opened at each
    run); and the time to first token of a streamed run versus the
    stand-in's own stream. The runs are spread over 16 PRO accounts (a PRO
    account may have 10 runs at once)."""
    import http.client
    users = []
    for i in range(16):
        c, token = pro_account(stack, "exec%d@example.com" % i, "exec-bench")
        r = c.request("POST", "/api/v1/keys", headers={"X-CSRF-Token": token},
                      json={"name": "bench", "scope": "execute"})
        assert r.status == 201, r.text
        users.append(("pm_session=" + c.cookies["pm_session"], token, r.json()["key"]))
    cookie, token, key = users[0]
    upstream = up.base + "/chat/completions"
    direct = post_script({"model": "fake/fast", "messages": [
        {"role": "user", "content": "Say hello"}]}, {"Authorization": "Bearer " + up.key})
    via = users_script({"variables": {"text": "hello"}}, users)
    chat = users_script({"model": "fake/fast", "messages": [
        {"role": "user", "content": "Say hello"}]}, users, key=True)
    byok = users_script({"variables": {"text": "hello"}}, byok_users(stack))
    path = "/api/v1/prompts/exec-bench/execute"
    rows = []
    for conns in (CONNECTIONS, "1"):
        wrk(upstream, (), direct, connections=conns)
        rows.append(("direct, %s conn." % conns,) + wrk(upstream, (), direct, connections=conns))
        for server in ("lighttpd", "apache"):
            url = stack.url(path, server=server)
            wrk(url, (), via, connections=conns)
            rows.append(("execute, %s, %s conn." % (server, conns),)
                        + wrk(url, (), via, connections=conns))
        url = stack.url("/api/v1/chat/completions")
        wrk(url, (), chat, connections=conns)
        rows.append(("chat+key, lighttpd, %s conn." % conns,)
                    + wrk(url, (), chat, connections=conns))
        url = stack.url("/api/v1/prompts/byok-bench/execute")
        wrk(url, (), byok, connections=conns)
        rows.append(("BYOK execute, lighttpd, %s conn." % conns,)
                    + wrk(url, (), byok, connections=conns))
    os.unlink(byok)
    os.unlink(direct)
    os.unlink(via)
    os.unlink(chat)
    ttfts = [("direct", ttft(
        lambda: http.client.HTTPConnection("127.0.0.1", up.port, timeout=30),
        "POST", "/api/v1/chat/completions", json.dumps({
            "model": "fake/fast", "stream": True,
            "messages": [{"role": "user", "content": "Say hello"}]}),
        {"Authorization": "Bearer " + up.key, "Content-Type": "application/json"},
        b'"content"'))]
    for server in ("lighttpd", "apache"):
        ttfts.append((server, ttft(
            lambda s=server: http.client.HTTPConnection("127.0.0.1", stack.port_for(s),
                                                        timeout=30),
            "POST", path, json.dumps({"variables": {"text": "hello"}, "stream": True}),
            {"Cookie": cookie, "X-CSRF-Token": token, "Content-Type": "application/json"},
            b"event: delta")))
    ttfts.append(("chat+key lighttpd", ttft(
        lambda: http.client.HTTPConnection("127.0.0.1", stack.port_for("lighttpd"), timeout=30),
        "POST", "/api/v1/chat/completions", json.dumps({
            "model": "fake/fast", "stream": True,
            "messages": [{"role": "user", "content": "Say hello"}]}),
        {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
        b'"content"')))
    return rows, ttfts


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FAST_UPSTREAM = os.path.join(ROOT, "build", "fakes", "fast-upstream")


class Upstream:
    """The C stand-in for OpenRouter (tests/fakes/fast_upstream.c), on a
    port of its own, answering every chat completion after delay_ms."""

    def __init__(self, delay_ms=0, token_ms=0, threads=1, extra_keys=()):
        self.dir = tempfile.mkdtemp(prefix="pm-bench-up-")
        self.key_file = os.path.join(self.dir, "key")
        self.key = "sk-or-v1-bench" + os.urandom(8).hex()
        with open(self.key_file, "w") as f:
            f.write(self.key + "\n")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [FAST_UPSTREAM, "--port", "0", "--port-file", port_file,
             "--key-file", self.key_file, "--delay-ms", str(delay_ms),
             "--token-ms", str(token_ms), "--threads", str(threads)]
            + [a for k in extra_keys for a in ("--key", k)])
        end = time.time() + 10
        while not os.path.exists(port_file) and time.time() < end:
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        self.base = "http://127.0.0.1:%d/api/v1" % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        subprocess.run(["rm", "-rf", self.dir])


def tree_rss_kb(names):
    """The resident memory of every process whose command is in names."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                comm = f.read().split("(", 1)[1].split(")", 1)[0]
            if comm in names:
                total += rss_kb(int(pid))
        except (OSError, IndexError, AttributeError):
            pass
    return total


def slow_bench(connections=1000, delay_ms=2000, seconds=20):
    """1,000 runs at once against a stand-in that answers after 2 s, through
    lighttpd and through Apache, streamed and not; /api/health and a
    signed-in page timed meanwhile; resident memory per 100 waiting runs."""
    from tests.bench.load import run_load
    up = Upstream(delay_ms=delay_ms)
    workers = int(os.environ.get("BENCH_SLOW_WORKERS", "4"))
    threads = (connections + 100) // workers + 40
    stack = Stack(server="both", workers=workers, settings={
        "log_level": "warn", "test_mode": "false", "max_requests": "0",
        "threads": str(threads), "db_pool_size": "8",
        "upstream_timeout_ms": "60000",
        "openrouter_base_url": up.base, "openrouter_key_file": up.key_file})
    stack.start()
    lines = []
    try:
        users = []
        nusers = (connections + 9) // 10                # PRO: 10 runs at once
        for i in range(nusers):
            c = Client(stack)
            assert c.signup("slow%d@example.com" % i, "correct-horse-battery").status == 303
            token = c.csrf("/dashboard")
            r = stack.admin("set-plan", "slow%d@example.com" % i, "PRO")
            assert r.returncode == 0, r.stderr
            r = c.request("POST", "/api/v1/prompts", headers={"X-CSRF-Token": token}, json={
                "name": "Slow", "slug": "slow", "model": "openai/gpt-4o-mini",
                "user_template": "Say {{text}}"})
            assert r.status == 201, r.text
            users.append(("pm_session=" + c.cookies["pm_session"], token))
        reader = Client(stack)
        reader.signup("reader@example.com", "correct-horse-battery")
        rcookie = "pm_session=" + reader.cookies["pm_session"]
        idle = tree_rss_kb({"pm-fcgi", "lighttpd", "apache2", "mariadbd", "fast-upstream"})
        for server in os.environ.get("BENCH_SERVERS", "lighttpd apache").split():
            for stream in (False, True):
                # the runs of the pass before end first (a JSON answer's
                # client leaving is not seen through a web server)
                end = time.time() + 30
                while time.time() < end and int(stack.sql(
                        "SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'")[0][0]):
                    time.sleep(0.2)

                def requests(k, stream=stream):
                    cookie, token = users[k % nusers]
                    body = json.dumps({"variables": {"text": "hi"},
                                       "stream": stream}).encode()
                    return ("POST", "/api/v1/prompts/slow/execute",
                            {"Cookie": cookie, "X-CSRF-Token": token,
                             "Content-Type": "application/json"}, body)
                probes = [("/api/health", "GET", "/api/health", {}),
                          ("/dashboard", "GET", "/dashboard", {"Cookie": rcookie})]
                mem = {}

                def steady():
                    mem["kb"] = tree_rss_kb({"pm-fcgi", "lighttpd", "apache2",
                                             "mariadbd", "fast-upstream"})
                    mem["running"] = int(stack.sql(
                        "SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'")[0][0])
                stats, pstats, elapsed = run_load(
                    stack.port_for(server), requests, connections, seconds, probes,
                    warmup=delay_ms / 1000.0 + 1.5, on_steady=steady)
                done = stats.statuses.get(200, 0)
                rate = done / elapsed
                ideal = connections / (delay_ms / 1000.0)
                lines.append("%-8s %-9s %7.0f/s of %4.0f/s ideal = %5.1f%%  failed %d"
                             " (statuses %s, errors %s)  p50 %.2f s  p99 %.2f s" % (
                                 server, "streamed" if stream else "json", rate, ideal,
                                 100 * rate / ideal, sum(n for st, n in stats.statuses.items()
                                                         if st != 200) + stats.errors,
                                 dict(stats.statuses), dict(stats.kinds), stats.pct(50),
                                 stats.pct(99)))
                for name, st in pstats.items():
                    lines.append("         %-12s while waiting: p50 %.1f ms  p99 %.1f ms"
                                 "  (%d requests, %d failed)" % (
                                     name, 1000 * st.pct(50), 1000 * st.pct(99),
                                     len(st.latencies), st.errors + sum(
                                         n for k, n in st.statuses.items() if k != 200)))
                if mem.get("running"):
                    lines.append("         memory: %d MiB for %d waiting runs, %.1f MiB per"
                                 " 100 above idle (%d MiB)" % (
                                     mem["kb"] / 1024, mem["running"],
                                     (mem["kb"] - idle) / 1024 / mem["running"] * 100,
                                     idle / 1024))
                sys.stdout.write(lines[-1 - len(pstats) - (1 if mem.get("running") else 0)]
                                 + "\n")
                sys.stdout.flush()
    finally:
        stack.stop()
        up.stop()
    print("slow upstream (%d ms), %d connections, %d workers x %d threads:" % (
        delay_ms, connections, workers, threads))
    for line in lines:
        print(line)


def golden_bench(samples=50, delay_ms=2000):
    """A regression run of 50 golden samples on a model answering in 2 s,
    for a PRO account (10 runs at once): the time from the request to its
    end against the ideal samples / cap x latency (10 s), through the API
    with "wait": true; then two such runs of two accounts at once."""
    up = Upstream(delay_ms=delay_ms, threads=4)
    stack = Stack(server="lighttpd", workers=2, settings={
        "log_level": "warn", "test_mode": "false", "max_requests": "0",
        "openrouter_base_url": up.base, "openrouter_key_file": up.key_file,
        "run_threads": "16", "run_poll_ms": "100", "run_wait_seconds": "120"})
    stack.start()
    try:
        def account(i):
            c, token = pro_account(stack, "golden%d@example.com" % i, "golden", timeout=300)
            for k in range(samples):
                r = c.request("POST", "/api/v1/prompts/golden/samples",
                              headers={"X-CSRF-Token": token},
                              json={"name": "s%02d" % k, "variables": {"text": "t%d" % k},
                                    "checks": [{"type": "contains", "value": "t%d" % k}]})
                assert r.status == 201, r.text
            return c, token

        def run(c, token, out, key):
            t0 = time.perf_counter()
            r = c.request("POST", "/api/v1/prompts/golden/regressions",
                          headers={"X-CSRF-Token": token}, json={"version": 1, "wait": True})
            out[key] = (time.perf_counter() - t0, r.status, r.json().get("done"))

        accounts = [account(i) for i in range(3)]
        ideal = samples / 10 * delay_ms / 1000.0
        out = {}
        run(*accounts[0], out, "one")
        ts = [threading.Thread(target=run, args=(c, t, out, i)) for i, (c, t) in
              enumerate(accounts[1:])]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("regression runs: %d samples, model answering in %d ms, PRO (10 at once),"
              " ideal %.1f s:" % (samples, delay_ms, ideal))
        for key in ("one", 0, 1):
            took, status, done = out[key]
            print("  %-22s %6.1f s  %5.0f%% of ideal  (HTTP %d, %s done)" % (
                "one run" if key == "one" else "two at once, run %d" % (key + 1),
                took, 100 * ideal / took, status, done))
    finally:
        stack.stop()
        up.stop()


def main():
    parts = os.environ.get("BENCH_ONLY", "routes exec slow golden").split()
    if "routes" in parts or "exec" in parts:
        fast_bench(parts)
    if "slow" in parts:
        print()
        slow_bench(int(os.environ.get("BENCH_CONNECTIONS_SLOW", "1000")))
    if "golden" in parts:
        print()
        golden_bench()


def fast_bench(parts):
    """The routes against the hello ceiling, and the execution pipeline
    against the C stand-in answering at once."""
    workers = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
    up = Upstream(delay_ms=0, extra_keys=(BYOK_KEY,))
    stack = Stack(server="both", workers=workers,
                  settings={"log_level": "warn", "test_mode": "false",
                            "max_requests": "0", "openrouter_base_url": up.base,
                            "openrouter_key_file": up.key_file})
    stack.start()
    try:
        c = Client(stack)
        r = c.signup("bench@example.com", "correct-horse-battery")
        assert r.status == 303, r.status
        cookie = "pm_session=" + c.cookies["pm_session"]
        token = c.csrf("/dashboard")
        if "routes" in parts:
            routes_bench(stack, c, token, cookie, workers)
        if "exec" in parts:
            erows, ttfts = execute_bench(stack, up)
            print()
            print("execution pipeline (PRO, fake/fast), non-streaming, C stand-in:")
            print("%-32s %10s %8s %8s %8s %7s %6s" % ("target", "req/s", "p50 ms", "p90 ms",
                                                     "p99 ms", "/direct", "non2xx"))
            for i, (name, rps, pct, errs) in enumerate(erows):
                d = erows[i - i % ROW_GROUP]
                print("%-32s %10.0f %8.2f %8.2f %8.2f %6.0f%% %6d" % (
                    name, rps, pct.get("50", 0), pct.get("90", 0), pct.get("99", 0),
                    100 * rps / d[1], errs))
            for i in range(len(erows)):
                if i % ROW_GROUP == 0:
                    continue
                d, v = erows[i - i % ROW_GROUP], erows[i]
                print("added latency, %s: p50 %.2f ms, p99 %.2f ms" % (
                    v[0], v[2].get("50", 0) - d[2].get("50", 0),
                    v[2].get("99", 0) - d[2].get("99", 0)))
            t_direct = ttfts[0][1]
            print("streaming time to first token (median of 30): direct %.2f ms" % t_direct
                  + "".join(", %s %.2f ms (+%.2f)" % (n, t, t - t_direct) for n, t in ttfts[1:]))
        pids = stack.worker_pids()
        print("worker RSS: %s KiB (max of %d workers after the load)"
              % (max(rss_kb(p) for p in pids), len(pids)))
    finally:
        stack.stop()
        up.stop()


def routes_bench(stack, c, token, cookie, workers):
    """Each page and API route through lighttpd against the hello ceiling."""
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
    print("%-32s %10s %8s %8s %8s %7s %6s" % ("route", "req/s", "p50 ms", "p90 ms",
                                             "p99 ms", "ratio", "non2xx"))
    for name, rps, pct, errs in rows:
        print("%-28s %10.0f %8.2f %8.2f %8.2f %6.0f%% %6d" % (
            name, rps, pct.get("50", 0), pct.get("90", 0), pct.get("99", 0),
            100 * rps / hello, errs))


if __name__ == "__main__":
    main()
