#!/usr/bin/env python3
"""A local, deterministic stand-in for the OpenRouter API (standard library only).

Usage
-----
    python3 tests/fakes/openrouter.py --host 127.0.0.1 --port 0 \\
        --port-file FILE [--key KEY ...] [--key-file F ...] [--models FILE.json] [--quiet] [--fast]
        [--demo] [--token-delay-ms N]

--port 0 picks a free port; the chosen port is written (atomically, as
"<port>\\n") to --port-file once the socket listens.  The server runs until
SIGTERM or SIGINT and then exits with status 0.  Point the application's
openrouter_base_url at  http://HOST:PORT/api/v1 .

--key KEY    accepted API key (repeatable).  Without any --key every
             non-empty Bearer key is accepted.
--models F   JSON file {"data": [model, ...]} replacing the default model list.
--quiet      no access log on stderr.
--fast       for benchmarks: no access log, no request log, no disconnect
             probing; responses are otherwise identical.
--demo       the stand-in of "make run" (scripts/stack.sh starts it so when the
             stack is not a test stack): streams at a human pace (40 ms per
             token unless --token-delay-ms says otherwise) and lists only the
             models a user should see (not the test model fake/fast, which it
             then does not serve either).
--token-delay-ms N
             stream: wait N ms before each content chunk after the first
             (the chunk_delay_ms directive, for every stream; a directive
             in a request wins).  Default 0, or 40 with --demo.

Endpoints (base path /api/v1)
-----------------------------
POST /api/v1/chat/completions   OpenAI-style chat completion, JSON or SSE.
GET  /api/v1/models             {"data": [model objects]}   (no auth, as upstream)
GET  /api/v1/key                key info; /api/v1/auth/key is an alias.
GET  /__fake/health             200 {"ok": true}
GET  /__fake/requests           request log (JSON list, oldest first)
DELETE /__fake/requests         clear the request log

Deterministic output
--------------------
content  = "echo: " + content of the last "user" message ("echo:" when that
           is empty), or "w1 w2 ... wN" with the words=N directive, or
           TEXT with the reply=TEXT directive.
prompt_tokens     = whitespace-separated words over every message's content
                    + 4 * number of messages
completion_tokens = words in the output (at least 1); with max_tokens (or
                    max_completion_tokens) below that, the output is cut to
                    max_tokens words and finish_reason is "length".
cost (USD)        = prompt_tokens * pricing.prompt
                    + completion_tokens * pricing.completion + pricing.request
                    (decimal strings from the model list; request is "0" for
                    every default model).  Floats are written the way
                    JavaScript's JSON.stringify writes them (0.0000033,
                    3.3e-7), as the real API does.
Tool calls: with "tools" (function tools) and a last message of role
"user", unless tool_choice is "none", the reply is one call of the tool
tool_choice names (else the first), arguments '{"input": <last user
content>}', finish_reason "tool_calls", message content null; streamed as
OpenAI does: a first delta with the call's index, id, type and name, then
the arguments in pieces of 8 characters.  After a "tool" message the reply
is the echo again.  A tool without a name, or a tool_choice naming no tool,
gives a 400.
A streamed reply is split into one content chunk per word, each word keeping
the whitespace that follows it, so the deltas concatenate to exactly the
non-streamed content.

Fault directives
----------------
Put  [[fake:key=value,key=value,...]]  anywhere in the content of the last
user message, and/or send the header  X-Fake: key=value,key=value .  Both are
merged (the message wins on conflicts).  A bare key means key=1.  The
directive text stays part of the message: it is echoed back and counted as
words.  Unknown keys or bad values give a 400 naming the problem.

  status=N            reply with HTTP N and the OpenRouter error body
                      {"error":{"code":N,"message":...,"metadata"?:{...}}}.
                      400 "Bad Request", 401 "No auth credentials found",
                      402 "Insufficient credits", 403 moderation (with
                      metadata), 408 "Request timed out", 429 "Rate limit
                      exceeded" (+ Retry-After and X-RateLimit-* headers),
                      502 "Upstream provider error" (metadata provider_name,
                      raw), 503 "No available provider"; any other code uses
                      its HTTP reason phrase.
  retry_after=S       Retry-After value for 429 (default 7); also added to
                      any other status=N when given explicitly.
  message=TEXT        overrides the message of status=N / error_chunk_after
                      (TEXT cannot contain "," or "]").
  delay_ms=N          wait N ms before answering.  Streams send the 200
                      headers and ": OPENROUTER PROCESSING" at once and then
                      one such comment every 100 ms of the delay.  With
                      status=N nothing is sent before the error.
  chunk_delay_ms=N    stream: wait N ms before each content chunk after the
                      first and before the finish chunk.
  drop_after=N        stream: close the connection after N content chunks
                      (no finish chunk, usage or [DONE]; the chunked body is
                      left unterminated, so libcurl reports error 18).
                      Non-stream: close without sending any response.
  drop_rst=1          with drop_after: reset the connection (RST) instead of
                      closing it with FIN.
  error_chunk_after=N stream (HTTP 200): after N content chunks send
                      data: {..."error":{"code":502,"message":"Provider
                      disconnected"},"choices":[{"index":0,"delta":
                      {"content":""},"finish_reason":"error"}]}  and then
                      data: [DONE] (no usage chunk).  Non-stream: HTTP 200
                      chat.completion with the partial content,
                      finish_reason "error", a top-level "error" object and
                      no usage.
  finish_error=1      finish_reason "error" instead of "stop"/"length".
  garbage=1           non-stream: HTTP 200, Content-Type application/json,
                      a body that is not JSON.  Stream: one extra "data: "
                      event that is not JSON, sent before the first content
                      chunk; the stream then continues normally (all content
                      chunks, usage, [DONE]).
  unknown_fields=1    extra unknown JSON members (top level, choice, usage)
                      and extra SSE field lines "id: N", "event: message",
                      "retry: 3000" and "x-fake-field: ignore" around data
                      lines; a conforming client ignores all of them.
  no_cost=1           usage without "cost" (and without cost_details/is_byok).
  words=N             output "w1 w2 ... wN" instead of the echo.
  reply=TEXT          output TEXT instead of the echo (a judge's answer such
                      as "PASS: clear"; TEXT cannot contain "," or "]").
                      words=N wins when both are given.
  framing=close       stream: no chunked transfer encoding; the body is
                      delimited by closing the connection (default: chunked).
  ws_keepalive=1      non-stream with delay_ms: send the 200 headers at once
                      and one "\\n" per 100 ms of delay before the JSON body
                      (leading whitespace, as some gateways do).

Directives in the X-Fake header also apply to GET /models and GET /key
(status, retry_after, message, delay_ms, garbage, drop_after, drop_rst).

Keys users bring (BYOK)
-----------------------
Besides the platform keys (--key), the fake knows "user keys", the keys
users of the application bring: registered with POST /__fake/keys (below),
or, with --demo, any key of OpenRouter's shape (sk-or-v1- and 32 or more
letters and digits).  A user key that is neither registered nor so accepted
gets 401 everywhere.

  POST /__fake/keys   {"key": K, "provider"?: "openrouter" (default) or a
                      provider name (see below), "label"?, "limit"?,
                      "limit_remaining"?, "usage_daily"?, "usage_monthly"?,
                      "is_free_tier"?, "status"?: N or null}
                      registers or updates key K.  With "status": N every
                      request made with K gets that error (401, 402 or 429
                      with Retry-After: the provider marking a key failing)
                      until "status": null.  Answers {"ok": true}.
  GET /__fake/keys    [{"key_label", "provider", "status", ...}] (never the
                      key); DELETE /__fake/keys forgets them all.

An OpenRouter user key: GET /key answers its label (its own or
"sk-or-v1-..." and the last 4 characters), limit, limit_remaining, usage
and usage_daily/_monthly (what was given, else the cost of its completed
generations), is_free_tier; a chat completion with it reports
usage.is_byok true, usage.cost OpenRouter's fee only (5 % of the price) and
usage.cost_details.upstream_inference_cost the provider's charge (the whole
price), as OpenRouter does for BYOK calls.

Other providers (the application's byok_providers_base_url points at
http://HOST:PORT/provider): each NAME of openai, anthropic, google, groq,
deepseek, together and custom answers OpenAI's API under /provider/NAME:
  GET  /provider/NAME/models             {"object": "list", "data": [...]}
  POST /provider/NAME/chat/completions   OpenAI's chat completion
with a key registered for NAME (with --demo: any non-empty key).  Model
names are bare where the provider serves a prefix of the catalog
(openai/gpt-4o is "gpt-4o" at /provider/openai; groq, together and custom
take the catalog id as it is).  As OpenAI: errors are {"error": {"message",
"type", "param", "code"}}, a 401 quotes the key's first 8 and last 4
characters, OpenRouter's "usage" request member is refused (400), usage
carries no cost and comes in a stream only with
"stream_options": {"include_usage": true}.  Directives work as above.

Request log entries (GET /__fake/requests)
------------------------------------------
{"seq", "time", "method", "path", "headers" (as sent; the Authorization
value is replaced by "Bearer ***"), "key_label" (label of the key used, or
null), "body" (parsed JSON, or null with "raw_body" when not JSON),
"stream" (bool), "model", "directives", "status" (HTTP status sent, 0 if
none), "chunks_sent" (content chunks written), "outcome"}
outcome: "in_progress" while running, then "completed", "error" (HTTP error
status or a mid-stream error event), "dropped" (drop_after) or
"disconnected" (the client went away before the response was complete).

Simplifications versus the real service
---------------------------------------
* Only chat completions with "messages"; no legacy "prompt", images,
  provider routing, fallbacks ("models"), n > 1 or logprobs.  Sampling
  parameters are accepted and ignored.  "model" is required (upstream falls
  back to the account's default model).
* Tokens are words, not the model's tokenizer.  Usage and cost are always
  reported (upstream may need usage: {include: true} /
  stream_options.include_usage depending on API version).
* Every 401 says "No auth credentials found"; upstream wording differs for
  invalid versus missing keys.  Error messages are short fixed strings.
* Only the first content chunk carries delta.role; upstream repeats
  "role": "assistant" in every delta.  The finish chunk has an empty delta.
* /key reports usage as the sum of costs of completed generations of that
  key in this process; limits are always null, rate_limit is fixed.
* HTTP/1.1 only (upstream is usually reached over HTTP/2).
"""
import argparse
import decimal
import http
import http.server
import itertools
import json
import os
import random
import re
import select
import signal
import socket
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

