"""Integration-test harness: private Prompt Manager stacks and an HTTP client.

Stack starts MariaDB, pm-fcgi and lighttpd and/or Apache on loopback in a
temporary directory through scripts/stack.sh, and removes everything on
stop() (or at interpreter exit). Client talks HTTP/1.1 to one of the web
servers with a cookie jar and CSRF helpers. Python 3 standard library only.
Set STACK_KEEP=1 to keep the directories (logs) after the tests.

    from tests.integration.stack import Client, Stack, get_stack

    stack = get_stack()                 # shared, started once per process
    c = Client(stack, server="apache")
    r = c.get("/api/health")
    r.status, r.header("content-type"), r.json()

    c = new_user(stack, plan="PRO")     # signed up, with c.email, c.api_token
    r = api(c, "POST", "/api/v1/prompts", {"name": "x"})
    sse_events(r.body)                  # [(event, data)] of a run's stream
"""
import atexit
import email.utils
import http.client
import json as jsonlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PM_FCGI = os.environ.get("STACK_PM_FCGI") or os.path.join(ROOT, "build", "pm-fcgi")
PM_ADMIN = os.environ.get("STACK_PM_ADMIN") or os.path.join(ROOT, "build", "pm-admin")

# Settings every test stack gets unless the caller overrides them: the test
# routes and injectable clock, and cheap password hashing to keep tests fast.
TEST_DEFAULTS = {
    "test_mode": "true",
    "argon2_memory_kib": "1024",
    "argon2_iterations": "1",
    # the suite signs up hundreds of users from 127.0.0.1; the limits
    # themselves are tested on stacks of their own
    "signup_max_per_address": "1000000",
    "signup_max_per_network": "1000000",
}


# The password of every account the tests make.
PASSWORD = "correct-horse-battery"


def _free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (free when asked)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def _clean_env(**extra):
    """The environment for stack.sh and pm-admin: no stray PM_* overrides
    (the programs let PM_<KEY> win over the config file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_")}
    env.update(extra)
    return env


def _proc_stat(pid):
    """(comm, state, ppid) of a process, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    comm = data[data.index("(") + 1:data.rindex(")")]
    rest = data[data.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[1])


def clear_of_utc_midnight(margin=90):
    """Tests that count executions per UTC day on the real clock call this
    first: within margin seconds of a midnight it sleeps past it, so the
    day cannot change in the middle of the test."""
    left = 86400 - int(time.time()) % 86400
    if left <= margin:
        time.sleep(left + 1)


def pid_alive(pid):
    """True when pid runs (zombies count as gone)."""
    st = _proc_stat(pid) if pid else None
    return st is not None and st[1] not in ("Z", "X")


