"""Tests of the C stand-in for OpenRouter (tests/fakes/fast_upstream.c).

They expect build/fakes/fast-upstream (make fakes; make check builds it
first) and start it with --port 0 --port-file in a temporary directory.
Responses are read from raw sockets, so the HTTP framing itself is
checked. Standard library only:

    python3 -m unittest tests.integration.test_fast_upstream -v
"""
import decimal
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from tests.fakes import openrouter  # noqa: E402

BIN = os.path.join(ROOT, "build", "fakes", "fast-upstream")
KEY = "sk-or-v1-test0123456789abcdefWXYZ"
OTHER_KEY = "sk-or-v1-second-key-5678"
CHAT = "/api/v1/chat/completions"
GEN_ID = re.compile(r"^gen-\d+-[A-Za-z0-9]{20}$")
D = decimal.Decimal


class Server:
    """One fast-upstream process on a port the OS picked."""

    def __init__(self, *args):
        if not os.access(BIN, os.X_OK):
            raise AssertionError("%s is missing: run make fakes" % BIN)
        self.tmp = tempfile.mkdtemp(prefix="test-fast-upstream-")
        port_file = os.path.join(self.tmp, "port")
        self.log = open(os.path.join(self.tmp, "stderr"), "wb")
        self.proc = subprocess.Popen([BIN, "--port", "0", "--port-file", port_file]
                                     + list(args), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        end = time.time() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > end:
                self.stop()
                raise AssertionError("fast-upstream did not start: %s" % self.stderr())
            time.sleep(0.01)
        with open(port_file) as f:
            self.port = int(f.read())
        self.idle_fds = self.fds()

    def fds(self):
        """How many descriptors the process holds."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def wait_fds(self, n, timeout):
        """Wait up to timeout seconds for the process to hold n
        descriptors; returns how many it holds."""
        end = time.monotonic() + timeout
        while self.fds() != n and time.monotonic() < end:
            time.sleep(0.01)
        return self.fds()

    def stderr(self):
        with open(os.path.join(self.tmp, "stderr"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        """Stop with sig; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode


class Conn:
    """A raw HTTP/1.1 connection that checks the framing of what it reads."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")

    def close(self):
        self.f.close()
        self.sock.close()

    def send(self, method, path, body=b"", headers=None, key=KEY):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h = {"Host": "127.0.0.1", "Content-Type": "application/json"}
        if key is not None:
            h["Authorization"] = "Bearer " + key
        h.update(headers or {})
        if "Transfer-Encoding" not in h:
            h["Content-Length"] = str(len(body))
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
        self.sock.sendall(head.encode() + body)

    def line(self):
        line = self.f.readline(65537)
        if not line.endswith(b"\r\n"):
            raise AssertionError("line without CRLF: %r" % line)
        return line[:-2]

    def response(self):
        """(status, headers {lowercase name: value}, body, chunks): chunks
        is the list of chunk payloads of a chunked body, else None."""
        status = int(self.line().split(b" ", 2)[1])
        headers = {}
        while True:
            line = self.line()
            if not line:
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise AssertionError("bad header line %r" % line)
            headers[name.strip().lower()] = value.strip()
        chunks = None
        if headers.get("transfer-encoding") == "chunked":
            if "content-length" in headers:
                raise AssertionError("both Content-Length and chunked")
            chunks = []
            while True:
                size = int(self.line(), 16)
                data = self.f.read(size)
                if len(data) != size or self.f.read(2) != b"\r\n":
                    raise AssertionError("chunk of %d bytes badly framed" % size)
                if size == 0:
                    break
                chunks.append(data)
            body = b"".join(chunks)
        else:
            body = self.f.read(int(headers["content-length"]))
        return status, headers, body, chunks

    def request(self, method, path, body=b"", headers=None, key=KEY):
        self.send(method, path, body, headers, key)
        return self.response()


def chat_body(content="Say hello", model="fake/fast", stream=None, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": content}]}
    if stream is not None:
        body["stream"] = stream
    body.update(extra)
    return body


def events(body):
    """The SSE events of a body: lists of their lines."""
    out = []
    for block in body.decode("utf-8").split("\n\n"):
        if block:
            out.append(block.split("\n"))
    return out


def expected_cost(model_id, prompt_tokens, completion_tokens):
    m = next(m for m in openrouter.DEFAULT_MODELS if m["id"] == model_id)
    p = m["pricing"]
    return (prompt_tokens * D(p["prompt"]) + completion_tokens * D(p["completion"])
            + D(p["request"]))


class UpstreamCase(unittest.TestCase):
    ARGS = ("--key", KEY, "--key", OTHER_KEY, "--quiet")

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.ARGS)
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("fast-upstream exited with %s after SIGTERM" % rc)

    def conn(self):
        c = Conn(self.port)
        self.addCleanup(c.close)
        return c


class WireFormatTests(UpstreamCase):

    def test_completion_is_an_openrouter_chat_completion(self):
        st, h, body, chunks = self.conn().request("POST", CHAT, chat_body())
        self.assertEqual(st, 200)
        self.assertIsNone(chunks)
        self.assertEqual(h["content-type"], "application/json")
        doc = json.loads(body)
        self.assertRegex(doc["id"], GEN_ID)
        self.assertEqual(h["x-generation-id"], doc["id"])
        self.assertEqual(doc["object"], "chat.completion")
        self.assertEqual(doc["model"], "fake/fast")
        self.assertEqual(doc["provider"], "Fake")
        self.assertLessEqual(abs(doc["created"] - time.time()), 5)
        choice, = doc["choices"]
        self.assertEqual(choice["index"], 0)
        self.assertEqual(choice["finish_reason"], "stop")
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertEqual(choice["message"]["content"], "echo: Say hello")
        u = json.loads(body, parse_float=D)["usage"]
        self.assertEqual((u["prompt_tokens"], u["completion_tokens"], u["total_tokens"]),
                         (2 + 4, 3, 9))
        self.assertEqual(u["cost"], expected_cost("fake/fast", 6, 3))

    def test_every_answer_has_its_own_generation_id(self):
        c = self.conn()
        ids = {json.loads(c.request("POST", CHAT, chat_body())[2])["id"] for _ in range(20)}
        self.assertEqual(len(ids), 20)

    def test_stream_framing_deltas_usage_and_done(self):
        st, h, body, chunks = self.conn().request(
            "POST", CHAT, chat_body("one two  three", model="openai/gpt-4o", stream=True))
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "text/event-stream")
        self.assertEqual(h["cache-control"], "no-cache")
        self.assertRegex(h["x-generation-id"], GEN_ID)
        # One SSE event per HTTP chunk, each ending with its blank line.
        self.assertEqual(len(chunks), len(events(body)))
        for ch in chunks:
            self.assertTrue(ch.endswith(b"\n\n") and b"\n\n" not in ch[:-2], ch)
        evs = events(body)
        self.assertEqual(evs[0], [": OPENROUTER PROCESSING"])
        self.assertEqual(evs[-1], ["data: [DONE]"])
        docs = []
        for ev in evs[1:-1]:
            self.assertEqual(len(ev), 1)
            self.assertTrue(ev[0].startswith("data: "), ev)
            docs.append(json.loads(ev[0][6:], parse_float=D))
        for d in docs:
            self.assertEqual(d["id"], h["x-generation-id"])
            self.assertEqual(d["object"], "chat.completion.chunk")
            self.assertEqual(d["model"], "openai/gpt-4o")
        *content, finish, usage = docs
        deltas = [d["choices"][0]["delta"] for d in content]
        self.assertEqual([d["content"] for d in deltas], ["echo: ", "one ", "two  ", "three"])
        self.assertEqual(deltas[0]["role"], "assistant")
        self.assertTrue(all("role" not in d for d in deltas[1:]))
        self.assertTrue(all(d["choices"][0]["finish_reason"] is None for d in content))
        self.assertEqual(finish["choices"][0]["delta"], {})
        self.assertEqual(finish["choices"][0]["finish_reason"], "stop")
        self.assertEqual(usage["choices"], [])
        u = usage["usage"]
        self.assertEqual((u["prompt_tokens"], u["completion_tokens"], u["total_tokens"]),
                         (7, 4, 11))
        self.assertEqual(u["cost"], expected_cost("openai/gpt-4o", 7, 4))

    def test_stream_false_and_null_answer_json(self):
        for stream in (False, None):
            st, h, body, chunks = self.conn().request("POST", CHAT, chat_body(stream=stream))
            self.assertEqual((st, h["content-type"], chunks), (200, "application/json", None))

    def test_max_tokens_cuts_the_answer(self):
        c = self.conn()
        doc = json.loads(c.request("POST", CHAT, chat_body("a b c d", max_tokens=2))[2])
        self.assertEqual(doc["choices"][0]["message"]["content"], "echo: a")
        self.assertEqual(doc["choices"][0]["finish_reason"], "length")
        self.assertEqual(doc["usage"]["completion_tokens"], 2)

    def test_models_are_openrouter_py_default_models(self):
        st, h, body, _ = self.conn().request("GET", "/api/v1/models", key=None)
        self.assertEqual((st, h["content-type"]), (200, "application/json"))
        doc = json.loads(body)
        self.assertEqual(doc, {"data": openrouter.DEFAULT_MODELS})
        ids = [m["id"] for m in doc["data"]]
        for mid in ("openai/gpt-4o-mini", "fake/fast", "meta-llama/llama-3.1-8b-instruct:free"):
            self.assertIn(mid, ids)
        for m in doc["data"]:
            self.assertIsInstance(m["pricing"]["prompt"], str)
            self.assertIsInstance(m["context_length"], int)

    def test_key_reports_label_and_usage(self):
        c = self.conn()
        st, _, body, _ = c.request("GET", "/api/v1/key")
        self.assertEqual(st, 200)
        data = json.loads(body)["data"]
        self.assertEqual(data["label"], "sk-or-v1-...WXYZ")
        self.assertIsNone(data["limit"])
        self.assertEqual(data["rate_limit"], {"requests": 200, "interval": "10s"})
        before = D(str(data["usage"]))
        doc = json.loads(c.request("POST", CHAT, chat_body(model="openai/gpt-4o-mini"))[2],
                         parse_float=D)
        after = json.loads(c.request("GET", "/api/v1/auth/key")[2], parse_float=D)["data"]
        self.assertEqual(after["usage"], before + doc["usage"]["cost"])

    def test_wrong_or_missing_key_is_openrouter_401(self):
        c = self.conn()
        for key in ("sk-or-v1-wrong", None, ""):
            for method, path in (("POST", CHAT), ("GET", "/api/v1/key")):
                st, h, body, _ = c.request(method, path, chat_body(), key=key)
                self.assertEqual(st, 401, (key, path))
                self.assertEqual(h["content-type"], "application/json")
                self.assertEqual(json.loads(body), {"error": {
                    "code": 401, "message": "No auth credentials found"}})
        self.assertEqual(c.request("POST", CHAT, chat_body(), key=OTHER_KEY)[0], 200)

    def test_refused_requests_say_why(self):
        c = self.conn()
        for body, message in (
                ("{", "Invalid JSON in request body"),
                ("[1]", "Request body must be a JSON object"),
                (chat_body(stream="yes"), "stream: expected a boolean"),
                ({"messages": []}, "model: expected a non-empty string"),
                (chat_body(model="nope/none"), "nope/none is not a valid model ID"),
                ({"model": "fake/fast", "messages": [{"role": "robot", "content": "x"}]},
                 "messages[0].role: expected one of system, developer, user, "
                 "assistant, tool"),
                (chat_body(max_tokens=0), "max_tokens: expected a positive integer")):
            st, _, raw, _ = c.request("POST", CHAT, body)
            self.assertEqual((st, json.loads(raw)),
                             (400, {"error": {"code": 400, "message": message}}), body)

    def test_unknown_path_and_method(self):
        c = self.conn()
        st, _, body, _ = c.request("GET", "/api/v1/nothing")
        self.assertEqual((st, json.loads(body)["error"]["message"]), (404, "Not Found"))
        st, _, body, _ = c.request("GET", CHAT)
        self.assertEqual((st, json.loads(body)["error"]["message"]),
                         (405, "Method Not Allowed"))

    def test_keep_alive_two_requests_on_one_connection(self):
        c = self.conn()
        first = c.request("POST", CHAT, chat_body("first", stream=True))
        second = c.request("POST", CHAT, chat_body("second"))
        third = c.request("GET", "/api/v1/models", key=None)
        self.assertEqual([r[0] for r in (first, second, third)], [200, 200, 200])
        self.assertIn(b'"content":"first"', first[2])
        self.assertEqual(json.loads(second[2])["choices"][0]["message"]["content"],
                         "echo: second")
        self.assertNotIn("connection", second[1])

    def test_connection_close_is_honoured(self):
        c = self.conn()
        st, h, _, _ = c.request("POST", CHAT, chat_body(), headers={"Connection": "close"})
        self.assertEqual((st, h.get("connection")), (200, "close"))
        self.assertEqual(c.f.read(1), b"")

    def test_chunked_request_body_and_expect_continue(self):
        c = self.conn()
        raw = json.dumps(chat_body("chunked body")).encode()
        body = b"".join(b"%x\r\n%s\r\n" % (len(raw[i:i + 7]), raw[i:i + 7])
                        for i in range(0, len(raw), 7)) + b"0\r\n\r\n"
        st, _, out, _ = c.request("POST", CHAT, body, {"Transfer-Encoding": "chunked"})
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(out)["choices"][0]["message"]["content"],
                         "echo: chunked body")
        raw = json.dumps(chat_body("after continue")).encode()
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (CHAT, KEY, len(raw)))
        c.sock.sendall(head.encode())
        self.assertEqual(c.line(), b"HTTP/1.1 100 Continue")
        self.assertEqual(c.line(), b"")
        c.sock.sendall(raw)
        st, _, out, _ = c.response()
        self.assertEqual(json.loads(out)["choices"][0]["message"]["content"],
                         "echo: after continue")


class SameAnswersAsPythonFakeTests(UpstreamCase):
    """The same requests to tests/fakes/openrouter.py and to fast-upstream
    get the same bytes, but for the generation id, created, Server and
    Date."""

    BODIES = [
        chat_body(),
        {"model": "openai/gpt-4o-mini", "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "  spaced   out\ttabs\nnew line  "}]},
        chat_body("h\u00e9llo w\u00f6rld \u4f60\u597d \U0001F600 nb\u00a0sp em\u2003sp "
                  "quote \" backslash \\ slash / ctl \u0001\b\f\r", model="openai/gpt-4o"),
        chat_body([{"type": "text", "text": "part one"},
                   {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
                   {"type": "text", "text": "part two"}, "stray", {"text": 5}],
                  model="anthropic/claude-3-opus"),
        chat_body("", model="meta-llama/llama-3.1-8b-instruct:free"),
        chat_body("one two three four", model="mistralai/mistral-7b-instruct:free",
                  max_tokens=2),
        chat_body("one two three", max_completion_tokens=1),
        chat_body("one two three", max_tokens=None, max_completion_tokens=1),
        chat_body("one two", max_tokens=99999999999999999999),
        chat_body(" ".join("word%d" % i for i in range(3000)), model="anthropic/claude-3-opus",
                  temperature=0.7, top_p=1e-3, stop=["\n"], usage={"include": True},
                  nested={"a": [1, -2.5e3, {"b": None, "c": [True, False]}]}),
        '{"model": "nope", "model": "fake/fast", "messages": [{"role": "user", '
        '"content": "x"}], "messages": [{"content": "last wins", "role": "user"}]}',
        "", "not json", "[1, 2]", '"text"', '{"a": 1} x', '{"model": "fake/fast",}',
        b'{"model": "fake/fast", "messages": [{"role": "user", "content": "\xff"}]}',
        '{"model": "fake/fast", "messages": [{"role": "user", "content": "tab\tin"}]}',
        '{"model": "fake/fast", "messages": [{"role": "user", "content": "x"}], '
        '"max_tokens": 01}',
        chat_body(stream="yes"), chat_body(stream=1),
        {"messages": [{"role": "user", "content": "x"}]}, chat_body(model=""),
        chat_body(model=5), {"model": "fake/fast", "messages": []},
        {"model": "fake/fast", "messages": {}}, {"model": "fake/fast", "messages": [5]},
        {"model": "fake/fast", "messages": [{"role": "user", "content": "ok"}, {"role": 1}]},
        {"model": "fake/fast", "messages": [{"role": "user"}]},
        {"model": "fake/fast", "messages": [{"role": "user", "content": 5}]},
        chat_body(max_tokens=0), chat_body(max_tokens=1.5), chat_body(max_tokens=True),
        chat_body(max_tokens="3"), chat_body(max_completion_tokens=-1),
        chat_body(model="nope/\"quoted\""),
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.py = openrouter.FakeOpenRouter(keys=[KEY], fast=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.py.stop()
        super().tearDownClass()

    @staticmethod
    def normal(resp):
        """A response with the generation id and created masked, without
        Server and Date."""
        st, h, body, chunks = resp
        h = dict(h)
        h.pop("server", None)
        h.pop("date", None)
        gid = h.get("x-generation-id")
        if gid is None and h.get("content-type") == "application/json":
            try:
                gid = json.loads(body).get("id")
            except (ValueError, AttributeError):
                pass
        if gid:
            body = body.replace(gid.encode(), b"GEN-ID")
            chunks = chunks and [ch.replace(gid.encode(), b"GEN-ID") for ch in chunks]
            h["x-generation-id"] = "GEN-ID"
        body = re.sub(rb'"created":\d+', b'"created":0', body)
        chunks = chunks and [re.sub(rb'"created":\d+', b'"created":0', ch) for ch in chunks]
        return st, h, body, chunks

    def test_same_answers_and_errors(self):
        ours, theirs = self.conn(), Conn(self.py.port)
        self.addCleanup(theirs.close)
        for body in self.BODIES:
            for stream in (False, True):
                req = dict(body, stream=True) if stream and isinstance(body, dict) else body
                a = self.normal(ours.request("POST", CHAT, req))
                b = self.normal(theirs.request("POST", CHAT, req))
                self.assertEqual(a, b, req)
        # The cost of every answer adds up the same way.
        for path in ("/api/v1/key", "/api/v1/models"):
            self.assertEqual(self.normal(ours.request("GET", path)),
                             self.normal(theirs.request("GET", path)))


class DelayTests(UpstreamCase):
    DELAY, TOKEN = 0.3, 0.05
    ARGS = ("--quiet", "--delay-ms", "300", "--token-ms", "50")

    def test_json_answer_waits_the_delay(self):
        c = self.conn()
        t0 = time.monotonic()
        st, _, body, _ = c.request("POST", CHAT, chat_body())
        elapsed = time.monotonic() - t0
        self.assertEqual(st, 200)
        self.assertGreaterEqual(elapsed, self.DELAY)
        self.assertLess(elapsed, self.DELAY + 1.0)
        # Only chat completions wait.
        t0 = time.monotonic()
        self.assertEqual(c.request("GET", "/api/v1/models")[0], 200)
        self.assertLess(time.monotonic() - t0, self.DELAY)

    def test_stream_headers_at_once_first_token_after_the_delay(self):
        c = self.conn()
        t0 = time.monotonic()
        c.send("POST", CHAT, chat_body("a b", stream=True))
        self.assertEqual(c.line(), b"HTTP/1.1 200 OK")
        while c.line():
            pass
        self.assertLess(time.monotonic() - t0, self.DELAY)
        times, payloads = [], []
        while True:
            size = int(c.line(), 16)
            data = c.f.read(size + 2)[:-2]
            if size == 0:
                break
            times.append(time.monotonic() - t0)
            payloads.append(data)
        kinds = ["comment" if p.startswith(b":") else "data" for p in payloads]
        # Comments every 100 ms of the wait (at 0, 100, 200 and 300 ms),
        # then "echo: ", "a ", "b", finish, usage, [DONE].
        self.assertEqual(kinds, ["comment"] * 4 + ["data"] * 6)
        first = kinds.index("data")
        self.assertGreaterEqual(times[first], self.DELAY)
        # Each piece is sent a token's time after the one before, so none
        # can arrive before DELAY + n * TOKEN (gaps seen here may be shorter:
        # this reader can be late for one piece and on time for the next).
        for n in (1, 2, 3):
            self.assertGreaterEqual(times[first + n], self.DELAY + n * self.TOKEN)
        self.assertEqual(payloads[-1], b"data: [DONE]\n\n")

    def test_200_delayed_requests_finish_in_about_one_delay(self):
        conns = [Conn(self.port) for _ in range(200)]
        try:
            t0 = time.monotonic()
            for i, c in enumerate(conns):
                c.send("POST", CHAT, chat_body("n%d" % i, stream=(i % 2 == 1)))
            for i, c in enumerate(conns):
                st, _, body, _ = c.response()
                self.assertEqual(st, 200)
                self.assertIn(b'n%d"' % i, body)
            elapsed = time.monotonic() - t0
        finally:
            for c in conns:
                c.close()
        self.assertGreaterEqual(elapsed, self.DELAY)
        # One after the other they would take 200 x 0.3 s.
        self.assertLess(elapsed, 4 * self.DELAY)

    def test_a_client_that_leaves_during_the_delay_is_forgotten(self):
        idle = self.server.idle_fds
        self.assertEqual(self.server.wait_fds(idle, 5), idle)
        conns = [Conn(self.port) for _ in range(20)]
        t0 = time.monotonic()
        for c in conns:
            c.send("POST", CHAT, chat_body())
        self.assertEqual(self.server.wait_fds(idle + 20, 5), idle + 20)
        for c in conns:
            c.close()
        # Closed before their answers were due.
        self.assertEqual(self.server.wait_fds(idle, 5), idle)
        self.assertLess(time.monotonic() - t0, self.DELAY)
        self.assertEqual(self.conn().request("POST", CHAT, chat_body())[0], 200)


class ThreadsTests(UpstreamCase):
    ARGS = ("--quiet", "--threads", "2")

    def test_many_connections_over_two_loops(self):
        conns = [Conn(self.port) for _ in range(64)]
        try:
            for _ in range(3):
                for c in conns:
                    c.send("POST", CHAT, chat_body())
                for c in conns:
                    self.assertEqual(c.response()[0], 200)
        finally:
            for c in conns:
                c.close()

    def test_sigint_stops_it_cleanly(self):
        s = Server("--quiet", "--threads", "2", "--delay-ms", "5000")
        c = Conn(s.port)
        try:
            c.send("POST", CHAT, chat_body())
            time.sleep(0.05)
            self.assertEqual(s.stop(signal.SIGINT), 0)
            self.assertEqual(c.f.read(1), b"")
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()
