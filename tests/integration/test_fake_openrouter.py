"""Tests of the fake OpenRouter server (tests/fakes/openrouter.py).

Each test starts the fake as a subprocess (--port 0 --port-file in a
temporary directory) and stops it with SIGTERM in tearDown.  Standard
library only:

    python3 -m unittest tests.integration.test_fake_openrouter -v
"""
import decimal
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fakes", "openrouter.py")
KEY = "sk-or-v1-test0123456789abcdefWXYZ"
OTHER_KEY = "sk-or-v1-second-key-5678"
CHAT = "/api/v1/chat/completions"

D = decimal.Decimal


def parse_sse(raw):
    """SSE body -> list of blocks; a block is a list of its lines."""
    text = raw.decode("utf-8")
    blocks = []
    for block in text.split("\n\n"):
        lines = [l for l in block.split("\n") if l != ""]
        if lines:
            blocks.append(lines)
    return blocks


def data_events(raw):
    """The data payloads of an SSE body, JSON-decoded except [DONE]."""
    out = []
    for block in parse_sse(raw):
        for line in block:
            if line.startswith("data: "):
                payload = line[len("data: "):]
                out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


class FakeCase(unittest.TestCase):
    """Starts one fake per test."""

    def fake_args(self):
        return ["--key", KEY, "--key", OTHER_KEY, "--quiet"]

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="test-fake-openrouter-")
        port_file = os.path.join(self.tmp, "port")
        self.stderr = open(os.path.join(self.tmp, "stderr"), "wb")
        cmd = [sys.executable, FAKE, "--host", "127.0.0.1", "--port", "0",
               "--port-file", port_file] + self.fake_args()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr)
        end = time.time() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > end:
                self.fail("fake did not start: %s" % self._stderr_text())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _stderr_text(self):
        self.stderr.flush()
        with open(os.path.join(self.tmp, "stderr"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    # ------------------------------------------------------------ HTTP helpers

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, key=KEY):
        h = {}
        if key is not None:
            h["Authorization"] = "Bearer " + key
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, r, data
        finally:
            c.close()

    def chat(self, content="hello world", model="openai/gpt-4o-mini", stream=False,
             headers=None, key=KEY, messages=None, **extra):
        body = {"model": model,
                "messages": messages or [{"role": "user", "content": content}]}
        if stream:
            body["stream"] = True
        body.update(extra)
        return self.request("POST", CHAT, body, headers, key)

    def chat_json(self, *a, **kw):
        status, r, data = self.chat(*a, **kw)
        self.assertEqual(status, 200, data)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        return json.loads(data)

    def log(self):
        status, _, data = self.request("GET", "/__fake/requests", key=None)
        self.assertEqual(status, 200)
        return json.loads(data)

    def wait_log(self, pred, timeout=5.0):
        end = time.time() + timeout
        while True:
            entries = self.log()
            if pred(entries):
                return entries
            if time.time() > end:
                self.fail("request log never matched: %r" % entries)
            time.sleep(0.05)

    def assertError(self, status, data, code, message=None):
        self.assertEqual(status, code, data)
        body = json.loads(data)
        self.assertEqual(set(body), {"error"})
        self.assertEqual(body["error"]["code"], code)
        self.assertIsInstance(body["error"]["message"], str)
        if message is not None:
            self.assertIn(message, body["error"]["message"])
        return body["error"]


class TestBasics(FakeCase):

    def test_health_and_port_file(self):
        status, _, data = self.request("GET", "/__fake/health", key=None)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(data), {"ok": True})

    def test_completion_shape_and_usage(self):
        msgs = [{"role": "system", "content": "You are terse."},
                {"role": "user", "content": "hello world"}]
        status, r, data = self.chat(messages=msgs)
        self.assertEqual(status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        body = json.loads(data)
        self.assertTrue(body["id"].startswith("gen-"))
        self.assertEqual(r.getheader("X-Generation-Id"), body["id"])
        self.assertEqual(body["object"], "chat.completion")
        self.assertIsInstance(body["created"], int)
        self.assertEqual(body["model"], "openai/gpt-4o-mini")
        self.assertEqual(len(body["choices"]), 1)
        ch = body["choices"][0]
        self.assertEqual(ch["index"], 0)
        self.assertEqual(ch["message"]["role"], "assistant")
        self.assertEqual(ch["message"]["content"], "echo: hello world")
        self.assertEqual(ch["finish_reason"], "stop")
        u = body["usage"]
        # 3 + 2 words, 2 messages -> 5 + 8; "echo: hello world" -> 3 words
        self.assertEqual(u["prompt_tokens"], 13)
        self.assertEqual(u["completion_tokens"], 3)
        self.assertEqual(u["total_tokens"], 16)
        expected = 13 * D("0.00000015") + 3 * D("0.0000006")
        self.assertEqual(D(repr(u["cost"])), expected)
        # written the JavaScript way, like the real API
        self.assertIn(b'"cost":0.00000375', data)

    def test_cost_per_model(self):
        for model, p, c in [("openai/gpt-4o", "0.0000025", "0.00001"),
                            ("anthropic/claude-3-opus", "0.000015", "0.000075"),
                            ("fake/fast", "0.0000001", "0.0000002"),
                            ("meta-llama/llama-3.1-8b-instruct:free", "0", "0"),
                            ("mistralai/mistral-7b-instruct:free", "0", "0")]:
            body = self.chat_json("one two three four", model=model)
            u = body["usage"]
            self.assertEqual((u["prompt_tokens"], u["completion_tokens"]), (8, 5))
            self.assertEqual(D(repr(float(u["cost"]))),
                             D(repr(float(8 * D(p) + 5 * D(c)))), model)

    def test_echo_rules(self):
        # last *user* message; empty content -> "echo:"
        msgs = [{"role": "user", "content": "first"},
                {"role": "assistant", "content": "echo: first"},
                {"role": "user", "content": "second one"}]
        body = self.chat_json(messages=msgs)
        self.assertEqual(body["choices"][0]["message"]["content"], "echo: second one")
        self.assertEqual(body["usage"]["prompt_tokens"], 1 + 2 + 2 + 12)
        body = self.chat_json("")
        self.assertEqual(body["choices"][0]["message"]["content"], "echo:")
        self.assertEqual(body["usage"]["completion_tokens"], 1)
        self.assertEqual(body["usage"]["prompt_tokens"], 4)
        # array content parts
        body = self.chat_json(messages=[{"role": "user", "content": [
            {"type": "text", "text": "part one"}, {"type": "text", "text": "two"}]}])
        self.assertEqual(body["choices"][0]["message"]["content"], "echo: part one two")
        # non-ASCII passes through as UTF-8
        body = self.chat_json("héllo wörld")
        self.assertEqual(body["choices"][0]["message"]["content"], "echo: héllo wörld")

    def test_words_and_max_tokens(self):
        body = self.chat_json("x [[fake:words=5]]")
        self.assertEqual(body["choices"][0]["message"]["content"], "w1 w2 w3 w4 w5")
        self.assertEqual(body["usage"]["completion_tokens"], 5)
        body = self.chat_json("x [[fake:words=10]]", max_tokens=4)
        ch = body["choices"][0]
        self.assertEqual(ch["message"]["content"], "w1 w2 w3 w4")
        self.assertEqual(ch["finish_reason"], "length")
        self.assertEqual(body["usage"]["completion_tokens"], 4)
        body = self.chat_json("x [[fake:words=4]]", max_tokens=4)
        self.assertEqual(body["choices"][0]["finish_reason"], "stop")
        # streamed truncation
        status, r, data = self.chat("x [[fake:words=10]]", stream=True, max_tokens=3)
        ev = data_events(data)
        deltas = [e["choices"][0]["delta"].get("content", "") for e in ev
                  if isinstance(e, dict) and e["choices"]]
        self.assertEqual("".join(deltas), "w1 w2 w3")
        self.assertEqual(ev[-3]["choices"][0]["finish_reason"], "length")
        self.assertEqual(ev[-2]["usage"]["completion_tokens"], 3)

    def test_keep_alive_connection(self):
        c = self.conn()
        try:
            for i in range(3):
                c.request("POST", CHAT, json.dumps({
                    "model": "fake/fast",
                    "messages": [{"role": "user", "content": "n%d" % i}]}),
                    {"Authorization": "Bearer " + KEY,
                     "Content-Type": "application/json"})
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read())["choices"][0]["message"]["content"],
                                 "echo: n%d" % i)
        finally:
            c.close()

    def test_sigterm_exits_cleanly(self):
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(5), 0)