BASE = "/api/v1"
KEEPALIVE_COMMENT = b": OPENROUTER PROCESSING\n\n"
KEEPALIVE_INTERVAL = 0.1  # seconds between keep-alive comments during delay_ms

_CREATED = 1720000000  # fixed "created" timestamp of the default models


def _model(mid, name, prompt, completion, context, tokenizer, description,
           moderated=False, max_completion=None):
    return {
        "id": mid,
        "canonical_slug": mid.split(":")[0],
        "hugging_face_id": "",
        "name": name,
        "created": _CREATED,
        "description": description,
        "context_length": context,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "tokenizer": tokenizer,
            "instruct_type": None,
        },
        "pricing": {
            "prompt": prompt,
            "completion": completion,
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": max_completion,
            "is_moderated": moderated,
        },
        "per_request_limits": None,
        "supported_parameters": ["max_tokens", "temperature", "top_p", "stop",
                                 "seed", "response_format"],
    }


DEFAULT_MODELS = [
    _model("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", "0.00000015", "0.0000006",
           128000, "GPT", "Fake stand-in for OpenAI's small GPT-4o model.",
           moderated=True, max_completion=16384),
    _model("openai/gpt-4o", "OpenAI: GPT-4o", "0.0000025", "0.00001",
           128000, "GPT", "Fake stand-in for OpenAI's GPT-4o model.",
           moderated=True, max_completion=16384),
    _model("anthropic/claude-3-opus", "Anthropic: Claude 3 Opus", "0.000015",
           "0.000075", 200000, "Claude", "Fake stand-in for Claude 3 Opus.",
           moderated=True, max_completion=4096),
    _model("meta-llama/llama-3.1-8b-instruct:free",
           "Meta: Llama 3.1 8B Instruct (free)", "0", "0", 131072, "Llama3",
           "Fake stand-in for the free Llama 3.1 8B Instruct variant."),
    _model("mistralai/mistral-7b-instruct:free",
           "Mistral: Mistral 7B Instruct (free)", "0", "0", 32768, "Mistral",
           "Fake stand-in for the free Mistral 7B Instruct variant."),
    _model("fake/fast", "Fake: Fast", "0.0000001", "0.0000002", 8192, "Other",
           "Cheap fake model for tests and benchmarks."),
]

