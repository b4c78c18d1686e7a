"""A small Chrome DevTools Protocol driver for the browser tests.

Starts Debian's chromium headless with its own temporary profile and
--remote-debugging-port=0, talks to it over one WebSocket
(python3-websocket) and kills its whole process group at close(), also
when a test fails or the interpreter exits. Python 3 standard library
and python3-websocket only.

    with Browser() as b:
        page = b.new_page()                 # its own cookie jar
        page.set_viewport(*PHONE)
        page.navigate("http://127.0.0.1:8080/login")
        page.type("#email", "a@example.com")
        page.click_and_wait("button[type=submit]")
        page.evaluate("document.title")
        page.problems                       # console errors and exceptions
        page.screenshot("/tmp/x.png")

A missing chromium raises BrowserMissing: the tests fail, never skip.
"""
import atexit
import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

try:
    import websocket
except ImportError:      # reported by Browser.start, as a failure
    websocket = None

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"

# (width, height, mobile) of the two devices the site is tested on.
DESKTOP = (1280, 900, False)
PHONE = (390, 844, True)


class BrowserMissing(RuntimeError):
    """chromium or python3-websocket is not installed."""


class CDPError(RuntimeError):
    """A DevTools command answered an error, or timed out."""


class JSError(RuntimeError):
    """An expression evaluated in the page threw."""