class Stack:
    """A private stack in a temporary directory.

    server: "lighttpd", "apache" or "both"; workers: pm-fcgi workers;
    settings: extra app.conf keys (str values), which win over the test
    defaults (test_mode, clock_file, fast argon2). root: the checkout whose
    scripts/stack.sh, templates and static files run (default: this one;
    the programs are always this checkout's builds); dir: the stack
    directory (default: a new temporary one), removed by stop() too."""

    def __init__(self, server="both", workers=3, settings=None, root=None, dir=None):
        if server not in ("lighttpd", "apache", "both"):
            raise ValueError("server must be lighttpd, apache or both")
        self.server = server
        self.workers = workers
        self.root = root or ROOT
        self.dir = dir or tempfile.mkdtemp(prefix="pm-test-")
        self.settings = dict(TEST_DEFAULTS)
        self.settings["clock_file"] = os.path.join(self.dir, "clock")
        self.settings.update({k: str(v) for k, v in (settings or {}).items()})
        if server == "both":
            self.port, self.apache_port = _free_ports(2)
        elif server == "lighttpd":
            self.port, self.apache_port = _free_ports(1)[0], None
        else:   # apache only: port is Apache's too
            self.port = self.apache_port = _free_ports(1)[0]
        self.started = False
        self.stopped = False
        self.output = ""
        atexit.register(self.stop)

    # -- paths
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def db_socket(self):
        return self.path("run", "mysqld.sock")

    @property
    def config(self):
        return self.path("app.conf")

    def _stack_sh(self, *args, timeout=180, check=True):
        cmd = [os.path.join(self.root, "scripts", "stack.sh")] + list(args) + ["--dir", self.dir]
        env = _clean_env(STACK_PM_FCGI=PM_FCGI, STACK_PM_ADMIN=PM_ADMIN)
        p = subprocess.run(cmd, cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace")
        self.output += p.stdout
        if check and p.returncode != 0:
            raise RuntimeError("stack.sh %s failed (exit %d):\n%s"
                               % (" ".join(args), p.returncode, p.stdout))
        return p

    # -- lifecycle
    def start(self):
        args = ["start", "--port", str(self.port), "--server", self.server,
                "--workers", str(self.workers)]
        if self.server == "both":
            args += ["--apache-port", str(self.apache_port)]
        for k, v in self.settings.items():
            args += ["--set", "%s=%s" % (k, v)]
        try:
            self._stack_sh(*args)
        except Exception:
            out = self.output
            self.stop()
            raise RuntimeError("could not start the stack:\n" + out) from None
        except BaseException:
            self.stop()
            raise
        self.started = True
        return self

    def stop(self):
        """Stop everything and remove the directory; idempotent."""
        if self.stopped:
            return
        self.stopped = True
        stray = []
        try:
            if os.path.isdir(self.dir):
                self._stack_sh("stop", check=False)
                # a connection given back inside a transaction is a bug
                # the application logs (and ends): every stack fails on it
                stray = [l for l in self.log_text().splitlines()
                         if "came back to its pool inside a transaction" in l
                         or "a transaction begun inside a transaction" in l
                         or "a connection given back inside db_tx()" in l]
        finally:
            if os.environ.get("STACK_KEEP"):
                print("stack: kept %s (STACK_KEEP is set)" % self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
            try:
                atexit.unregister(self.stop)
            except Exception:
                pass
        if stray:
            raise AssertionError("the application left transactions open:\n"
                                 + "\n".join(stray[:10]))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def db_stop(self):
        self._stack_sh("db-stop")

    def db_start(self):
        self._stack_sh("db-start")

    # -- addresses
    def port_for(self, server="lighttpd"):
        if server == "apache":
            if self.apache_port is None:
                raise ValueError("this stack runs no Apache")
            return self.apache_port
        if server == "lighttpd":
            return self.port        # an Apache-only stack answers here too
        raise ValueError("server must be lighttpd or apache")

    def url(self, path="/", server="lighttpd"):
        return "http://127.0.0.1:%d%s" % (self.port_for(server), path)

    # -- processes and logs
    def master_pid(self):
        with open(self.path("run", "pm-fcgi.pid")) as f:
            return int(f.read().strip())

    def worker_pids(self):
        """Live children of the pm-fcgi master, sorted."""
        try:
            master = self.master_pid()
        except (OSError, ValueError):
            return []
        pids = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            st = _proc_stat(int(name))
            if st and st[2] == master and st[1] not in ("Z", "X"):
                pids.append(int(name))
        return sorted(pids)

    def pids(self):
        """{name: pid} of what the pid files in run/ name."""
        out = {}
        for name in ("mysqld", "pm-fcgi", "lighttpd", "apache"):
            try:
                with open(self.path("run", name + ".pid")) as f:
                    out[name] = int(f.read().strip())
            except (OSError, ValueError):
                pass
        return out

    def log_text(self, name="pm-fcgi.log"):
        try:
            with open(self.path("log", name), encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- tools
    def admin(self, *args, input=None, env=None):
        """Run build/pm-admin on this stack's configuration (env: extra
        variables, e.g. PM_<KEY> overrides)."""
        return subprocess.run([PM_ADMIN, "-c", self.config] + [str(a) for a in args],
                              cwd=ROOT, env=_clean_env(PM_CONFIG=self.config, **(env or {})),
                              input=input, capture_output=True, text=True, timeout=120)

    def sql(self, query, database="prompt_manager"):
        """Run SQL as MariaDB root; returns rows as tuples of strings
        (NULL reads "NULL")."""
        p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + self.db_socket,
                            "-uroot", "-N", "-B", database, "-e", query],
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("SQL failed: %s\n%s" % (query, p.stderr.decode("utf-8", "replace")))
        rows = []
        for line in p.stdout.decode("utf-8", "replace").split("\n"):
            if line == "":
                continue
            rows.append(tuple(_unescape_batch(v) for v in line.split("\t")))
        return rows

    # The fake OpenRouter started by stack.sh when no real key is set.
    def openrouter_url(self, path=""):
        with open(self.path("run", "openrouter.port")) as f:
            return "http://127.0.0.1:%s%s" % (f.read().strip(), path)

    def openrouter_requests(self, clear=False):
        """The fake's request log (chat completions received, in order);
        with clear, empty it afterwards."""
        import urllib.request
        with urllib.request.urlopen(self.openrouter_url("/__fake/requests"), timeout=10) as r:
            log = jsonlib.loads(r.read().decode("utf-8"))
        if clear:
            self.openrouter_clear()
        return [e for e in log if e.get("path", "").endswith("/chat/completions")]

    def openrouter_clear(self):
        import urllib.request
        req = urllib.request.Request(self.openrouter_url("/__fake/requests"), method="DELETE")
        urllib.request.urlopen(req, timeout=10).read()

    def set_clock(self, epoch_seconds):
        """Pin the application's clock (test_mode), or with None return it to
        real time."""
        path = self.settings.get("clock_file") or self.path("clock")
        if epoch_seconds is None:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % int(epoch_seconds))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)