class TestAuthAndValidation(FakeCase):

    def test_missing_and_wrong_key(self):
        for key in (None, "", "sk-or-v1-wrong"):
            status, _, data = self.chat(key=key)
            self.assertError(status, data, 401, "No auth credentials found")
        status, _, data = self.chat(key=OTHER_KEY)
        self.assertEqual(status, 200)
        status, _, data = self.request("POST", CHAT, b"{}", key=None,
                                       headers={"Authorization": "Basic abc"})
        self.assertError(status, data, 401)

    def test_bad_bodies(self):
        cases = [
            b"not json",
            b"[1, 2]",
            {"messages": [{"role": "user", "content": "x"}]},
            {"model": 5, "messages": [{"role": "user", "content": "x"}]},
            {"model": "openai/gpt-4o-mini"},
            {"model": "openai/gpt-4o-mini", "messages": []},
            {"model": "openai/gpt-4o-mini", "messages": "hi"},
            {"model": "openai/gpt-4o-mini", "messages": ["hi"]},
            {"model": "openai/gpt-4o-mini", "messages": [{"content": "x"}]},
            {"model": "openai/gpt-4o-mini", "messages": [{"role": "user"}]},
            {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": 5}]},
            {"model": "openai/gpt-4o-mini", "max_tokens": 0,
             "messages": [{"role": "user", "content": "x"}]},
            {"model": "openai/gpt-4o-mini", "stream": "yes",
             "messages": [{"role": "user", "content": "x"}]},
        ]
        for body in cases:
            status, _, data = self.request("POST", CHAT, body)
            self.assertError(status, data, 400)

    def test_unknown_model(self):
        status, _, data = self.chat(model="nope/nothing")
        self.assertError(status, data, 400, "nope/nothing is not a valid model ID")
        status, _, data = self.chat(model="nope/nothing", stream=True)
        self.assertError(status, data, 400, "is not a valid model ID")

    def test_bad_directive(self):
        status, _, data = self.chat("x [[fake:bogus=1]]")
        self.assertError(status, data, 400, "unknown key 'bogus'")
        status, _, data = self.chat("x", headers={"X-Fake": "delay_ms=soon"})
        self.assertError(status, data, 400, "delay_ms needs an integer")

    def test_unknown_path_and_method(self):
        status, _, data = self.request("GET", "/api/v1/nothing")
        self.assertError(status, data, 404)
        status, _, data = self.request("GET", CHAT)
        self.assertError(status, data, 405)


class TestErrors(FakeCase):

    EXPECTED = {400: "Bad Request", 401: "No auth credentials found",
                402: "Insufficient credits", 408: "Request timed out",
                429: "Rate limit exceeded", 502: "Upstream provider error",
                503: "No available provider"}

    def test_status_directives(self):
        for code, msg in self.EXPECTED.items():
            for stream in (False, True):
                status, r, data = self.chat("hi [[fake:status=%d]]" % code, stream=stream)
                err = self.assertError(status, data, code, msg)
                self.assertEqual(r.getheader("Content-Type"), "application/json")
                if code == 429:
                    self.assertEqual(r.getheader("Retry-After"), "7")
                    self.assertEqual(r.getheader("X-RateLimit-Remaining"), "0")
                else:
                    self.assertIsNone(r.getheader("Retry-After"))
                if code == 502:
                    self.assertEqual(err["metadata"]["provider_name"], "Fake")

    def test_retry_after_and_header_directives(self):
        status, r, data = self.chat("hi", headers={"X-Fake": "status=429,retry_after=3"})
        self.assertError(status, data, 429)
        self.assertEqual(r.getheader("Retry-After"), "3")
        status, r, data = self.chat("hi [[fake:status=503,retry_after=2]]")
        self.assertError(status, data, 503)
        self.assertEqual(r.getheader("Retry-After"), "2")
        status, r, data = self.chat("hi [[fake:status=402,message=Top up now]]")
        self.assertError(status, data, 402, "Top up now")
        # message directives override header ones
        status, r, data = self.chat("hi [[fake:status=408]]",
                                    headers={"X-Fake": "status=502"})
        self.assertError(status, data, 408)

    def test_delay_then_error(self):
        t0 = time.time()
        status, _, data = self.chat("hi [[fake:delay_ms=300,status=502]]", stream=True)
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.assertError(status, data, 502)

    def test_drop_non_stream(self):
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.chat("hi [[fake:drop_after=0]]")
        entries = self.wait_log(lambda e: e and e[-1]["outcome"] == "dropped")
        self.assertEqual(entries[-1]["status"], 0)

    def test_garbage_non_stream(self):
        status, r, data = self.chat("hi [[fake:garbage=1]]")
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(data)

    def test_error_chunk_non_stream(self):
        body = self.chat_json("x [[fake:words=5,error_chunk_after=2]]")
        self.assertEqual(body["error"]["code"], 502)
        self.assertEqual(body["choices"][0]["finish_reason"], "error")
        self.assertEqual(body["choices"][0]["message"]["content"], "w1 w2 ")
        self.assertNotIn("usage", body)

    def test_finish_error_and_no_cost(self):
        body = self.chat_json("x [[fake:finish_error=1,no_cost=1]]")
        self.assertEqual(body["choices"][0]["finish_reason"], "error")
        self.assertNotIn("cost", body["usage"])
        self.assertIn("total_tokens", body["usage"])

    def test_unknown_fields_non_stream(self):
        body = self.chat_json("x [[fake:unknown_fields=1]]")
        self.assertIn("x_fake_unknown", body)
        self.assertIn("x_fake_usage_field", body["usage"])

    def test_delay_non_stream(self):
        t0 = time.time()
        body = self.chat_json("x [[fake:delay_ms=300]]")
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.assertTrue(body["choices"][0]["message"]["content"].startswith("echo: x"))

    def test_ws_keepalive_non_stream(self):
        t0 = time.time()
        status, r, data = self.chat("x [[fake:delay_ms=300,ws_keepalive=1]]")
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.assertEqual(status, 200)
        self.assertTrue(data.startswith(b"\n\n\n{"), data[:10])
        json.loads(data)


class TestStreaming(FakeCase):

    def stream(self, content, **kw):
        status, r, data = self.chat(content, stream=True, **kw)
        self.assertEqual(status, 200, data)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        return r, data

    def test_event_sequence(self):
        r, data = self.stream("hello big world")
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        blocks = parse_sse(data)
        self.assertEqual(blocks[0], [": OPENROUTER PROCESSING"])
        self.assertTrue(data.startswith(b": OPENROUTER PROCESSING\n\n"))
        for b in blocks[1:]:
            self.assertEqual(len(b), 1)
            self.assertTrue(b[0].startswith("data: "))
        ev = data_events(data)
        self.assertEqual(ev[-1], "[DONE]")
        content_ev, finish_ev, usage_ev = ev[:-3], ev[-3], ev[-2]
        self.assertEqual(len(content_ev), 4)
        gid = content_ev[0]["id"]
        self.assertTrue(gid.startswith("gen-"))
        self.assertEqual(r.getheader("X-Generation-Id"), gid)
        for e in ev[:-1]:
            self.assertEqual(e["id"], gid)
            self.assertEqual(e["object"], "chat.completion.chunk")
            self.assertEqual(e["model"], "openai/gpt-4o-mini")
            self.assertIsInstance(e["created"], int)
        self.assertEqual(content_ev[0]["choices"][0]["delta"],
                         {"role": "assistant", "content": "echo: "})
        self.assertEqual([e["choices"][0]["delta"]["content"] for e in content_ev],
                         ["echo: ", "hello ", "big ", "world"])
        for e in content_ev:
            self.assertIsNone(e["choices"][0]["finish_reason"])
            self.assertNotIn("usage", e)
        for e in content_ev[1:]:
            self.assertNotIn("role", e["choices"][0]["delta"])
        self.assertEqual(finish_ev["choices"][0]["delta"], {})
        self.assertEqual(finish_ev["choices"][0]["finish_reason"], "stop")
        self.assertEqual(usage_ev["choices"], [])
        u = usage_ev["usage"]
        self.assertEqual((u["prompt_tokens"], u["completion_tokens"], u["total_tokens"]),
                         (7, 4, 11))
        self.assertEqual(D(repr(u["cost"])), 7 * D("0.00000015") + 4 * D("0.0000006"))

    def test_stream_matches_non_stream(self):
        text = "  spaced   out\nwords\t here  "
        body = self.chat_json(text)
        _, data = self.stream(text)
        ev = data_events(data)
        joined = "".join(e["choices"][0]["delta"].get("content", "")
                         for e in ev[:-1] if e["choices"])
        self.assertEqual(joined, body["choices"][0]["message"]["content"])
        self.assertEqual(ev[-2]["usage"]["prompt_tokens"], body["usage"]["prompt_tokens"])
        self.assertEqual(ev[-2]["usage"]["completion_tokens"],
                         body["usage"]["completion_tokens"])

    def test_delay_keepalives(self):
        t0 = time.time()
        _, data = self.stream("x [[fake:delay_ms=350]]")
        self.assertGreaterEqual(time.time() - t0, 0.35)
        blocks = parse_sse(data)
        n = 0
        while blocks[n] == [": OPENROUTER PROCESSING"]:
            n += 1
        self.assertGreaterEqual(n, 4)  # the first + one per 100 ms
        self.assertTrue(blocks[n][0].startswith("data: "))

    def test_chunk_delay(self):
        c = self.conn()
        try:
            c.request("POST", CHAT, json.dumps({
                "model": "fake/fast", "stream": True,
                "messages": [{"role": "user", "content": "x [[fake:words=4,chunk_delay_ms=150]]"}]}),
                {"Authorization": "Bearer " + KEY})
            r = c.getresponse()
            t0 = time.time()
            buf = b""
            arrivals = []
            while b"data: [DONE]" not in buf:
                piece = r.read1(65536)
                if not piece:
                    break
                buf += piece
                arrivals.append((time.time() - t0, buf.count(b"data: ")))
        finally:
            c.close()
        self.assertIn(b"data: [DONE]", buf)
        # 3 gaps between 4 chunks + 1 before the finish chunk
        self.assertGreaterEqual(arrivals[-1][0], 0.55)
        # chunks arrive incrementally, not all at once
        self.assertTrue(any(0 < n < 4 for _, n in arrivals), arrivals)

    def test_drop_after(self):
        c = self.conn()
        try:
            c.request("POST", CHAT, json.dumps({
                "model": "fake/fast", "stream": True,
                "messages": [{"role": "user", "content": "x [[fake:words=10,drop_after=3]]"}]}),
                {"Authorization": "Bearer " + KEY})
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            with self.assertRaises(http.client.IncompleteRead) as cm:
                r.read()
        finally:
            c.close()
        partial = cm.exception.partial
        ev = data_events(partial)
        self.assertEqual([e["choices"][0]["delta"]["content"] for e in ev],
                         ["w1 ", "w2 ", "w3 "])
        self.assertNotIn(b"[DONE]", partial)
        entries = self.wait_log(lambda e: e and e[-1]["outcome"] == "dropped")
        self.assertEqual(entries[-1]["chunks_sent"], 3)

    def test_drop_after_close_framing(self):
        r, data = self.stream("x [[fake:words=10,drop_after=2,framing=close]]")
        self.assertIsNone(r.getheader("Transfer-Encoding"))
        self.assertEqual(r.getheader("Connection"), "close")
        ev = data_events(data)
        self.assertEqual(len(ev), 2)
        self.assertNotIn(b"[DONE]", data)

    def test_close_framing_complete(self):
        r, data = self.stream("a b [[fake:framing=close]]")
        self.assertIsNone(r.getheader("Transfer-Encoding"))
        self.assertEqual(data_events(data)[-1], "[DONE]")

    def test_drop_rst(self):
        c = self.conn()
        try:
            c.request("POST", CHAT, json.dumps({
                "model": "fake/fast", "stream": True,
                "messages": [{"role": "user", "content": "x [[fake:words=10,drop_after=1,drop_rst]]"}]}),
                {"Authorization": "Bearer " + KEY})
            r = c.getresponse()
            with self.assertRaises((http.client.IncompleteRead, ConnectionResetError)):
                r.read()
        finally:
            c.close()

    def test_error_chunk_after(self):
        r, data = self.stream("x [[fake:words=6,error_chunk_after=2]]")
        ev = data_events(data)
        self.assertEqual(ev[-1], "[DONE]")
        self.assertEqual([e["choices"][0]["delta"]["content"] for e in ev[:2]],
                         ["w1 ", "w2 "])
        err = ev[2]
        self.assertEqual(len(ev), 4)
        self.assertEqual(err["object"], "chat.completion.chunk")
        self.assertEqual(err["error"], {"code": 502, "message": "Provider disconnected"})
        self.assertEqual(err["choices"], [{"index": 0, "delta": {"content": ""},
                                           "finish_reason": "error",
                                           "native_finish_reason": "error"}])
        self.assertFalse(any("usage" in e for e in ev[:-1]))
        entries = self.wait_log(lambda e: e and e[-1]["outcome"] == "error")
        self.assertEqual(entries[-1]["status"], 200)

    def test_finish_error(self):
        _, data = self.stream("x [[fake:finish_error=1]]")
        ev = data_events(data)
        self.assertEqual(ev[-3]["choices"][0]["finish_reason"], "error")
        self.assertIn("usage", ev[-2])
        self.assertEqual(ev[-1], "[DONE]")

    def test_garbage(self):
        _, data = self.stream("x [[fake:garbage=1]]")
        lines = [l for b in parse_sse(data) for l in b if l.startswith("data: ")]
        with self.assertRaises(ValueError):
            json.loads(lines[0][len("data: "):])
        for l in lines[1:-1]:
            json.loads(l[len("data: "):])
        self.assertEqual(lines[-1], "data: [DONE]")

    def test_unknown_fields(self):
        _, data = self.stream("a b [[fake:unknown_fields=1]]")
        text = data.decode()
        for prefix in ("\nevent: ", "\nid: ", "retry: ", "\nx-fake-field: "):
            self.assertIn(prefix, text)
        ev = data_events(data)
        self.assertEqual(ev[-1], "[DONE]")
        self.assertIn("x_fake_unknown", ev[0])
        self.assertIn("x_fake_usage_field", ev[-2]["usage"])
        joined = "".join(e["choices"][0]["delta"].get("content", "")
                         for e in ev[:-1] if e["choices"])
        self.assertEqual(joined, "echo: a b [[fake:unknown_fields=1]]")

    def test_no_cost(self):
        _, data = self.stream("x", headers={"X-Fake": "no_cost"})
        u = data_events(data)[-2]["usage"]
        self.assertNotIn("cost", u)
        self.assertEqual(u["total_tokens"], u["prompt_tokens"] + u["completion_tokens"])


class TestEndpoints(FakeCase):

    def test_models(self):
        status, r, data = self.request("GET", "/api/v1/models", key=None)
        self.assertEqual(status, 200)
        models = {m["id"]: m for m in json.loads(data)["data"]}
        expected = {"openai/gpt-4o-mini": ("0.00000015", "0.0000006"),
                    "openai/gpt-4o": ("0.0000025", "0.00001"),
                    "anthropic/claude-3-opus": ("0.000015", "0.000075"),
                    "meta-llama/llama-3.1-8b-instruct:free": ("0", "0"),
                    "mistralai/mistral-7b-instruct:free": ("0", "0"),
                    "fake/fast": ("0.0000001", "0.0000002")}
        for mid, (p, c) in expected.items():
            m = models[mid]
            self.assertEqual((m["pricing"]["prompt"], m["pricing"]["completion"]), (p, c))
            for f in ("request", "image"):
                self.assertIsInstance(m["pricing"][f], str)
            for f in ("name", "description"):
                self.assertIsInstance(m[f], str)
            self.assertIsInstance(m["created"], int)
            self.assertIsInstance(m["context_length"], int)
            self.assertIn("modality", m["architecture"])
            self.assertIn("is_moderated", m["top_provider"])

    def test_models_header_fault(self):
        status, _, data = self.request("GET", "/api/v1/models",
                                       headers={"X-Fake": "status=503"})
        self.assertError(status, data, 503)

    def test_key(self):
        status, _, data = self.request("GET", "/api/v1/key")
        self.assertEqual(status, 200)
        k = json.loads(data)["data"]
        self.assertEqual(k["label"], "sk-or-v1-..." + KEY[-4:])
        self.assertEqual(k["usage"], 0)
        self.assertIsNone(k["limit"])
        self.assertIs(k["is_free_tier"], False)
        self.assertEqual(k["rate_limit"]["interval"], "10s")
        self.assertIsInstance(k["rate_limit"]["requests"], int)
        # usage accumulates the cost of completed generations of this key
        c1 = self.chat_json("one two")["usage"]["cost"]
        _, _, sdata = self.chat("three", stream=True)
        c2 = data_events(sdata)[-2]["usage"]["cost"]
        self.chat("failed [[fake:status=502]]")
        k = json.loads(self.request("GET", "/api/v1/key")[2])["data"]
        self.assertAlmostEqual(k["usage"], c1 + c2, places=12)
        k2 = json.loads(self.request("GET", "/api/v1/key", key=OTHER_KEY)[2])["data"]
        self.assertEqual(k2["usage"], 0)
        # legacy alias
        self.assertEqual(self.request("GET", "/api/v1/auth/key")[0], 200)

    def test_key_unauthorized(self):
        for key in (None, "sk-or-v1-bad"):
            status, _, data = self.request("GET", "/api/v1/key", key=key)
            self.assertError(status, data, 401)


class TestRequestLog(FakeCase):

    def test_log_entries(self):
        self.chat("hello [[fake:words=2]]", headers={"X-Title": "PM"})
        self.chat("bye", stream=True)
        self.chat("nope [[fake:status=429]]")
        self.request("GET", "/api/v1/models", key=None)
        entries = self.log()
        self.assertEqual(len(entries), 4)
        e = entries[0]
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["path"], CHAT)
        self.assertEqual(e["headers"]["Authorization"], "Bearer ***")
        self.assertNotIn(KEY, json.dumps(entries))
        self.assertEqual(e["headers"]["X-Title"], "PM")
        self.assertEqual(e["key_label"], "sk-or-v1-..." + KEY[-4:])
        self.assertEqual(e["body"]["messages"][0]["content"], "hello [[fake:words=2]]")
        self.assertEqual(e["directives"], {"words": 2})
        self.assertIs(e["stream"], False)
        self.assertEqual(e["model"], "openai/gpt-4o-mini")
        self.assertEqual((e["outcome"], e["status"]), ("completed", 200))
        self.assertIs(entries[1]["stream"], True)
        self.assertEqual(entries[1]["outcome"], "completed")
        self.assertEqual((entries[2]["outcome"], entries[2]["status"]), ("error", 429))
        self.assertEqual((entries[3]["method"], entries[3]["path"]), ("GET", "/api/v1/models"))
        self.assertIsNone(entries[3]["body"])
        # DELETE clears
        status, _, _ = self.request("DELETE", "/__fake/requests", key=None)
        self.assertEqual(status, 200)
        self.assertEqual(self.log(), [])

    def test_non_json_body_logged_raw(self):
        self.request("POST", CHAT, b"garbage!", headers={"Content-Type": "text/plain"})
        # the fake records the outcome just after it answers
        e = self.wait_log(lambda es: es and es[0]["outcome"] != "in_progress")[0]
        self.assertIsNone(e["body"])
        self.assertEqual(e["raw_body"], "garbage!")
        self.assertEqual((e["outcome"], e["status"]), ("error", 400))

    def test_disconnected_mid_stream(self):
        c = self.conn()
        c.request("POST", CHAT, json.dumps({
            "model": "fake/fast", "stream": True,
            "messages": [{"role": "user",
                          "content": "x [[fake:words=200,chunk_delay_ms=50]]"}]}),
            {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        buf = b""
        while buf.count(b"data: ") < 3:
            buf += r.read1(65536)
        entries = self.log()
        self.assertEqual(entries[-1]["outcome"], "in_progress")
        r.close()
        c.close()
        entries = self.wait_log(lambda e: e and e[-1]["outcome"] == "disconnected")
        self.assertLess(entries[-1]["chunks_sent"], 200)
        self.assertGreaterEqual(entries[-1]["chunks_sent"], 3)

    def test_disconnected_during_delay(self):
        c = self.conn(timeout=0.3)
        c.request("POST", CHAT, json.dumps({
            "model": "fake/fast",
            "messages": [{"role": "user", "content": "x [[fake:delay_ms=5000]]"}]}),
            {"Authorization": "Bearer " + KEY})
        with self.assertRaises(socket.timeout):
            c.getresponse()
        c.close()
        t0 = time.time()
        self.wait_log(lambda e: e and e[-1]["outcome"] == "disconnected", timeout=3)
        self.assertLess(time.time() - t0, 3)


class TestOpenKeysAndModelsFile(FakeCase):
    """No --key (any non-empty key works) and a --models file."""

    def fake_args(self):
        path = os.path.join(self.tmp, "models.json")
        with open(path, "w") as f:
            json.dump({"data": [{"id": "acme/tiny", "name": "Acme Tiny", "created": 1,
                                 "description": "test", "context_length": 1024,
                                 "pricing": {"prompt": "0.001", "completion": "0.002",
                                             "request": "0.5", "image": "0"},
                                 "architecture": {"modality": "text->text"},
                                 "top_provider": {"is_moderated": False}}]}, f)
        return ["--models", path]

    def test_any_key_and_custom_models(self):
        body = self.chat_json("a b", model="acme/tiny", key="whatever")
        u = body["usage"]
        self.assertEqual((u["prompt_tokens"], u["completion_tokens"]), (6, 3))
        self.assertEqual(D(repr(u["cost"])), D("0.006") + D("0.006") + D("0.5"))
        status, _, data = self.chat(key="")
        self.assertError(status, data, 401)
        status, _, data = self.chat(model="openai/gpt-4o-mini", key="whatever")
        self.assertError(status, data, 400, "not a valid model ID")
        ids = [m["id"] for m in json.loads(self.request("GET", "/api/v1/models")[2])["data"]]
        self.assertEqual(ids, ["acme/tiny"])


class TestFastMode(FakeCase):

    def fake_args(self):
        return ["--key", KEY, "--fast"]

    def test_fast(self):
        body = self.chat_json("hi there")
        self.assertEqual(body["choices"][0]["message"]["content"], "echo: hi there")
        _, _, data = self.chat("hi", stream=True)
        self.assertEqual(data_events(data)[-1], "[DONE]")
        self.assertEqual(self.log(), [])
        self.assertEqual(self._stderr_text(), "")


class TestHelper(unittest.TestCase):

    def test_importable_helper(self):
        from tests.fakes.openrouter import FakeOpenRouter
        with FakeOpenRouter(keys=[KEY]) as fake:
            self.assertTrue(fake.base_url.endswith("/api/v1"))
            c = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
            c.request("GET", "/api/v1/models")
            self.assertEqual(c.getresponse().status, 200)
            c.close()
            self.assertEqual(len(fake.requests()), 1)
            fake.clear()
            self.assertEqual(fake.requests(), [])
        self.assertIsNotNone(fake.proc.returncode)


if __name__ == "__main__":
    unittest.main()