class Browser:
    """One headless chromium process and the DevTools connection to it."""

    def __init__(self, timeout=30):
        self.timeout = timeout
        self.proc = None
        self.ws = None
        self.profile = None
        self.log_path = None
        self.next_id = 0
        self.responses = {}         # id -> answer read while waiting for another
        self.sessions = {}          # sessionId -> Page
        self.contexts = []

    # -- lifecycle
    def start(self):
        """Start chromium and connect. Raises BrowserMissing when chromium or
        python3-websocket is absent, RuntimeError when it does not start."""
        if websocket is None:
            raise BrowserMissing("python3-websocket is not installed (run make deps as root)")
        if not os.access(CHROMIUM, os.X_OK):
            raise BrowserMissing("%s is not installed (Debian package chromium; "
                                 "run make deps as root)" % CHROMIUM)
        self.profile = tempfile.mkdtemp(prefix="pm-chromium-")
        self.log_path = os.path.join(self.profile, "chromium.log")
        args = [CHROMIUM, "--headless=new", "--remote-debugging-port=0",
                "--user-data-dir=" + os.path.join(self.profile, "profile"),
                "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-default-apps",
                "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
                "--password-store=basic", "--use-mock-keychain",
                "--hide-scrollbars", "--force-color-profile=srgb",
                "--disable-features=Translate,MediaRouter,OptimizationHints",
                "about:blank"]
        if os.geteuid() == 0:
            # root cannot have the sandbox; without it the renderers can be
            # the browser's own children (no zygote), reaped when it closes
            args[1:1] = ["--no-sandbox", "--no-zygote"]
        atexit.register(self.close)
        with open(self.log_path, "wb") as log:
            # its own process group: close() ends chromium and every helper
            # process it forked, and nothing else
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        port_file = os.path.join(self.profile, "profile", "DevToolsActivePort")
        end = time.time() + self.timeout
        while True:
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[1]:
                    break
            except FileNotFoundError:
                pass
            if self.proc.poll() is not None or time.time() > end:
                log = self.log_tail()
                self.close()
                raise RuntimeError("chromium did not start:\n" + log)
            time.sleep(0.05)
        url = "ws://127.0.0.1:%s%s" % (lines[0].strip(), lines[1].strip())
        self.ws = websocket.create_connection(url, timeout=self.timeout,
                                              suppress_origin=True)
        return self

    def close(self):
        """Stop chromium (asked to close, so that it reaps its helpers;
        then its process group is killed, whatever is left of it) and remove
        its profile; idempotent."""
        if self.ws is not None:
            try:
                self.send("Browser.close", timeout=5)
            except Exception:
                pass
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                    self.proc.wait(5)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)   # helpers left behind
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None
        try:
            atexit.unregister(self.close)
        except Exception:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    # -- the protocol
    def _recv(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise CDPError("no answer from chromium in time")
        self.ws.settimeout(left)
        try:
            data = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise CDPError("no answer from chromium in time") from None
        except (websocket.WebSocketException, OSError) as e:
            raise CDPError("connection to chromium lost: %s\n%s"
                           % (e, self.log_tail())) from None
        return json.loads(data)

    def _pump(self, deadline):
        """Read one message: keep an answer, hand an event to its page."""
        m = self._recv(deadline)
        if "id" in m:
            self.responses[m["id"]] = m
            return
        page = self.sessions.get(m.get("sessionId"))
        if page is not None:
            page._event(m["method"], m.get("params", {}))

    def send(self, method, params=None, session=None, timeout=None):
        """Send one command (to a page when session is given) and return its
        result. Events that arrive meanwhile reach their pages. Raises
        CDPError with the protocol's message."""
        self.next_id += 1
        cid = self.next_id
        msg = {"id": cid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.time() + (timeout or self.timeout)
        while cid not in self.responses:
            self._pump(deadline)
        m = self.responses.pop(cid)
        if "error" in m:
            raise CDPError("%s: %s" % (method, m["error"].get("message")))
        return m.get("result", {})

    def wait(self, predicate, timeout=None, what="condition"):
        """Read events until predicate() is true; CDPError after timeout."""
        deadline = time.time() + (timeout or self.timeout)
        while not predicate():
            try:
                self._pump(deadline)
            except CDPError:
                if predicate():
                    return
                raise CDPError("timed out waiting for " + what) from None

    # -- pages
    def new_page(self):
        """A new tab in a browser context of its own (its own cookies and
        storage), with the page, runtime and log domains enabled."""
        ctx = self.send("Target.createBrowserContext", {"disposeOnDetach": True})
        ctx = ctx["browserContextId"]
        self.contexts.append(ctx)
        target = self.send("Target.createTarget", {"url": "about:blank",
                                                   "browserContextId": ctx})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        page = Page(self, session, target, ctx)
        self.sessions[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.cmd(domain + ".enable")
        return page


class Page:
    """One tab. problems: the console errors, uncaught exceptions and error
    log entries seen since the last clear_problems(), as strings."""

    def __init__(self, browser, session, target, context):
        self.browser = browser
        self.session = session
        self.target = target
        self.context = context
        self.loads = 0              # load events of the main frame so far
        self.problems = []
        self.dialogs = []           # messages of the confirm()/alert() accepted
        self.accept_dialogs = True
        self.main_status = None     # HTTP status of the last document loaded
        self.width = None

    def cmd(self, method, **params):
        return self.browser.send(method, params, session=self.session)

    # -- events
    def _event(self, method, p):
        if method == "Page.loadEventFired":
            self.loads += 1
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in p.get("args", []))
            self.problems.append("console.%s: %s" % (p["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exc = d.get("exception", {})
            self.problems.append("exception: %s (%s:%s)" % (
                exc.get("description") or d.get("text"), d.get("url", ""),
                d.get("lineNumber", "")))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") == "error":
                self.problems.append("log %s: %s %s" % (e.get("source"), e.get("text"),
                                                        e.get("url", "")))
        elif method == "Network.responseReceived" and p.get("type") == "Document":
            if p.get("frameId") == self.target:
                self.main_status = p["response"]["status"]
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(p.get("message"))
            # answered from inside the event loop: the page waits for it
            self.cmd("Page.handleJavaScriptDialog", accept=self.accept_dialogs)

    def clear_problems(self):
        self.problems = []

    # -- the window
    def set_viewport(self, width, height, mobile=False):
        """Emulate a device of width x height CSS pixels (mobile: a phone's
        viewport and touch)."""
        self.width = width
        self.cmd("Emulation.setDeviceMetricsOverride", width=width, height=height,
                 deviceScaleFactor=1, mobile=mobile)
        self.cmd("Emulation.setTouchEmulationEnabled", enabled=mobile)

    # -- navigation
    def navigate(self, url, timeout=None):
        """Load url and wait for its load event. Returns the HTTP status of
        the document. Raises CDPError when it cannot be loaded."""
        n = self.loads
        self.main_status = None
        r = self.cmd("Page.navigate", url=url)
        if r.get("errorText"):
            raise CDPError("cannot load %s: %s" % (url, r["errorText"]))
        self.wait_load(n, timeout)
        return self.main_status

    def wait_load(self, loads_before, timeout=None):
        """Wait until a load event after the loads_before-th one."""
        self.browser.wait(lambda: self.loads > loads_before, timeout,
                          "the page to load")
        self.browser.wait(lambda: self.evaluate("document.readyState") == "complete",
                          timeout, "document.readyState complete")

    def url(self):
        return self.evaluate("location.href")

    # -- script
    def evaluate(self, expression, await_promise=False):
        """The value of a JavaScript expression (JSON-able values only).
        Raises JSError when it throws."""
        r = self.cmd("Runtime.evaluate", expression=expression, returnByValue=True,
                     awaitPromise=await_promise, userGesture=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise JSError("%s\nin: %s" % (d.get("exception", {}).get("description")
                                          or d.get("text"), expression[:300]))
        return r.get("result", {}).get("value")

    def wait_for(self, expression, timeout=10, interval=0.05, what=None):
        """Poll a JavaScript expression until it is truthy; returns its value
        (a navigation during a poll counts as falsy). Raises CDPError naming
        what after timeout seconds."""
        end = time.time() + timeout
        while True:
            try:
                v = self.evaluate(expression)
            except CDPError as e:
                # the page navigated while being read: read the next one
                if "navigated" not in str(e) and "context" not in str(e):
                    raise
                v = None
            if v:
                return v
            if time.time() > end:
                raise CDPError("timed out waiting for " + (what or expression))
            # read events meanwhile (console errors, dialogs)
            try:
                self.browser.wait(lambda: False, interval, "")
            except CDPError:
                pass

    def exists(self, selector):
        return bool(self.evaluate("!!document.querySelector(%s)" % json.dumps(selector)))

    def text(self, selector):
        return self.evaluate("(function(e){return e ? e.textContent : null})"
                             "(document.querySelector(%s))" % json.dumps(selector))

    # -- input
    def _point(self, selector):
        """The centre of the element in the viewport after scrolling it into
        view; AssertionError when it is not visible there or another
        element covers it."""
        r = self.evaluate("""(function (sel) {
          var e = document.querySelector(sel);
          if (!e) return {error: "no element matches " + sel};
          e.scrollIntoView({block: "center", inline: "center"});
          var b = e.getBoundingClientRect();
          if (!b.width || !b.height) return {error: sel + " is not displayed"};
          var x = b.left + b.width / 2, y = b.top + b.height / 2;
          if (x < 0 || y < 0 || x > innerWidth || y > innerHeight)
            return {error: sel + " is outside the window at " + x + "," + y};
          var hit = document.elementFromPoint(x, y);
          if (!hit || (hit !== e && !e.contains(hit) && !hit.contains(e) &&
              !(e.labels && Array.prototype.indexOf.call(e.labels, hit) >= 0)))
            return {error: sel + " is covered by " + (hit ? hit.outerHTML.slice(0, 120) : "nothing")};
          return {x: x, y: y};
        })(%s)""" % json.dumps(selector))
        if "error" in r:
            raise AssertionError(r["error"])
        return r["x"], r["y"]

    def click(self, selector):
        """Click the element as a user would, with the mouse (or a tap on a
        phone) at its centre; it must be visible and not covered."""
        x, y = self._point(selector)
        for t in ("mousePressed", "mouseReleased"):
            self.cmd("Input.dispatchMouseEvent", type=t, x=x, y=y, button="left",
                     clickCount=1)

    def click_and_wait(self, selector, timeout=None):
        """click() something that loads a new document and wait for it.
        Returns the HTTP status of the new document."""
        n = self.loads
        self.main_status = None
        self.click(selector)
        self.wait_load(n, timeout)
        return self.main_status

    def type(self, selector, text, clear=True, per_key=False):
        """Focus a field and type text into it (replacing what it holds when
        clear): per_key sends one key event per character, as a person
        typing, so that input handlers run for each."""
        self._point(selector)
        self.evaluate("""(function (e, clear) {
          e.focus();
          if (clear && e.select) e.select();
          else if (e.setSelectionRange) e.setSelectionRange(e.value.length, e.value.length);
        })(document.querySelector(%s), %s)""" % (json.dumps(selector), json.dumps(clear)))
        if clear:
            self.cmd("Input.dispatchKeyEvent", type="keyDown", key="Delete",
                     code="Delete", windowsVirtualKeyCode=46)
            self.cmd("Input.dispatchKeyEvent", type="keyUp", key="Delete",
                     code="Delete", windowsVirtualKeyCode=46)
        if not per_key:
            self.cmd("Input.insertText", text=text)
            return
        for ch in text:
            if ch == "\n":
                self.cmd("Input.dispatchKeyEvent", type="keyDown", key="Enter",
                         code="Enter", windowsVirtualKeyCode=13, text="\r")
                self.cmd("Input.dispatchKeyEvent", type="keyUp", key="Enter",
                         code="Enter", windowsVirtualKeyCode=13)
            else:
                self.cmd("Input.dispatchKeyEvent", type="keyDown", key=ch, text=ch,
                         unmodifiedText=ch)
                self.cmd("Input.dispatchKeyEvent", type="keyUp", key=ch)

    def select(self, selector, value):
        """Choose an option of a <select> by value, firing change."""
        ok = self.evaluate("""(function (e, v) {
          if (!e) return false;
          e.value = v;
          if (e.value !== v) return false;
          e.dispatchEvent(new Event("input", {bubbles: true}));
          e.dispatchEvent(new Event("change", {bubbles: true}));
          return true;
        })(document.querySelector(%s), %s)""" % (json.dumps(selector), json.dumps(value)))
        if not ok:
            raise AssertionError("%s has no option %r" % (selector, value))

    # -- evidence
    def screenshot(self, path):
        """Write a PNG of the whole page to path; returns path."""
        r = self.cmd("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path

    def close(self):
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target})
        except CDPError:
            pass
        self.browser.sessions.pop(self.session, None)