# Models for tests and benchmarks only: a --demo stand-in hides them.
TEST_MODEL_IDS = {"fake/fast"}
DEMO_TOKEN_DELAY_MS = 40

PROVIDER_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic",
                  "meta-llama": "Meta", "mistralai": "Mistral",
                  "google": "Google", "fake": "Fake"}

ERROR_MESSAGES = {
    400: "Bad Request",
    401: "No auth credentials found",
    402: "Insufficient credits",
    403: "Your input was flagged by moderation",
    404: "Not Found",
    408: "Request timed out",
    429: "Rate limit exceeded",
    502: "Upstream provider error",
    503: "No available provider",
}

VALID_ROLES = ("system", "developer", "user", "assistant", "tool")

# BYOK: the OpenAI-compatible providers answered under /provider/NAME, with
# the prefix of the catalog's model ids each serves (None: ids as they are).
PROVIDER_BASE = "/provider"
PROVIDER_PREFIXES = {"openai": "openai/", "anthropic": "anthropic/",
                     "google": "google/", "deepseek": "deepseek/",
                     "groq": None, "together": None, "custom": None}
OPENAI_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error",
                      402: "insufficient_quota", 404: "invalid_request_error",
                      429: "rate_limit_error"}
USER_KEY_RE = re.compile(r"sk-or-v1-[A-Za-z0-9]{32,}$")
BYOK_FEE = decimal.Decimal("0.05")      # OpenRouter's fee on a BYOK call

# Directive keys and their value types.
INT_KEYS = ("status", "retry_after", "delay_ms", "chunk_delay_ms", "drop_after",
            "error_chunk_after", "words")
FLAG_KEYS = ("finish_error", "garbage", "unknown_fields", "no_cost", "drop_rst",
             "ws_keepalive")
STR_KEYS = ("message", "framing", "reply")
DIRECTIVE_RE = re.compile(r"\[\[fake:([^\]]*)\]\]")


class DirectiveError(ValueError):
    pass


class ClientGone(Exception):
    """The client closed the connection while we were answering."""


# ---------------------------------------------------------------- helpers


def parse_directive_options(text, where):
    """'a=1, b' -> {'a': 1, 'b': 1}; raises DirectiveError on bad input."""
    out = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            value = "1"
        if key in INT_KEYS or key in FLAG_KEYS:
            try:
                n = int(value)
            except ValueError:
                raise DirectiveError("fake directive %s: %s needs an integer, got %r"
                                     % (where, key, value))
            if n < 0:
                raise DirectiveError("fake directive %s: %s must be >= 0" % (where, key))
            out[key] = n
        elif key in STR_KEYS:
            out[key] = value
        else:
            raise DirectiveError("fake directive %s: unknown key %r" % (where, key))
    if "framing" in out and out["framing"] not in ("chunked", "close"):
        raise DirectiveError("fake directive %s: framing must be chunked or close" % where)
    if "status" in out and not 100 <= out["status"] <= 599:
        raise DirectiveError("fake directive %s: status out of range" % where)
    return out


def directives_from(header_value, message_text):
    d = {}
    if header_value:
        d.update(parse_directive_options(header_value, "in X-Fake header"))
    for m in DIRECTIVE_RE.finditer(message_text or ""):
        d.update(parse_directive_options(m.group(1), "in message"))
    return d


def js_number(x):
    """A float formatted like JavaScript's Number#toString / JSON.stringify."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return "null"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    t = decimal.Decimal(repr(abs(x))).as_tuple()  # repr: shortest round-trip
    digits = "".join(map(str, t.digits)).lstrip("0")
    exp = t.exponent
    while len(digits) > 1 and digits.endswith("0"):
        digits = digits[:-1]
        exp += 1
    k = len(digits)
    n = exp + k  # value = 0.DIGITS * 10**n
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + \
            "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + s


_FLOAT_TAG = "\x00fnum" + uuid.uuid4().hex + ":"
_FLOAT_TAG_RE = re.compile(re.escape(json.dumps(_FLOAT_TAG)[1:-1]) + r"(\d+)\\u0000")


def dumps(obj):
    """Compact UTF-8 JSON with JavaScript-style floats."""
    floats = []

    def conv(o):
        if isinstance(o, float):
            floats.append(js_number(o))
            return "%s%d\x00" % (_FLOAT_TAG, len(floats) - 1)
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [conv(v) for v in o]
        return o

    s = json.dumps(conv(obj), ensure_ascii=False, separators=(",", ":"))
    if floats:
        s = re.sub('"' + _FLOAT_TAG_RE.pattern + '"',
                   lambda m: floats[int(m.group(1))], s)
    return s.encode("utf-8")


def content_text(content):
    """Text of a message's content: a string, an array of parts, or null."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
    return " ".join(texts)


def split_words(text):
    """Word pieces that concatenate back to text: each word keeps the
    whitespace after it; leading whitespace sticks to the first word."""
    pieces = re.findall(r"\S+\s*", text)
    lead = text[:len(text) - len(text.lstrip())]
    if pieces and lead:
        pieces[0] = lead + pieces[0]
    return pieces