_BATCH_ESC = {"n": "\n", "t": "\t", "0": "\0", "\\": "\\", "b": "\b", "r": "\r", "Z": "\x1a"}


def _unescape_batch(v):
    if "\\" not in v:
        return v
    return re.sub(r"\\(.)", lambda m: _BATCH_ESC.get(m.group(1), "\\" + m.group(1)), v)


_shared = None
_shared_lock = threading.Lock()


def get_stack():
    """The stack shared by every test module of this process (server "both",
    3 workers), started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.stopped:
            s = Stack(server="both", workers=3)
            s.start()
            _shared = s
        return _shared


# ---------------------------------------------------------------- client

class Headers(dict):
    """Response headers by lower-case name; repeated headers are joined with
    ", " (Set-Cookie: see Response.header_list)."""

    def __getitem__(self, key):
        return dict.__getitem__(self, key.lower())

    def get(self, key, default=None):
        return dict.get(self, key.lower(), default)

    def __contains__(self, key):
        return dict.__contains__(self, key.lower())


class Response:
    def __init__(self, status, reason, header_pairs, body):
        self.status = status
        self.reason = reason
        self.header_pairs = header_pairs        # [(name, value)] as received
        self.headers = Headers()
        for k, v in header_pairs:
            k = k.lower()
            self.headers[k] = self.headers[k] + ", " + v if k in self.headers else v
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_list(self, name):
        name = name.lower()
        return [v for k, v in self.header_pairs if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %s, %d bytes>" % (self.status, self.reason, len(self.body))


class _Conn(http.client.HTTPConnection):
    """HTTPConnection that can send a request target exactly as given."""
    raw = False

    def _validate_path(self, url):
        if not self.raw:
            super()._validate_path(url)

    def _encode_request(self, request):
        if self.raw:
            return request.encode("utf-8", "surrogateescape")
        return super()._encode_request(request)


_CSRF_RES = (
    re.compile(r'<meta\s+name="csrf-token"\s+content="([^"]*)"'),
    re.compile(r'name="_csrf"\s+value="([^"]*)"'),
    re.compile(r'value="([^"]*)"\s+name="_csrf"'),
)
# Characters quote() leaves alone in a non-raw path: everything legal in a
# request target, including "%" so that tests can send their own escapes.
_PATH_SAFE = "/?&=%:@!$'()*+,;~-._#[]"


class Client:
    """HTTP client for one web server of a stack, with a cookie jar.

    A new connection per request; redirects are never followed."""

    def __init__(self, stack, server="lighttpd", timeout=60, source=None):
        self.stack = stack
        self.server = server
        self.source = source        # the client's own address, e.g. "127.0.0.2"
        self.port = stack.port_for(server)
        self.timeout = timeout
        self.cookies = {}           # name -> value
        self.set_cookies = {}       # name -> last raw Set-Cookie value
        self.last = None            # last Response
        self._csrf = None           # (cookie state, token) of the last page

    # -- cookies
    def _cookie_state(self):
        return (self.cookies.get("pm_session"), self.cookies.get("pm_csrf"))

    def _store_cookies(self, resp):
        for raw in resp.header_list("set-cookie"):
            parts = [p.strip() for p in raw.split(";")]
            if "=" not in parts[0]:
                continue
            name, value = parts[0].split("=", 1)
            name = name.strip()
            self.set_cookies[name] = raw
            expired = False
            for attr in parts[1:]:
                k, _, v = attr.partition("=")
                k = k.strip().lower()
                if k == "max-age":
                    try:
                        expired = int(v.strip()) <= 0
                    except ValueError:
                        pass
                elif k == "expires":
                    try:
                        t = email.utils.parsedate_to_datetime(v.strip())
                        expired = expired or t.timestamp() <= time.time()
                    except (TypeError, ValueError, AttributeError):
                        pass
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def set_cookie_headers(self, name):
        """The last raw Set-Cookie header received for cookie name."""
        return self.set_cookies.get(name)

    # -- requests
    def request(self, method, path, body=None, headers=None, json=None, form=None,
                raw_path=False):
        """Send one request. body: bytes or str; json: any JSON value; form:
        dict or list of pairs (urlencoded). raw_path: send path (str or
        bytes) exactly as given, unvalidated."""
        hdrs = dict(headers or {})
        lower = {k.lower() for k in hdrs}
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            if "content-type" not in lower:
                hdrs["Content-Type"] = "application/json"
        elif form is not None:
            pairs = form.items() if isinstance(form, dict) else form
            body = urllib.parse.urlencode(list(pairs)).encode("ascii")
            if "content-type" not in lower:
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if isinstance(body, str):
            body = body.encode("utf-8")
        if self.cookies and "cookie" not in lower:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if isinstance(path, bytes):
            path = path.decode("utf-8", "surrogateescape")
            raw_path = True
        if not raw_path:
            path = urllib.parse.quote(path, safe=_PATH_SAFE)
        conn = _Conn("127.0.0.1", self.port, timeout=self.timeout,
                     source_address=(self.source, 0) if self.source else None)
        conn.raw = raw_path
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            resp = Response(r.status, r.reason, r.getheaders(), data)
        finally:
            conn.close()
        self._store_cookies(resp)
        self.last = resp
        ctype = resp.header("content-type") or ""
        if ctype.startswith("text/html"):
            token = self._find_csrf(resp.text)
            if token:
                self._csrf = (self._cookie_state(), token)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    # -- CSRF and forms
    @staticmethod
    def _find_csrf(text):
        for rx in _CSRF_RES:
            m = rx.search(text)
            if m:
                return m.group(1)
        return None

    def csrf(self, path="/"):
        """GET path and return the CSRF token of the page."""
        r = self.get(path)
        token = self._find_csrf(r.text)
        if token is None:
            raise ValueError("no CSRF token on %s (status %d): %.300s" % (path, r.status, r.text))
        return token

    def csrf_token(self):
        """A token valid for the current cookies: the one of the last page
        seen with these cookies, else one from GET /."""
        if self._csrf and self._csrf[0] == self._cookie_state():
            return self._csrf[1]
        return self.csrf("/")

    def post_form(self, path, data):
        """POST a form, adding _csrf when data has none."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if not any(k == "_csrf" for k, _ in pairs):
            pairs.append(("_csrf", self.csrf_token()))
        return self.post(path, form=pairs)

    def signup(self, email, password, password_confirm=None):
        token = self.csrf("/signup")
        return self.post("/signup", form={
            "email": email, "password": password,
            "password_confirm": password if password_confirm is None else password_confirm,
            "_csrf": token})

    def login(self, email, password, next_url=None):
        token = self.csrf("/login")
        form = {"email": email, "password": password, "_csrf": token}
        if next_url is not None:
            form["next"] = next_url
        return self.post("/login", form=form)

    # -- raw bytes
    def raw(self, data, timeout=10):
        """Send bytes as they are; returns (status, raw response bytes).
        status is 0 when the server answered nothing parsable."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        buf = b""
        try:
            s.sendall(data)
            while True:
                if _complete(buf):
                    break
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                buf += chunk
        finally:
            s.close()
        m = re.match(rb"HTTP/\d\.\d (\d{3})", buf)
        return (int(m.group(1)) if m else 0), buf


def _complete(buf):
    """True when buf holds one whole HTTP response."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = buf[:end].decode("latin-1").lower()
    body = buf[end + 4:]
    m = re.search(r"^content-length:\s*(\d+)", head, re.M)
    if m:
        return len(body) >= int(m.group(1))
    if re.search(r"^transfer-encoding:\s*chunked", head, re.M):
        return body.endswith(b"0\r\n\r\n")
    status = re.match(r"http/\d\.\d (\d{3})", head)
    return bool(status) and (status.group(1) in ("204", "304") or status.group(1).startswith("1"))


