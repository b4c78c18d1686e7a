"""The OpenAI-compatible API driven with the official openai npm client
(tests/clients, pinned; scripts/clients.sh installs it): a program that
uses the SDK works by changing only its base URL and key. Non-streaming,
streaming with and without usage, models.list, a managed prompt through an
extra body field, and the SDK's typed errors (401, 403, 429). The same
endpoint through raw HTTP for what the SDK hides: unknown parameters,
pass-through, the error shape."""
import json
import os
import subprocess
import unittest

from tests.integration.stack import ROOT, Client, Stack, api, new_user

SCRIPT = os.path.join(ROOT, "tests", "clients", "openai_sdk.mjs")
FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"


def sdk(stack, key, scenario, server="lighttpd", **env):
    """Run a scenario of tests/clients/openai_sdk.mjs; what the SDK saw."""
    e = dict(os.environ, PM_BASE_URL=stack.url("/api/v1", server=server), PM_API_KEY=key)
    e.update({k: v for k, v in env.items()})
    r = subprocess.run(["node", SCRIPT, scenario], capture_output=True, text=True,
                       env=e, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def chat(stack, key, body, server="lighttpd"):
    return Client(stack, server=server).request(
        "POST", "/api/v1/chat/completions",
        headers={"Authorization": "Bearer " + key}, json=body)


class OpenAiSdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([os.path.join(ROOT, "scripts", "clients.sh")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        cls.stack = Stack(server="both", workers=2).start()
        cls.user = new_user(cls.stack, plan="PRO")
        cls.key = api(cls.user, "POST", "/api/v1/keys",
                      {"name": "sdk", "scope": "execute"}).json()["key"]
        r = api(cls.user, "POST", "/api/v1/prompts", {
            "name": "Greeter", "slug": "greeter", "model": "openai/gpt-4o",
            "system": "You greet people.", "user_template": "Greet {{who}} in {{lang}}",
            "variables": [{"name": "who", "type": "string", "required": True},
                          {"name": "lang", "type": "enum", "choices": ["French", "English"],
                           "required": True}]})
        assert r.status == 201, r.text
        r = api(cls.user, "POST", "/api/v1/prompts/greeter/versions/1/promote", {})
        assert r.status == 200, r.text

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def executions(self, where="1"):
        return self.stack.sql(
            "SELECT e.channel, e.model, e.status, e.prompt_id IS NULL, e.api_key_id IS NOT NULL"
            " FROM executions e JOIN users u ON u.id = e.user_id WHERE u.email = '%s'"
            " AND %s ORDER BY e.id" % (self.user.email, where))

    def test_complete_through_both_servers(self):
        for server in ("lighttpd", "apache"):
            out = sdk(self.stack, self.key, "complete", server=server)
            self.assertNotIn("error", out, out)
            self.assertEqual((out["object"], out["model"], out["content"], out["finish_reason"]),
                             ("chat.completion", "openai/gpt-4o-mini",
                              "echo: hello from the sdk", "stop"))
            self.assertGreater(out["usage"]["prompt_tokens"], 0)
            self.assertEqual(out["usage"]["total_tokens"],
                             out["usage"]["prompt_tokens"] + out["usage"]["completion_tokens"])
            self.assertIn("cached_tokens", out["usage"]["prompt_tokens_details"])
        rows = self.executions("e.prompt_id IS NULL")
        self.assertEqual(rows[-2:], [("API", "openai/gpt-4o-mini", "SUCCEEDED", "1", "1")] * 2)

    def test_stream(self):
        out = sdk(self.stack, self.key, "stream")
        self.assertNotIn("error", out, out)
        self.assertEqual(out["text"], "echo: one two three four")
        self.assertGreater(len(out["deltas"]), 2)
        self.assertEqual(out["models"], ["openai/gpt-4o-mini"])
        self.assertEqual(out["finish_reason"], "stop")
        self.assertGreater(out["usage"]["completion_tokens"], 0)
        # without stream_options.include_usage no chunk carries usage
        out = sdk(self.stack, self.key, "stream_no_usage")
        self.assertEqual(out["usage_chunks"], 0, out)
        self.assertGreater(out["chunks"], 1)

    def test_models_list(self):
        out = sdk(self.stack, self.key, "models")
        ids = [m["id"] for m in out["models"]]
        self.assertIn("openai/gpt-4o", ids)
        self.assertIn(FREE_MODEL, ids)
        self.assertTrue(all(m["object"] == "model" for m in out["models"]))

    def test_managed_prompt(self):
        out = sdk(self.stack, self.key, "prompt", PM_PROMPT="greeter",
                  PM_VARIABLES=json.dumps({"who": "Ada", "lang": "French"}))
        self.assertNotIn("error", out, out)
        # the model actually used is the version's
        self.assertEqual((out["model"], out["content"]),
                         ("openai/gpt-4o", "echo: Greet Ada in French"))
        out = sdk(self.stack, self.key, "prompt_stream", PM_PROMPT="greeter",
                  PM_VARIABLES=json.dumps({"who": "Bo", "lang": "English"}))
        self.assertEqual((out["text"], out["models"]), ("echo: and then?", ["openai/gpt-4o"]))
        # the caller's message followed the rendered ones
        rendered = json.loads(self.stack.sql(
            "SELECT e.input FROM executions e JOIN users u ON u.id = e.user_id"
            " WHERE u.email = '%s' ORDER BY e.id DESC LIMIT 1" % self.user.email)[0][0])
        self.assertEqual([m["role"] for m in rendered], ["system", "user", "user"])
        self.assertEqual(rendered[-1]["content"], "and then?")
        # a variable of the wrong type, an unknown prompt, another user's prompt
        r = chat(self.stack, self.key, {"model": "prompt:greeter", "messages": [],
                                        "variables": {"who": "Ada", "lang": "German"}})
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
        self.assertIn("lang", r.json()["error"]["message"])
        other = new_user(self.stack, plan="PRO")
        self.assertEqual(api(other, "POST", "/api/v1/prompts", {
            "name": "Theirs", "slug": "theirs", "model": "openai/gpt-4o",
            "user_template": "x"}).status, 201)
        for model in ("prompt:theirs", "prompt:nope"):
            r = chat(self.stack, self.key, {"model": model, "messages": []})
            self.assertEqual(r.status, 404, r.text)
            self.assertEqual(set(r.json()["error"]), {"message", "type", "param", "code"})

    def test_tool_calls_come_back_unchanged(self):
        out = sdk(self.stack, self.key, "tools")
        self.assertNotIn("error", out, out)
        self.assertEqual((out["finish_reason"], out["content"]), ("tool_calls", None))
        call = out["call"]
        self.assertRegex(call["id"], r"^call_[0-9a-f]{24}$")
        self.assertEqual((call["type"], call["function"]["name"]), ("function", "get_weather"))
        self.assertEqual(json.loads(call["function"]["arguments"]), {"input": "weather in Paris"})
        # the tool's result went back; the model answers (the last user message)
        self.assertEqual((out["final"], out["final_finish"]), ("echo: weather in Paris", "stop"))
        # what the provider got: the tools, the choice and the tool message unchanged
        sent = [e["body"] for e in self.stack.openrouter_requests()
                if e["path"].endswith("/chat/completions")][-2:]
        self.assertEqual(sent[0]["tools"][0]["function"]["name"], "get_weather")
        self.assertEqual((sent[0]["tool_choice"], sent[0]["parallel_tool_calls"]),
                         ("auto", False))
        self.assertEqual(sent[1]["messages"][-1], {"role": "tool", "tool_call_id": call["id"],
                                                   "content": "sunny"})
        self.assertEqual(sent[1]["messages"][-2]["tool_calls"][0]["id"], call["id"])
        # streamed: the named tool, its arguments in pieces the SDK puts together
        out = sdk(self.stack, self.key, "tools_stream")
        self.assertNotIn("error", out, out)
        self.assertEqual(out["finish_reason"], "tool_calls")
        self.assertEqual(len(out["calls"]), 1)
        self.assertEqual(out["calls"][0]["name"], "get_time")
        self.assertEqual(json.loads(out["calls"][0]["arguments"]), {"input": "weather in Rome"})
        self.assertGreater(out["pieces"], 2)
        self.assertGreater(out["usage"]["completion_tokens"], 0)
        # a tool_choice naming no tool: the provider's refusal, said in OpenAI's
        # shape (a provider failure, as for every upstream error), not counted
        before = self.executions("e.status = 'SUCCEEDED'")
        r = chat(self.stack, self.key, {
            "model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "a"}}],
            "tool_choice": {"type": "function", "function": {"name": "b"}}})
        self.assertEqual(r.status, 502, r.text)
        self.assertEqual(r.json()["error"]["message"],
                         "The model provider failed (HTTP 400): tool_choice: no tool is"
                         " named b. The run was not counted against your quota.")
        self.assertEqual(r.json()["error"]["type"], "upstream_error")
        self.assertEqual(self.executions("e.status = 'SUCCEEDED'"), before)

    def test_typed_errors(self):
        out = sdk(self.stack, "pm_live_" + "0" * 44, "complete")
        self.assertEqual((out["class"], out["status"], out["type"]),
                         ("AuthenticationError", 401, "authentication_error"))
        self.assertIn("API key is missing, unknown, expired or revoked", out["message"])
        read = api(self.user, "POST", "/api/v1/keys", {"name": "ro", "scope": "read"}).json()["key"]
        out = sdk(self.stack, read, "complete")
        self.assertEqual((out["class"], out["status"]), ("PermissionDeniedError", 403))
        self.assertEqual(out["message"],
                         "This API key's scope is read; this request needs the execute scope.")
        capped = api(self.user, "POST", "/api/v1/keys", {
            "name": "capped", "scope": "execute", "monthly_spend_cap_micros": 0}).json()["key"]
        out = sdk(self.stack, capped, "complete")
        self.assertEqual((out["class"], out["status"], out["type"]),
                         ("RateLimitError", 429, "quota_exceeded"))
        self.assertIsNotNone(out["retry_after"])
        self.assertIn("monthly spend cap", out["message"])

    def test_raw_http(self):
        # an unknown parameter is refused naming it; nothing runs
        before = len(self.executions())
        r = chat(self.stack, self.key, {"model": "openai/gpt-4o-mini",
                                        "messages": [{"role": "user", "content": "x"}],
                                        "temprature": 0.3})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["param"], "temprature")
        self.assertEqual(r.json()["error"]["type"], "invalid_request_error")
        for body, param in (
                ({"messages": [{"role": "user", "content": "x"}]}, "model"),
                ({"model": "openai/gpt-4o-mini"}, "messages"),
                ({"model": "openai/gpt-4o-mini", "messages": []}, "messages"),
                ({"model": "openai/gpt-4o-mini", "messages": [{"content": "x"}]}, "messages"),
                ({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
                  "temperature": "hot"}, "temperature"),
                ({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],
                  "variables": {"a": 1}}, "variables"),
                ({"model": "prompt:", "messages": []}, "model"),
                ({"model": "nope/none", "messages": [{"role": "user", "content": "x"}]},
                 "model")):
            r = chat(self.stack, self.key, body)
            self.assertEqual(r.status, 400, (body, r.text))
            self.assertEqual(r.json()["error"]["param"], param, (body, r.text))
        r = Client(self.stack).request("POST", "/api/v1/chat/completions",
                                       headers={"Authorization": "Bearer " + self.key,
                                                "Content-Type": "application/json"},
                                       body="{not json")
        self.assertEqual(r.status, 400)
        self.assertEqual(set(r.json()["error"]), {"message", "type", "param", "code"})
        self.assertEqual(len(self.executions()), before)
        # the documented parameters reach the provider as they were sent
        r = chat(self.stack, self.key, {
            "model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
            "seed": 7, "stop": ["END"], "user": "u-1", "response_format": {"type": "text"},
            "frequency_penalty": 0.5, "logit_bias": {"42": -1}})
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.header("x-execution-id"))
        stored = json.loads(self.stack.sql("SELECT params FROM executions WHERE id = %s"
                                           % r.header("x-execution-id"))[0][0])
        self.assertEqual((stored["seed"], stored["stop"], stored["user"],
                          stored["logit_bias"]), (7, ["END"], "u-1", {"42": -1}))

    def test_free_plan(self):
        free = new_user(self.stack)
        r = api(free, "POST", "/api/v1/chat/completions", {
            "model": FREE_MODEL, "messages": [{"role": "user", "content": "x"}]})
        self.assertEqual(r.status, 403, r.text)
        self.assertEqual(r.json()["error"]["type"], "plan_limit_error")


if __name__ == "__main__":
    unittest.main()