def tool_call(req, msgs, last_user):
    """The tool call the reply makes (see the module's doc), or None.
    Raises ValueError with the message of a 400."""
    tools = req.get("tools")
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise ValueError("tools: expected an array")
    names = []
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(t, dict) or t.get("type") != "function" \
                or not isinstance(fn, dict) or not isinstance(fn.get("name"), str) \
                or not fn["name"]:
            raise ValueError("tools[%d]: expected {\"type\": \"function\", "
                             "\"function\": {\"name\": ...}}" % i)
        names.append(fn["name"])
    choice = req.get("tool_choice", "auto")
    name = names[0] if names else None
    if isinstance(choice, dict):
        fn = choice.get("function")
        name = fn.get("name") if isinstance(fn, dict) else None
        if name not in names:
            raise ValueError("tool_choice: no tool is named %s" % name)
    elif choice not in ("auto", "none", "required"):
        raise ValueError("tool_choice: expected none, auto, required or a named function")
    if not names or choice == "none" or msgs[-1].get("role") != "user":
        return None
    return {"id": "call_" + uuid.uuid4().hex[:24], "type": "function",
            "function": {"name": name,
                         "arguments": json.dumps({"input": last_user})}}


def key_label(key):
    return "sk-or-v1-..." + key[-4:] if key else None


def gen_id():
    alphabet = string.ascii_letters + string.digits
    return "gen-%d-%s" % (int(time.time()),
                          "".join(random.choice(alphabet) for _ in range(20)))


def price(model, field):
    try:
        return decimal.Decimal(str((model.get("pricing") or {}).get(field) or "0"))
    except decimal.InvalidOperation:
        return decimal.Decimal(0)


# ---------------------------------------------------------------- server


class Config:
    def __init__(self, keys=(), models=None, quiet=False, fast=False, demo=False,
                 token_delay_ms=None):
        self.keys = set(keys)
        if models is None:
            models = [m for m in DEFAULT_MODELS
                      if not (demo and m["id"] in TEST_MODEL_IDS)]
        self.models = models
        self.models_by_id = {m.get("id"): m for m in self.models}
        self.quiet = quiet or fast
        self.fast = fast
        self.demo = demo
        if token_delay_ms is None:
            token_delay_ms = DEMO_TOKEN_DELAY_MS if demo else 0
        self.token_delay_ms = token_delay_ms


class FakeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, cfg):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.cfg = cfg
        self.lock = threading.Lock()
        self.log = []
        self.seq = itertools.count(1)
        self.usage = {}          # key -> Decimal spent
        self.user_keys = {}      # key -> {"provider", "status", ...} (BYOK)
        self.rst_requests = set()  # id() of sockets to close with RST
        super().__init__(addr, Handler)

    def shutdown_request(self, request):
        if id(request) in self.rst_requests:
            self.rst_requests.discard(id(request))
            try:  # SO_LINGER 0 + close (no shutdown/FIN first) sends RST
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_request(request)
            return
        super().shutdown_request(request)

    def charge(self, key, cost):
        with self.lock:
            self.usage[key] = self.usage.get(key, decimal.Decimal(0)) + cost


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenRouter/1.0"
    disable_nagle_algorithm = True  # small writes (SSE events) go out at once

    def version_string(self):
        return self.server_version

    # ------------------------------------------------------------ plumbing

    def log_message(self, fmt, *args):
        if not self.server.cfg.quiet:
            super().log_message(fmt, *args)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_OPTIONS(self):
        self._dispatch()

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            data = b""
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ClientGone()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n > 0 else b""
        if len(data) < n:
            raise ClientGone()
        return data

    def _dispatch(self):
        self.entry = None
        self.sent_status = 0
        try:
            body = self._read_body()
        except (ClientGone, ValueError, OSError):
            self.close_connection = True
            return
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path.startswith("/__fake/"):
                return self._control(path, body)
            self._log_start(body)
            self.provider = None
            if path.startswith(PROVIDER_BASE + "/"):
                self._provider_route(path, body)
            elif path == BASE + "/chat/completions":
                if self.command != "POST":
                    return self._method_not_allowed()
                self._chat(body)
            elif path == BASE + "/models":
                if self.command != "GET":
                    return self._method_not_allowed()
                self._models()
            elif path in (BASE + "/key", BASE + "/auth/key"):
                if self.command != "GET":
                    return self._method_not_allowed()
                self._key()
            else:
                self._error(404, "Not Found")
        except ClientGone:
            self.close_connection = True
            self._finish("disconnected")
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
            self._finish("disconnected")
        finally:
            if self.entry is not None and self.entry["outcome"] == "in_progress":
                self._finish("completed" if 200 <= self.sent_status < 400 else "error")

    def _method_not_allowed(self):
        self._error(405, "Method Not Allowed")

    # ------------------------------------------------------------ request log

    def _log_start(self, body):
        if self.server.cfg.fast:
            return
        headers = {}
        for k, v in self.headers.items():
            if k.lower() == "authorization":
                v = "Bearer ***" if v.lower().startswith("bearer") else "***"
            headers[k] = v
        entry = {
            "seq": next(self.server.seq),
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": headers,
            "key_label": key_label(self._bearer()),
            "body": None,
            "stream": False,
            "model": None,
            "directives": {},
            "status": 0,
            "chunks_sent": 0,
            "outcome": "in_progress",
        }
        if body:
            try:
                entry["body"] = json.loads(body)
            except ValueError:
                entry["raw_body"] = body.decode("utf-8", "replace")
        with self.server.lock:
            self.server.log.append(entry)
        self.entry = entry

    def _note(self, **kw):
        if self.entry is not None:
            with self.server.lock:
                self.entry.update(kw)

    def _finish(self, outcome):
        if self.entry is not None:
            with self.server.lock:
                if self.entry["outcome"] == "in_progress":
                    self.entry["outcome"] = outcome
                self.entry["status"] = self.sent_status

    # ------------------------------------------------------------ output

    def _start(self, status, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.sent_status = status

    def _write(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
                socket.timeout):
            raise ClientGone()

    def _send(self, status, body, ctype="application/json", headers=()):
        self._start(status, [("Content-Type", ctype),
                             ("Content-Length", str(len(body)))] + list(headers))
        self._write(body)

    def _error(self, status, message=None, metadata=None, headers=(), outcome="error"):
        err = {"code": status,
               "message": message or ERROR_MESSAGES.get(status)
               or http.HTTPStatus(status).phrase}
        if metadata:
            err["metadata"] = metadata
        if getattr(self, "provider", None):      # OpenAI's shape
            err = {"message": err["message"], "type": OPENAI_ERROR_TYPES.get(
                status, "api_error"), "param": None, "code": None}
        self._send(status, dumps({"error": err}), headers=headers)
        self._finish(outcome)

    def _drop(self, rst=False):
        """Close the connection abruptly, whatever was sent so far."""
        self.close_connection = True
        if rst:
            self.server.rst_requests.add(id(self.request))
        else:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._finish("dropped")

    def _peer_gone(self, timeout=0.0):
        """True when the client has closed (or reset) its side."""
        if self.server.cfg.fast:
            return False
        try:
            r, _, _ = select.select([self.connection], [], [], timeout)
            if not r:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return True
        except (OSError, ValueError):
            return False

    def _wait(self, seconds):
        """Sleep; raise ClientGone as soon as the client closes."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if self.server.cfg.fast:
                time.sleep(left)
                return
            try:
                r, _, _ = select.select([self.connection], [], [], left)
            except (OSError, ValueError):
                raise ClientGone()
            if not r:
                return
            try:
                peek = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                raise ClientGone()
            if peek == b"":
                raise ClientGone()
            # The client sent more bytes (pipelining): just sleep.
            time.sleep(max(0.0, end - time.monotonic()))
            return

    # ------------------------------------------------------------ auth

    def _bearer(self):
        auth = self.headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer ":
            return ""
        return auth[7:].strip()

    def _authorized(self):
        key = self._bearer()
        if not key:
            return None
        if self._user_key(key, "openrouter") is not None:
            return key
        keys = self.server.cfg.keys
        if keys and key not in keys:
            return None
        return key

    def _unauthorized(self):
        if self.provider:
            key = self._bearer()
            return self._error(401, "Incorrect API key provided: %s. You can find your"
                               " API key in your account." % (
                                   key[:8] + "*" * 8 + key[-4:] if len(key) > 12
                                   else "(none)"))
        self._error(401, "No auth credentials found")

    # ------------------------------------------------------------ control

    def _control(self, path, body=b""):
        if path == "/__fake/keys":
            return self._control_keys(body)
        if path == "/__fake/health":
            return self._send(200, dumps({"ok": True}))
        if path == "/__fake/requests":
            if self.command == "GET":
                with self.server.lock:
                    data = dumps(self.server.log)
                return self._send(200, data)
            if self.command == "DELETE":
                with self.server.lock:
                    self.server.log.clear()
                return self._send(200, dumps({"ok": True}))
            return self._send(405, dumps({"error": {"code": 405,
                                                    "message": "Method Not Allowed"}}))
        return self._send(404, dumps({"error": {"code": 404, "message": "Not Found"}}))

    # ------------------------------------------------------------ simple GETs

    def _get_faults(self):
        """X-Fake directives for GET endpoints; True when fully handled."""
        try:
            d = directives_from(self.headers.get("X-Fake"), "")
        except DirectiveError as e:
            self._error(400, str(e))
            return True
        self._note(directives=d)
        if d.get("delay_ms"):
            self._wait(d["delay_ms"] / 1000.0)
        if d.get("drop_after") is not None:
            self._drop(rst=bool(d.get("drop_rst")))
            return True
        if d.get("status") and d["status"] != 200:
            self._status_error(d)
            return True
        if d.get("garbage"):
            self._send(200, b"<html><body>Bad gateway</body></html>\n")
            return True
        return False

    def _models(self):
        if self._get_faults():
            return
        self._send(200, dumps({"data": self.server.cfg.models}))

    def _key(self):
        key = self._authorized()
        if key is None:
            return self._unauthorized()
        if self._get_faults():
            return
        if self._user_key_fault(key):
            return
        with self.server.lock:
            used = float(self.server.usage.get(key, decimal.Decimal(0)))
        data = {
            "label": key_label(key),
            "limit": None,
            "limit_reset": None,
            "limit_remaining": None,
            "include_byok_in_limit": False,
            "usage": used,
            "usage_daily": used,
            "usage_weekly": used,
            "usage_monthly": used,
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "is_free_tier": False,
            "is_provisioning_key": False,
            "rate_limit": {"requests": 200, "interval": "10s"},
        }
        info = self._user_key(key, "openrouter")
        if info is not None:
            for k in ("label", "limit", "limit_remaining", "usage_daily",
                      "usage_monthly", "is_free_tier"):
                if k in info:
                    data[k] = info[k]
        self._send(200, dumps({"data": data}))

    def _status_error(self, d):
        status = d["status"]
        headers = []
        metadata = None
        if status == 429 or "retry_after" in d:
            headers.append(("Retry-After", str(d.get("retry_after", 7))))
        if status == 429:
            reset_ms = int((time.time() + d.get("retry_after", 7)) * 1000)
            headers += [("X-RateLimit-Limit", "200"), ("X-RateLimit-Remaining", "0"),
                        ("X-RateLimit-Reset", str(reset_ms))]
        if status == 502:
            metadata = {"provider_name": "Fake", "raw": "upstream connection reset"}
        elif status == 403:
            metadata = {"reasons": ["fake"], "flagged_input": "...",
                        "provider_name": "Fake", "model_slug": "fake"}
        self._error(status, d.get("message"), metadata, headers)

    # ------------------------------------------------------------ BYOK

    def _control_keys(self, body):
        """POST/GET/DELETE /__fake/keys: the keys users bring."""
        if self.command == "DELETE":
            with self.server.lock:
                self.server.user_keys.clear()
            return self._send(200, dumps({"ok": True}))
        if self.command == "GET":
            with self.server.lock:
                out = [dict(info, key_label=key_label(key))
                       for key, info in self.server.user_keys.items()]
            return self._send(200, dumps(out))
        if self.command != "POST":
            return self._send(405, dumps({"error": {"code": 405,
                                                    "message": "Method Not Allowed"}}))
        try:
            req = json.loads(body or b"{}")
            key = req["key"]
            provider = req.get("provider", "openrouter")
            if not isinstance(key, str) or not key or (
                    provider != "openrouter" and provider not in PROVIDER_PREFIXES):
                raise ValueError(provider)
        except (ValueError, KeyError, TypeError) as e:
            return self._send(400, dumps({"error": {"code": 400,
                                                    "message": "bad key: %s" % e}}))
        with self.server.lock:
            info = self.server.user_keys.setdefault(key, {"provider": provider,
                                                          "status": None})
            info.update({k: v for k, v in req.items() if k != "key"})
        return self._send(200, dumps({"ok": True}))

    def _user_key(self, key, provider):
        """The registration of a user key of provider, or None; with --demo
        a key of the provider's shape counts as registered."""
        with self.server.lock:
            info = self.server.user_keys.get(key)
        if info is not None:
            return info if info.get("provider", "openrouter") == provider else None
        if self.server.cfg.demo and key and (
                provider != "openrouter" or USER_KEY_RE.match(key)):
            return {"provider": provider, "status": None}
        return None

    def _user_key_fault(self, key):
        """Answer the error a registered user key is set to give; True when
        answered."""
        with self.server.lock:
            info = self.server.user_keys.get(key)
        status = info.get("status") if info else None
        if not status:
            return False
        self._status_error({"status": int(status),
                            "retry_after": int(info.get("retry_after", 7))})
        return True

    def _byok_usage(self, key, usage, cost, d):
        """Usage of a call on a user's key: OpenRouter reports is_byok and
        the provider's charge apart from its fee; the other providers
        report no cost at all."""
        if self.provider:
            for k in ("cost", "is_byok", "cost_details"):
                usage.pop(k, None)
        elif "cost" in usage and self._user_key(key, "openrouter") is not None:
            usage["is_byok"] = True
            usage["cost"] = float(cost * BYOK_FEE)
            usage["cost_details"] = {"upstream_inference_cost": float(cost)}

    def _provider_key(self):
        key = self._bearer()
        if not key or self._user_key(key, self.provider) is None:
            return None
        return key

    def _provider_route(self, path, body):
        rest = path[len(PROVIDER_BASE) + 1:]
        name, _, sub = rest.partition("/")
        if name not in PROVIDER_PREFIXES:
            return self._error(404, "Not Found")
        self.provider = name
        if sub == "chat/completions":
            if self.command != "POST":
                return self._method_not_allowed()
            return self._chat(body)
        if sub == "models":
            if self.command != "GET":
                return self._method_not_allowed()
            key = self._provider_key()
            if key is None:
                return self._unauthorized()
            if self._user_key_fault(key) or self._get_faults():
                return
            prefix = PROVIDER_PREFIXES[name]
            data = [{"id": m["id"][len(prefix):] if prefix else m["id"],
                     "object": "model", "created": _CREATED, "owned_by": name}
                    for m in self.server.cfg.models
                    if not prefix or m["id"].startswith(prefix)]
            return self._send(200, dumps({"object": "list", "data": data}))
        return self._error(404, "Not Found")

    def _provider_chat(self, req, key, msgs, stream, max_tokens):
        """A chat completion of an OpenAI-compatible provider."""
        if "usage" in req:
            return self._bad("Unrecognized request argument supplied: usage")
        model_id = req["model"]
        prefix = PROVIDER_PREFIXES[self.provider]
        model = self.server.cfg.models_by_id.get((prefix or "") + model_id)
        if model is None:
            return self._error(404, "The model `%s` does not exist or you do not"
                               " have access to it." % model_id)
        return self._chat_model(req, key, model, model_id, msgs, stream, max_tokens)

    # ------------------------------------------------------------ chat

    def _bad(self, message):
        self._error(400, message)

    def _chat(self, raw):
        key = self._provider_key() if self.provider else self._authorized()
        if key is None:
            return self._unauthorized()
        if self._user_key_fault(key):
            return
        try:
            req = json.loads(raw)
        except ValueError:
            return self._bad("Invalid JSON in request body")
        if not isinstance(req, dict):
            return self._bad("Request body must be a JSON object")
        stream = req.get("stream")
        if stream is not None and not isinstance(stream, bool):
            return self._bad("stream: expected a boolean")
        stream = bool(stream)
        model_id = req.get("model")
        self._note(stream=stream, model=model_id if isinstance(model_id, str) else None)
        if not isinstance(model_id, str) or not model_id:
            return self._bad("model: expected a non-empty string")
        msgs = req.get("messages")
        if not isinstance(msgs, list) or not msgs:
            return self._bad("messages: expected a non-empty array")
        for i, m in enumerate(msgs):
            if not isinstance(m, dict):
                return self._bad("messages[%d]: expected an object" % i)
            if m.get("role") not in VALID_ROLES:
                return self._bad("messages[%d].role: expected one of %s"
                                 % (i, ", ".join(VALID_ROLES)))
            c = m.get("content")
            if "content" not in m or not (c is None or isinstance(c, (str, list))):
                return self._bad("messages[%d].content: expected a string or an array" % i)
        max_tokens = req.get("max_tokens", req.get("max_completion_tokens"))
        if max_tokens is not None and (isinstance(max_tokens, bool)
                                       or not isinstance(max_tokens, int)
                                       or max_tokens < 1):
            return self._bad("max_tokens: expected a positive integer")
        if self.provider:
            return self._provider_chat(req, key, msgs, stream, max_tokens)
        model = self.server.cfg.models_by_id.get(model_id)
        if model is None:
            return self._bad("%s is not a valid model ID" % model_id)
        return self._chat_model(req, key, model, model_id, msgs, stream, max_tokens)

    def _chat_model(self, req, key, model, model_id, msgs, stream, max_tokens):
        last_user = ""
        for m in msgs:
            if m.get("role") == "user":
                last_user = content_text(m.get("content"))
        try:
            d = directives_from(self.headers.get("X-Fake"), last_user)
        except DirectiveError as e:
            return self._bad(str(e))
        self._note(directives=d)

        try:
            call = tool_call(req, msgs, last_user)
        except ValueError as e:
            return self._bad(str(e))
        if "words" in d:
            text = " ".join("w%d" % (i + 1) for i in range(d["words"]))
        elif "reply" in d:
            text = d["reply"]
        else:
            text = "echo: " + last_user if last_user else "echo:"
        pieces = split_words(text)
        if call is not None:
            args = call["function"]["arguments"]
            pieces = [args[i:i + 8] for i in range(0, len(args), 8)] or [""]
        finish = "stop" if call is None else "tool_calls"
        if max_tokens is not None and len(pieces) > max_tokens:
            pieces = pieces[:max_tokens]
            pieces[-1] = pieces[-1].rstrip()
            finish = "length"
        if d.get("finish_error"):
            finish = "error"
        prompt_tokens = sum(len(content_text(m.get("content")).split()) for m in msgs) \
            + 4 * len(msgs)
        completion_tokens = max(1, len(pieces) if call is None
                                else len("".join(pieces).split()))
        cost = (prompt_tokens * price(model, "prompt")
                + completion_tokens * price(model, "completion")
                + price(model, "request"))
        usage = {"prompt_tokens": prompt_tokens,
                 "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        if not d.get("no_cost"):
            usage["cost"] = float(cost)
            usage["is_byok"] = False
        usage["prompt_tokens_details"] = {"cached_tokens": 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": 0}
        if not d.get("no_cost"):
            usage["cost_details"] = {"upstream_inference_cost": None}
        if d.get("unknown_fields"):
            usage["x_fake_usage_field"] = {"ignore": True}
        self._byok_usage(key, usage, cost, d)

        ctx = {
            "id": gen_id(),
            "model": model_id,
            "provider": PROVIDER_NAMES.get(model_id.split("/")[0],
                                           model_id.split("/")[0].title()),
            "created": int(time.time()),
            "pieces": pieces or [""],
            "finish": finish,
            "call": call,
            "usage": usage,
            "cost": cost,
            "key": key,
            "d": d,
            "include_usage": not self.provider or bool(
                (req.get("stream_options") or {}).get("include_usage")),
        }
        if stream and d.get("status", 200) == 200:
            self._stream(ctx)
        else:
            self._complete(ctx)

    def _complete(self, ctx):
        d = ctx["d"]
        delay = d.get("delay_ms", 0) / 1000.0
        ws = bool(d.get("ws_keepalive")) and delay > 0 and not d.get("status") \
            and d.get("drop_after") is None
        if not ws and delay:
            self._wait(delay)
        if d.get("status") and d["status"] != 200:
            return self._status_error(d)
        if d.get("drop_after") is not None:
            return self._drop(rst=bool(d.get("drop_rst")))
        if d.get("garbage"):
            return self._send(200, b"<html><body>502 Bad Gateway: this is not JSON"
                                   b"</body></html>\n")

        pieces = ctx["pieces"]
        outcome = "completed"
        obj = {"id": ctx["id"], "provider": ctx["provider"], "model": ctx["model"],
               "object": "chat.completion", "created": ctx["created"]}
        if d.get("error_chunk_after") is not None:
            n = d["error_chunk_after"]
            content = "".join(pieces[:n])
            obj["error"] = {"code": 502,
                            "message": d.get("message") or "Provider disconnected"}
            choice = {"logprobs": None, "finish_reason": "error",
                      "native_finish_reason": "error", "index": 0,
                      "message": {"role": "assistant", "content": content,
                                  "refusal": None, "reasoning": None}}
            obj["choices"] = [choice]
            outcome = "error"
        else:
            choice = {"logprobs": None, "finish_reason": ctx["finish"],
                      "native_finish_reason": ctx["finish"], "index": 0,
                      "message": {"role": "assistant", "content": "".join(pieces),
                                  "refusal": None, "reasoning": None}}
            if ctx["call"] is not None:
                choice["message"]["content"] = None
                choice["message"]["tool_calls"] = [ctx["call"]]
            obj["choices"] = [choice]
            obj["usage"] = ctx["usage"]
        if d.get("unknown_fields"):
            obj["x_fake_unknown"] = {"nested": [1, 2, {"a": None}]}
            choice["x_fake_choice_field"] = "ignore me"
            choice["message"]["x_fake_message_field"] = True
        body = dumps(obj)
        if ws:
            ticks = max(1, int(round(delay / KEEPALIVE_INTERVAL)))
            self._start(200, [("Content-Type", "application/json"),
                              ("Content-Length", str(ticks + len(body)))])
            for _ in range(ticks):
                self._write(b"\n")
                self._wait(KEEPALIVE_INTERVAL)
            self._write(body)
        else:
            self._send(200, body, headers=[("X-Generation-Id", ctx["id"])])
        self._note(chunks_sent=len(pieces))
        if outcome == "completed":
            self.server.charge(ctx["key"], ctx["cost"])
        self._finish(outcome)

    def _stream(self, ctx):
        d = ctx["d"]
        chunked = d.get("framing", "chunked") == "chunked"
        unknown = bool(d.get("unknown_fields"))
        headers = [("Content-Type", "text/event-stream"),
                   ("Cache-Control", "no-cache"),
                   ("X-Generation-Id", ctx["id"])]
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            headers.append(("Connection", "close"))
            self.close_connection = True
        self._start(200, headers)
        nev = itertools.count(1)

        def out(data):
            if not self.server.cfg.fast and self._peer_gone():
                raise ClientGone()
            if chunked:
                data = b"%x\r\n%s\r\n" % (len(data), data)
            self._write(data)

        def event(payload):
            if not isinstance(payload, bytes):
                payload = dumps(payload)
            pre = b""
            if unknown:
                n = next(nev)
                pre = b"id: %d\nevent: message\n" % n
                if n == 1:
                    pre = b"retry: 3000\n" + pre
                pre += b"x-fake-field: ignore\n"
            out(pre + b"data: " + payload + b"\n\n")

        def chunk(delta, finish=None):
            c = {"index": 0, "delta": delta, "finish_reason": finish,
                 "native_finish_reason": finish, "logprobs": None}
            obj = {"id": ctx["id"], "provider": ctx["provider"], "model": ctx["model"],
                   "object": "chat.completion.chunk", "created": ctx["created"],
                   "choices": [c]}
            if unknown:
                obj["x_fake_unknown"] = {"nested": [1, {"b": None}]}
                c["x_fake_choice_field"] = "ignore me"
            return obj

        out(KEEPALIVE_COMMENT)
        delay = d.get("delay_ms", 0) / 1000.0
        while delay > 0:
            step = min(KEEPALIVE_INTERVAL, delay)
            self._wait(step)
            delay -= step
            out(KEEPALIVE_COMMENT)
        if d.get("garbage"):
            event(b"this is not JSON {\"id\": ")
        pieces = ctx["pieces"]
        drop_at = d.get("drop_after")
        err_at = d.get("error_chunk_after")
        chunk_delay = d.get("chunk_delay_ms", self.server.cfg.token_delay_ms) / 1000.0
        for i in range(len(pieces) + 1):
            if drop_at is not None and i >= min(drop_at, len(pieces)):
                return self._drop(rst=bool(d.get("drop_rst")))
            if err_at is not None and i >= min(err_at, len(pieces)):
                obj = {"id": ctx["id"], "provider": ctx["provider"],
                       "model": ctx["model"], "object": "chat.completion.chunk",
                       "created": ctx["created"],
                       "error": {"code": 502,
                                 "message": d.get("message") or "Provider disconnected"},
                       "choices": [{"index": 0, "delta": {"content": ""},
                                    "finish_reason": "error",
                                    "native_finish_reason": "error"}]}
                event(obj)
                event(b"[DONE]")
                if chunked:
                    self._write(b"0\r\n\r\n")
                return self._finish("error")
            if i == len(pieces):
                break
            if i > 0 and chunk_delay:
                self._wait(chunk_delay)
            delta = {"content": pieces[i]}
            if i == 0:
                delta = {"role": "assistant", "content": pieces[i]}
            call = ctx["call"]
            if call is not None:
                part = {"index": 0, "function": {"arguments": pieces[i]}}
                delta = {"tool_calls": [part]}
                if i == 0:
                    part.update(id=call["id"], type="function")
                    part["function"]["name"] = call["function"]["name"]
                    delta = {"role": "assistant", "content": None,
                             "tool_calls": [part]}
            event(chunk(delta))
            self._note(chunks_sent=i + 1)
        if chunk_delay:
            self._wait(chunk_delay)
        event(chunk({}, ctx["finish"]))
        final = {"id": ctx["id"], "provider": ctx["provider"], "model": ctx["model"],
                 "object": "chat.completion.chunk", "created": ctx["created"],
                 "choices": [], "usage": ctx["usage"]}
        if unknown:
            final["x_fake_unknown"] = True
        if ctx["include_usage"]:
            event(final)
        event(b"[DONE]")
        if chunked:
            self._write(b"0\r\n\r\n")
        self.server.charge(ctx["key"], ctx["cost"])
        self._finish("completed")


# ---------------------------------------------------------------- CLI


def load_models(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    data = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(data, list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), str) for m in data):
        raise ValueError("%s: expected {\"data\": [{\"id\": ...}, ...]}" % path)
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake OpenRouter API for tests.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--key", action="append", default=[],
                    help="accepted API key (repeatable; default: any non-empty key)")
    ap.add_argument("--key-file", action="append", default=[],
                    help="file holding an accepted API key (keeps it out of ps)")
    ap.add_argument("--models", help="JSON file {\"data\": [...]} with the model list")
    ap.add_argument("--quiet", action="store_true", help="no access log")
    ap.add_argument("--fast", action="store_true",
                    help="benchmark mode: no logging, no request log")
    ap.add_argument("--demo", action="store_true",
                    help="the demo stand-in: human-paced streams, no test models")
    ap.add_argument("--token-delay-ms", type=int, default=None,
                    help="ms between streamed tokens (default 0; %d with --demo)"
                    % DEMO_TOKEN_DELAY_MS)
    args = ap.parse_args(argv)
    if args.token_delay_ms is not None and args.token_delay_ms < 0:
        ap.error("--token-delay-ms must be >= 0")
    try:
        models = load_models(args.models) if args.models else None
    except (OSError, ValueError) as e:
        ap.error(str(e))
    keys = list(args.key)
    for path in args.key_file:
        with open(path) as f:
            keys.append(f.read().strip())
    cfg = Config(keys=keys, models=models, quiet=args.quiet, fast=args.fast,
                 demo=args.demo, token_delay_ms=args.token_delay_ms)
    server = FakeServer((args.host, args.port), cfg)
    port = server.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    if not cfg.quiet:
        sys.stderr.write("fake openrouter listening on http://%s:%d%s\n"
                         % (args.host, port, BASE))
        sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


# ---------------------------------------------------------------- test helper


class FakeOpenRouter:
    """Run the fake as a subprocess (for other test modules).

        fake = FakeOpenRouter(keys=["sk-or-v1-test"]).start()
        fake.base_url            # http://127.0.0.1:PORT/api/v1
        fake.requests()          # request log
        fake.stop()
    """

    def __init__(self, keys=(), models_file=None, fast=False, quiet=True,
                 host="127.0.0.1", demo=False, token_delay_ms=None):
        self.keys, self.models_file, self.fast, self.quiet = list(keys), models_file, fast, quiet
        self.host = host
        self.demo, self.token_delay_ms = demo, token_delay_ms
        self.proc = None
        self.port = None
        self.tmpdir = None

    def start(self, timeout=10.0):
        self.tmpdir = tempfile.mkdtemp(prefix="fake-openrouter-")
        port_file = os.path.join(self.tmpdir, "port")
        cmd = [sys.executable, os.path.abspath(__file__), "--host", self.host,
               "--port", "0", "--port-file", port_file]
        for k in self.keys:
            cmd += ["--key", k]
        if self.models_file:
            cmd += ["--models", self.models_file]
        if self.quiet:
            cmd.append("--quiet")
        if self.fast:
            cmd.append("--fast")
        if self.demo:
            cmd.append("--demo")
        if self.token_delay_ms is not None:
            cmd += ["--token-delay-ms", str(self.token_delay_ms)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("fake openrouter exited with %s" % self.proc.returncode)
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("fake openrouter did not start")

    @property
    def base_url(self):
        return "http://%s:%d%s" % (self.host, self.port, BASE)

    def _control(self, method):
        import http.client
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            c.request(method, "/__fake/requests")
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def requests(self):
        return self._control("GET")

    def clear(self):
        self._control("DELETE")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmpdir:
            import shutil
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