# ---------------------------------------------------------------- users, API, streams

_users = [0]


def new_user(stack, server="lighttpd", plan=None):
    """A new signed-up Client of stack (a unique c.email), with the CSRF
    token of its session in c.api_token; on plan (a code of the active
    catalog) when given."""
    _users[0] += 1
    c = Client(stack, server=server)
    c.email = "u%d-%d-%d@example.com" % (_users[0], os.getpid(),
                                          int(time.time() * 1000) % 10**9)
    r = c.signup(c.email, PASSWORD)
    assert r.status == 303, (r.status, r.text)
    c.api_token = c.csrf("/dashboard")
    if plan:
        r = stack.admin("set-plan", c.email, plan)
        assert r.returncode == 0, r.stderr
    return c


def api(c, method, path, body=None, raw=None):
    """A JSON API request of c's session: body as JSON ({} for a method
    that carries one), or raw bytes as they are, as application/json."""
    headers = {"X-CSRF-Token": c.api_token}
    if raw is not None:
        headers["Content-Type"] = "application/json"
        return c.request(method, path, body=raw, headers=headers)
    if body is None and method in ("GET", "HEAD", "DELETE"):
        return c.request(method, path, headers=headers)
    return c.request(method, path, json=body if body is not None else {},
                     headers=headers)


def stream_run(stack, c, server, slug, body):
    """POST the url-encoded form body to /prompts/SLUG/run with c's
    cookies, asking for a stream, on a connection of its own; returns
    (connection, response) with the headers read, so that a test can read
    some of the stream and then leave (conn.sock.close())."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port_for(server), timeout=10)
    cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
    conn.request("POST", "/prompts/%s/run" % slug, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
        "Accept": "text/event-stream"})
    return conn, conn.getresponse()


def sse_events(body):
    """The events of a run's Server-Sent Events stream: [(event, data)]
    with data parsed as JSON; comments are skipped."""
    out = []
    for block in body.decode("utf-8").split("\n\n"):
        ev, data = None, ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                ev = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        if ev:
            out.append((ev, jsonlib.loads(data)))
    return out
