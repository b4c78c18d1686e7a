"""BYOK end to end against the fake OpenRouter and its OpenAI-compatible
providers: Settings > BYOK (PRO only: Configure, Test, Save, update, delete
with confirmation), runs on the user's own key (billing BYOK, the provider's
charge as the cost, no quota, spend cap, budget or whitelist, the bursts
still), hybrid routing over several providers and a prompt's pin, key
health, every bad input of the issue with its status, message and nothing
stored, a tampered ciphertext, a downgrade to FREE."""
import hashlib
import json
import os
import re
import secrets
import threading
import time
import unittest
import urllib.request

from tests.integration.stack import Client, Stack, api, new_user, sse_events

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"


def or_key(last4):
    """A new OpenRouter key of the real shape ending in last4."""
    return "sk-or-v1-" + secrets.token_hex(30) + last4


def fake_keys(stack, **body):
    """POST /__fake/keys: register or change a key users bring."""
    req = urllib.request.Request(stack.openrouter_url("/__fake/keys"),
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def fake_log(stack):
    """Every request the fake received (chat, /key, /models, providers)."""
    with urllib.request.urlopen(stack.openrouter_url("/__fake/requests"), timeout=10) as r:
        return json.loads(r.read())


def main_text(r):
    """The page's <main>, white space collapsed, tags kept."""
    t = r.text
    return re.sub(r"\s+", " ", t[t.find("<main"):t.find("</main>")])


def make_prompt(c, model="openai/gpt-4o", template="Tell me about {{topic}}", slug=None):
    body = {"name": slug or "byok prompt", "user_template": template, "model": model}
    if slug:
        body["slug"] = slug
    r = api(c, "POST", "/api/v1/prompts", body)
    assert r.status == 201, r.text
    return r.json()["slug"]


def execute(c, slug, model=None, topic="tides", stream=False):
    body = {"variables": {"topic": topic}}
    if model:
        body["model"] = model
    if stream:
        body["stream"] = True
    return api(c, "POST", "/api/v1/prompts/%s/execute" % slug, body)


def configure(c, provider, key, base_url=""):
    """Test then Save; returns the Test's response."""
    r = c.post_form("/settings/byok/test", {"provider": provider, "key": key,
                                            "base_url": base_url})
    assert r.status == 200, (r.status, main_text(r))
    s = c.post_form("/settings/byok/save", {"provider": provider})
    assert s.status == 303, (s.status, s.text)
    return r


def load_catalog(stack, name, pro):
    """Load, as catalog name, the shipped catalog with its PRO plan changed
    by the members of pro."""
    with open(os.path.join(ROOT, "conf", "plans", "prompt-manager.json")) as f:
        cat = json.load(f)
    cat["catalog"] = name
    [p for p in cat["plans"] if p["code"] == "PRO"][0].update(pro)
    path = stack.path(name + ".json")
    with open(path, "w") as f:
        json.dump(cat, f)
    r = stack.admin("plans", "load", path)
    assert r.returncode == 0, r.stderr


def byok_user(stack, last4, model="openai/gpt-4o", slug=None):
    """A new PRO user whose OpenRouter key, ending in last4, is saved, and
    a prompt of theirs on model: (client, key, prompt slug)."""
    c = new_user(stack, plan="PRO")
    key = or_key(last4)
    fake_keys(stack, key=key)
    configure(c, "openrouter", key)
    return c, key, make_prompt(c, model=model, slug=slug)


class ByokTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=3,
                          settings={"byok_private_base_urls": "true"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.stack.set_clock(None)

    def uid(self, c):
        return int(self.stack.sql("SELECT id FROM users WHERE email = '%s'" % c.email)[0][0])

    def stored(self, c):
        """(saved, pending) rows of the user."""
        u = self.uid(c)
        return (self.stack.sql("SELECT provider, last4 FROM byok_keys WHERE user_id = %d"
                               " ORDER BY provider" % u),
                self.stack.sql("SELECT provider FROM byok_pending WHERE user_id = %d" % u))

    def last_exec(self, c):
        return self.stack.sql(
            "SELECT e.billing, e.model, e.cost_micros, e.cost_source, e.status,"
            " e.error_message FROM executions e JOIN users u ON u.id = e.user_id"
            " WHERE u.email = '%s' ORDER BY e.id DESC LIMIT 1" % c.email)[0]

    def chat_requests(self):
        return [e for e in fake_log(self.stack) if e["path"].endswith("/chat/completions")]

    # ------------------------------------------------------------ the page

    def test_free_sees_what_it_is_and_cannot_configure(self):
        c = new_user(self.stack)
        r = c.get("/settings/byok")
        self.assertEqual(r.status, 200)
        page = main_text(r)
        self.assertIn("Bringing your own key requires Pro; your plan is Free.", page)
        self.assertIn('href="/pricing"', page)
        self.assertIn("encrypted (AES-256-GCM)", page)
        self.assertNotIn('action="/settings/byok/test"', page)
        self.assertIn('href="/settings/byok"', c.get("/settings").text)   # linked
        key = or_key("fre1")
        fake_keys(self.stack, key=key)
        self.stack.openrouter_clear()
        r = c.post_form("/settings/byok/test", {"provider": "openrouter", "key": key})
        self.assertEqual(r.status, 403)
        self.assertIn("Bringing your own key requires Pro; your plan is Free.", r.text)
        self.assertEqual(self.stored(c), ([], []))
        self.assertEqual(fake_log(self.stack), [])              # never tested
        r = c.post_form("/settings/byok/save", {"provider": "openrouter"})
        self.assertEqual(r.status, 403)

    def test_configure_test_save_run_update_delete(self):
        stack = self.stack
        c = new_user(stack, plan="PRO")
        r = c.get("/settings/byok")
        self.assertIn("You have no key of your own: runs use the platform key (billing:"
                      " SYSTEM).", main_text(r))
        self.assertIn("<summary class=\"button\">Configure API key</summary>", r.text)
        key = or_key("ab12")
        fake_keys(stack, key=key, label="ci account", limit=10, limit_remaining=7.5,
                  usage_daily=1.25, usage_monthly=3.5, is_free_tier=True)
        stack.openrouter_clear()
        r = c.post_form("/settings/byok/test", {"provider": "openrouter", "key": key})
        self.assertEqual(r.status, 200, main_text(r))
        page = main_text(r)
        self.assertIn("OpenRouter accepted the key", page)
        for words in ("<dt>Label</dt><dd class=\"mono\">ci account</dd>",
                      "<dt>Limit</dt><dd><span class=\"money\" title=\"$10.000000 exactly",
                      ">$10.00</span>", ">$7.50</span>", ">$1.25</span>", ">$3.50</span>",
                      "<dt>Free tier</dt><dd>Yes"):
            self.assertIn(words, page)
        self.assertNotIn(key[9:-4], r.text)                    # never echoed
        log = fake_log(stack)
        self.assertEqual([(e["method"], e["path"], e["key_label"]) for e in log],
                         [("GET", "/api/v1/key", "sk-or-v1-...ab12")])
        self.assertEqual(self.stored(c), ([], [("openrouter",)]))   # tested, not saved
        r = c.post_form("/settings/byok/save", {"provider": "openrouter"})
        self.assertEqual((r.status, r.header("location")), (303, "/settings/byok"))
        r = c.get("/settings/byok")
        page = main_text(r)
        self.assertIn("Your key is saved.", page)
        self.assertRegex(page, r'<td>OpenRouter</td> <td class="mono" data-label="Key">…ab12</td>'
                               r' <td class="nowrap" data-label="Last change"><time datetime=')
        self.assertIn('<span class="badge success">Working</span>', page)
        self.assertEqual(self.stored(c), ([("openrouter", "ab12")], []))
        sealed, kid = stack.sql("SELECT sealed, vault_key_id FROM byok_keys WHERE user_id = %d"
                                % self.uid(c))[0]
        with open(stack.path("secrets", "vault_key")) as f:
            master = bytes.fromhex(f.read().strip())
        self.assertEqual(kid, hashlib.sha256(b"pm-vault-key-id" + master).hexdigest()[:16])
        self.assertNotIn(key[9:], sealed)
        self.assertGreater(len(sealed), len(key))             # nonce, ciphertext, tag

        # a run on the key: BYOK, the provider's charge as the cost, no quota
        slug = make_prompt(c)
        stack.openrouter_clear()
        r = execute(c, slug)
        self.assertEqual(r.status, 200, r.text)
        byok_cost = r.json()["cost_micros"]
        chat = self.chat_requests()
        self.assertEqual([e["key_label"] for e in chat], ["sk-or-v1-...ab12"])
        self.assertEqual(chat[0]["body"]["model"], "openai/gpt-4o")
        self.assertEqual(self.last_exec(c)[:4], ("BYOK", "openai/gpt-4o", str(byok_cost),
                                                 "provider"))
        self.assertEqual(stack.sql("SELECT COUNT(*) FROM usage_counters WHERE user_id = %d"
                                   % self.uid(c)), [("0",)])
        r = c.get("/executions")
        self.assertIn("Your own key (BYOK)", r.text)
        self.assertIn("Runs of this model use your own OpenRouter key (…ab12)",
                      c.get("/prompts/%s/run" % slug).text)
        # the run page streams on it too
        r = c.request("POST", "/prompts/%s/run" % slug, form={"_csrf": c.api_token,
                      "var.topic": "waves"}, headers={"Accept": "text/event-stream"})
        done = [d for e, d in sse_events(r.body) if e == "done"][0]
        self.assertEqual(done["output"], "echo: Tell me about waves")
        self.assertEqual(self.last_exec(c)[0], "BYOK")

        # update: another key, Test and Save again
        stack.set_clock(int(time.time()) + 120)
        key2 = or_key("cd34")
        fake_keys(stack, key=key2)
        r = c.get("/settings/byok?provider=openrouter")
        self.assertIn('<details class="card" id="configure" open>', r.text)
        r = configure(c, "openrouter", key2)
        # OpenRouter's label of a key it names by the key itself, masked:
        # shown with the last 4 characters only; a label quoting the key
        # loses what it quotes
        self.assertIn('<dt>Label</dt><dd class="mono">sk-or-v1-…cd34</dd>', r.text)
        fake_keys(stack, key=key2, label="mine " + key2[9:40])
        r = c.post_form("/settings/byok/test", {"provider": "openrouter", "key": key2})
        self.assertIn('<dd class="mono">mine ' + "*" * 31 + "</dd>", r.text)
        c.post_form("/settings/byok/save", {"provider": "openrouter"})
        self.assertEqual(self.stored(c), ([("openrouter", "cd34")], []))
        created, updated = stack.sql("SELECT created_at, updated_at FROM byok_keys"
                                     " WHERE user_id = %d" % self.uid(c))[0]
        self.assertGreater(int(updated), int(created))
        stack.openrouter_clear()
        self.assertEqual(execute(c, slug).status, 200)
        self.assertEqual(self.chat_requests()[0]["key_label"], "sk-or-v1-...cd34")

        # delete with confirmation: back to SYSTEM
        r = c.get("/settings/byok/delete?provider=openrouter")
        self.assertEqual(r.status, 200)
        self.assertIn("Delete your OpenRouter key?", r.text)
        self.assertIn("ending in <span class=\"mono\">…cd34</span>", r.text)
        self.assertIn("go back to the platform key (billing: SYSTEM)", r.text)
        r = c.post_form("/settings/byok/delete", {"provider": "openrouter"})
        self.assertEqual((r.status, r.header("location")), (303, "/settings/byok"))
        self.assertIn("Your key is deleted. Runs use the platform key again (billing: SYSTEM).",
                      c.get("/settings/byok").text)
        self.assertEqual(self.stored(c), ([], []))
        stack.openrouter_clear()
        r = execute(c, slug)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.last_exec(c)[0], "SYSTEM")
        self.assertEqual(r.json()["cost_micros"], byok_cost)    # the same price either way
        self.assertNotIn("cd34", self.chat_requests()[0]["key_label"])
        self.assertIn("Platform key", c.get("/executions").text)
        r = c.post_form("/settings/byok/delete", {"provider": "openrouter"})
        self.assertEqual(r.status, 404)
        self.assertIn("You have no key of this provider.", r.text)
        self.assertEqual(c.get("/settings/byok/delete?provider=openrouter").status, 404)

    # ------------------------------------------------------------ bad input

    def test_bad_input_stores_nothing(self):
        stack = self.stack
        c = new_user(stack, plan="PRO", server="apache")
        stack.openrouter_clear()
        good = or_key("bd00")
        cases = [
            ({"provider": "openrouter", "key": ""}, 400, "Enter the API key."),
            ({"provider": "openrouter", "key": "sk-or-v1-short"}, 400,
             "This is not a valid key for OpenRouter: such a key looks like sk-or-v1-…"),
            ({"provider": "openrouter", "key": good + " x"}, 400,
             "This is not a valid key for OpenRouter"),
            ({"provider": "openrouter", "key": "sk-proj-" + "a" * 40}, 400,
             "This is not a valid key for OpenRouter"),
            ({"provider": "openai", "key": good}, 400,
             "This looks like an OpenRouter key, not a key for OpenAI"),
            ({"provider": "azure", "key": good}, 400,
             "Choose one of the providers of the list."),
            ({"key": good}, 400, "Choose one of the providers of the list."),
            ({"provider": "custom", "key": "k", "base_url": ""}, 400,
             "Enter the base URL of the OpenAI-compatible server"),
            ({"provider": "custom", "key": "k", "base_url": "ftp://x.example/v1"}, 400,
             "The base URL must start with http:// or https://."),
            ({"provider": "custom", "key": "k", "base_url": "https://u:p@x.example/v1"},
             400, "must not hold a user name, a password, a query or a fragment"),
        ]
        for form, status, words in cases:
            r = c.post_form("/settings/byok/test", form)
            self.assertEqual(r.status, status, (form, main_text(r)))
            self.assertIn(words, main_text(r), form)
            self.assertIn("aria-invalid=\"true\"", r.text)
            self.assertNotIn(form["key"][9:] or "\x00", r.text.replace("sk-or-v1-", ""))
        self.assertEqual(self.stored(c), ([], []))
        self.assertEqual(fake_log(stack), [])                   # nothing sent either

        # 401 from the provider: a clear error, nothing saved
        r = c.post_form("/settings/byok/test", {"provider": "openrouter", "key": good})
        self.assertEqual(r.status, 400)
        self.assertIn("OpenRouter refused this key (HTTP 401: No auth credentials found). Check"
                      " that you copied it whole and that it is not revoked. Nothing was saved.",
                      main_text(r))
        # OpenAI quotes the start of the key it refuses: not shown
        oa = "sk-proj-" + secrets.token_hex(24)
        r = c.post_form("/settings/byok/test", {"provider": "openai", "key": oa})
        self.assertEqual(r.status, 400)
        self.assertIn("OpenAI refused this key (HTTP 401: Incorrect API key provided: *****",
                      main_text(r))
        self.assertIn("Incorrect API key provided: ****************%s." % oa[-4:], r.text)
        self.assertNotIn("sk-proj-*", r.text)
        # unreachable: a clear error, nothing saved
        r = c.post_form("/settings/byok/test", {"provider": "custom", "key": "ollama-key-1",
                                                "base_url": "http://127.0.0.1:1/v1"})
        self.assertEqual(r.status, 502)
        self.assertIn("OpenAI-compatible (Ollama…) could not be reached to test the key (",
                      main_text(r))
        self.assertIn("Nothing was saved; try again in a moment.", main_text(r))
        self.assertIn('value="http://127.0.0.1:1/v1"', r.text)       # kept as typed
        # the provider's other errors
        fake_keys(stack, key=good, status=402)
        r = c.post_form("/settings/byok/test", {"provider": "openrouter", "key": good})
        self.assertEqual(r.status, 502)
        self.assertIn("OpenRouter could not test the key (HTTP 402: Insufficient credits)."
                      " Nothing was saved.", main_text(r))
        self.assertEqual(self.stored(c), ([], []))
        # Save without a Test, or too long after it
        r = c.post_form("/settings/byok/save", {"provider": "openrouter"})
        self.assertEqual(r.status, 409)
        self.assertIn("Test the key before saving it: press Test, then Save within 15 minutes.",
                      main_text(r))
        fake_keys(stack, key=good, status=None)
        self.assertEqual(c.post_form("/settings/byok/test", {"provider": "openrouter",
                                                              "key": good}).status, 200)
        self.assertEqual(c.post_form("/settings/byok/save", {"provider": "openai"}).status, 409)
        stack.set_clock(int(time.time()) + 16 * 60)
        self.assertEqual(c.post_form("/settings/byok/save", {"provider": "openrouter"}).status,
                         409)
        self.assertEqual(self.stored(c)[0], [])
        stack.set_clock(None)
        self.assertEqual(c.post_form("/settings/byok/save", {"provider": "openrouter"}).status,
                         303)
        self.assertEqual(self.stored(c)[0], [("openrouter", "bd00")])
        # a form without its CSRF token changes nothing
        r = c.post("/settings/byok/delete", form={"provider": "openrouter"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.stored(c)[0], [("openrouter", "bd00")])
        # a tested key nobody saves is forgotten
        self.assertEqual(c.post_form("/settings/byok/test", {"provider": "openrouter",
                                                              "key": good}).status, 200)
        self.assertEqual(self.stored(c)[1], [("openrouter",)])
        stack.set_clock(int(time.time()) + 16 * 60)
        other = new_user(stack, plan="PRO")
        k = or_key("bd01")
        fake_keys(stack, key=k)
        self.assertEqual(other.post_form("/settings/byok/test", {"provider": "openrouter",
                                                                  "key": k}).status, 200)
        self.assertEqual(self.stored(c), ([("openrouter", "bd00")], []))

    # ------------------------------------------------------------ providers

    def test_hybrid_providers_and_pins(self):
        stack = self.stack
        c = new_user(stack, plan="PRO")
        oa = "sk-proj-" + secrets.token_hex(20) + "oa99"
        fake_keys(stack, key=oa, provider="openai")
        r = configure(c, "openai", oa)
        self.assertIn("OpenAI accepted the key", main_text(r))
        self.assertRegex(main_text(r), r"<p>\d+ models? available with this key.</p>")
        s_oa = make_prompt(c, model="openai/gpt-4o", slug="hy-openai")
        s_an = make_prompt(c, model="anthropic/claude-3-opus", slug="hy-anthropic")
        stack.openrouter_clear()
        r = execute(c, s_oa)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["output"], "echo: Tell me about tides")
        req = self.chat_requests()[-1]
        self.assertEqual((req["path"], req["body"]["model"]),
                         ("/provider/openai/chat/completions", "gpt-4o"))
        billing, model, cost, source = self.last_exec(c)[:4]
        self.assertEqual((billing, model, source), ("BYOK", "openai/gpt-4o", "price_table"))
        self.assertGreater(int(cost), 0)                         # tokens priced
        # streamed: OpenAI's stream_options, not OpenRouter's usage member
        r = execute(c, s_oa, stream=True)
        self.assertEqual(r.status, 200)
        done = [d for e, d in sse_events(r.body) if e == "done"][0]
        self.assertEqual(done["usage"]["input_tokens"] > 0, True)
        body = self.chat_requests()[-1]["body"]
        self.assertEqual(body["stream_options"], {"include_usage": True})
        self.assertNotIn("usage", body)
        # another vendor: no key of its own, no OpenRouter key: the platform's
        r = execute(c, s_an)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.last_exec(c)[0], "SYSTEM")
        self.assertEqual(self.chat_requests()[-1]["path"], "/api/v1/chat/completions")
        # with an OpenRouter key as well: everything else goes through it
        ok = or_key("or77")
        fake_keys(stack, key=ok)
        configure(c, "openrouter", ok)
        stack.openrouter_clear()
        self.assertEqual(execute(c, s_an).status, 200)
        self.assertEqual(self.last_exec(c)[0], "BYOK")
        self.assertEqual(self.chat_requests()[-1]["key_label"], "sk-or-v1-...or77")
        self.assertEqual(execute(c, s_oa).status, 200)          # OpenAI's own key first
        self.assertEqual(self.chat_requests()[-1]["path"], "/provider/openai/chat/completions")

        # a prompt pinned to a key: the settings page's small form
        page = c.get("/prompts/%s/settings" % s_an).text
        self.assertIn('<option value="" selected>Automatic</option>', page)
        self.assertIn('<option value="system">The platform key (billing: SYSTEM)</option>', page)
        self.assertIn('<option value="openai">OpenAI (…oa99)</option>', page)
        r = c.post_form("/prompts/%s/byok" % s_an, {"byok_pin": "system"})
        self.assertEqual((r.status, r.header("location")),
                         (303, "/prompts/%s/settings" % s_an))
        self.assertIn('<option value="system" selected>', c.get("/prompts/%s/settings" % s_an).text)
        stack.openrouter_clear()
        self.assertEqual(execute(c, s_an).status, 200)
        self.assertEqual(self.last_exec(c)[0], "SYSTEM")
        # pinned to OpenAI, a model OpenAI cannot run: 403 before any call
        self.assertEqual(c.post_form("/prompts/%s/byok" % s_an, {"byok_pin": "openai"}).status,
                         303)
        stack.openrouter_clear()
        r = execute(c, s_an)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["message"],
                         "This prompt is set to use your OpenAI key, which cannot run"
                         " anthropic/claude-3-opus. Choose another key in the prompt's"
                         " settings, or another model.")
        self.assertEqual(self.chat_requests(), [])
        self.assertIn("This prompt is set to use your OpenAI key, which cannot run",
                      c.get("/prompts/%s/run" % s_an).text)
        # a pin nobody keeps: refused
        r = c.post_form("/prompts/%s/byok" % s_an, {"byok_pin": "groq"})
        self.assertEqual(r.status, 400)
        self.assertIn("Choose automatic, the platform key or one of your stored keys.", r.text)
        # another user's prompt: 404
        other = new_user(stack, plan="PRO")
        self.assertEqual(other.post_form("/prompts/%s/byok" % s_an,
                                         {"byok_pin": "system"}).status, 404)
        # a custom OpenAI-compatible server (Ollama): used when pinned
        base = stack.openrouter_url("/provider/custom")
        fake_keys(stack, key="ollama-local", provider="custom")
        r = configure(c, "custom", "ollama-local", base)
        self.assertEqual(self.stored(c)[0], [("custom", "ocal"), ("openai", "oa99"),
                                             ("openrouter", "or77")])
        self.assertIn(base, main_text(c.get("/settings/byok")))
        self.assertEqual(c.post_form("/prompts/%s/byok" % s_an, {"byok_pin": "custom"}).status,
                         303)
        stack.openrouter_clear()
        self.assertEqual(execute(c, s_an).status, 200)
        req = self.chat_requests()[-1]
        self.assertEqual((req["path"], req["body"]["model"]),
                         ("/provider/custom/chat/completions", "anthropic/claude-3-opus"))
        # deleting a pinned key: the prompt goes back to automatic
        self.assertEqual(c.post_form("/settings/byok/delete", {"provider": "custom"}).status, 303)
        self.assertEqual(stack.sql("SELECT byok_pin FROM prompts WHERE slug = '%s' AND"
                                   " user_id = %d" % (s_an, self.uid(c))), [("NULL",)])
        stack.openrouter_clear()
        self.assertEqual(execute(c, s_an).status, 200)
        self.assertEqual(self.chat_requests()[-1]["key_label"], "sk-or-v1-...or77")

    # ------------------------------------------------------------ health

    def test_key_health_marked_and_cleared(self):
        stack = self.stack
        c, key, slug = byok_user(stack, "he10")
        words = {401: "the provider refused the key (401): it may be revoked or mistyped",
                 402: "the provider says the account has no credit left (402)",
                 429: "the provider is rate-limiting the key (429)"}
        for status in (402, 429, 401):
            fake_keys(stack, key=key, status=status)
            r = execute(c, slug)
            self.assertEqual(r.status, {402: 502, 429: 429, 401: 502}[status], r.text)
            row = stack.sql("SELECT failing_status, failing_reason, failing_since IS NOT NULL"
                            " FROM byok_keys WHERE user_id = %d" % self.uid(c))[0]
            self.assertEqual(row[0], str(status))
            self.assertEqual(row[2], "1")
            page = main_text(c.get("/settings/byok"))
            self.assertIn('<span class="badge failed">Failing</span> since', page)
            self.assertIn(words[status], page)
            self.assertIn("Your OpenRouter key (…he10) is failing since",
                          c.get("/prompts/%s/run" % slug).text)
            self.assertIn(words[status], c.get("/prompts/%s/run" % slug).text)
            self.assertEqual(self.last_exec(c)[4], "FAILED")
        since = stack.sql("SELECT failing_since FROM byok_keys WHERE user_id = %d"
                          % self.uid(c))[0][0]
        self.assertNotEqual(since, "NULL")
        # a failing key is still used: the next success clears the mark
        fake_keys(stack, key=key, status=None)
        self.assertEqual(execute(c, slug).status, 200)
        self.assertEqual(stack.sql("SELECT failing_status, failing_reason, failing_since FROM"
                                   " byok_keys WHERE user_id = %d" % self.uid(c)),
                         [("NULL", "NULL", "NULL")])
        self.assertIn('<span class="badge success">Working</span>', c.get("/settings/byok").text)
        self.assertIn("Runs of this model use your own OpenRouter key",
                      c.get("/prompts/%s/run" % slug).text)
        # other failures (a 502 of the provider) do not mark the key
        r = execute(c, slug, topic="x [[fake:status=502]]")
        self.assertEqual(r.status, 502)
        self.assertEqual(stack.sql("SELECT failing_status FROM byok_keys WHERE user_id = %d"
                                   % self.uid(c)), [("NULL",)])
        # a marked key that keeps failing keeps the time it began
        r = execute(c, slug, topic="x [[fake:status=429]]")
        first = stack.sql("SELECT failing_since FROM byok_keys WHERE user_id = %d"
                          % self.uid(c))[0][0]
        stack.set_clock(int(time.time()) + 300)
        execute(c, slug, topic="x [[fake:status=402]]")
        self.assertEqual(stack.sql("SELECT failing_since, failing_status FROM byok_keys WHERE"
                                   " user_id = %d" % self.uid(c)), [(first, "402")])

    # ------------------------------------------------------------ security

    def test_tampered_ciphertext_or_associated_data(self):
        stack = self.stack
        c, key, slug = byok_user(stack, "ta01")
        uid = self.uid(c)
        sealed = stack.sql("SELECT sealed FROM byok_keys WHERE user_id = %d" % uid)[0][0]
        flip = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
        msg = ("Your stored OpenRouter key cannot be read (it was altered, or sealed with a"
               " master key this server does not have). Nothing was sent. Delete it in"
               " Settings > BYOK and configure it again.")
        other = new_user(stack, plan="PRO")
        tampering = [
            "UPDATE byok_keys SET sealed = '%s' WHERE user_id = %d" % (flip, uid),
            "UPDATE byok_keys SET sealed = 'not base64!' WHERE user_id = %d" % uid,
            "UPDATE byok_keys SET sealed = '' WHERE user_id = %d" % uid,
            # another user's ciphertext, or another provider's: the
            # associated data no longer matches
            "UPDATE byok_keys SET user_id = %d WHERE user_id = %d" % (self.uid(other), uid),
            "UPDATE byok_keys SET provider = 'openai' WHERE user_id = %d" % uid,
            "UPDATE byok_keys SET vault_key_id = '0123456789abcdef' WHERE user_id = %d" % uid,
        ]
        ouid = self.uid(other)
        o_slug = make_prompt(other, slug="victim")
        for sql in tampering:
            stack.sql("DELETE FROM byok_keys WHERE user_id IN (%d, %d)" % (uid, ouid))
            self.restore(uid, sealed)
            stack.sql(sql)
            moved = "SET user_id" in sql
            victim, vslug = (other, o_slug) if moved else (c, slug)
            stack.openrouter_clear()
            pids = stack.worker_pids()
            r = execute(victim, vslug)
            self.assertEqual(r.status, 503, (sql, r.text))
            self.assertEqual(r.json()["error"]["message"],
                             msg.replace("OpenRouter", "OpenAI") if "provider" in sql else msg)
            self.assertEqual(self.chat_requests(), [], sql)      # nothing sent
            self.assertEqual(stack.worker_pids(), pids)          # nothing crashed
        # the run page says so too, and records nothing
        self.restore(uid, flip)
        n = stack.sql("SELECT COUNT(*) FROM executions WHERE user_id = %d" % uid)
        r = c.request("POST", "/prompts/%s/run" % slug, form={
            "_csrf": c.api_token, "var.topic": "x"}, headers={"Accept": "text/event-stream"})
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["error"]["message"], msg)
        self.assertEqual(stack.sql("SELECT COUNT(*) FROM executions WHERE user_id = %d" % uid), n)
        self.assertIn("the stored openrouter key cannot be opened", stack.log_text())
        # deleting it and configuring it again repairs it
        stack.sql("DELETE FROM byok_keys WHERE user_id IN (%d, %d)" % (uid, ouid))
        configure(c, "openrouter", key)
        self.assertEqual(execute(c, slug).status, 200)

    def restore(self, uid, sealed):
        """The user's OpenRouter key as it was saved."""
        self.stack.sql("DELETE FROM byok_keys WHERE user_id = %d" % uid)
        self.stack.sql("INSERT INTO byok_keys (user_id, provider, sealed, vault_key_id, last4,"
                       " created_at, updated_at) VALUES (%d, 'openrouter', '%s', '%s', 'ta01',"
                       " 1, 1)" % (uid, sealed, self.key_id()))

    def key_id(self):
        with open(self.stack.path("secrets", "vault_key")) as f:
            master = bytes.fromhex(f.read().strip())
        return hashlib.sha256(b"pm-vault-key-id" + master).hexdigest()[:16]

    def test_downgraded_to_free_keeps_the_key_unused(self):
        stack = self.stack
        c, key, slug = byok_user(stack, "dn01", model=FREE_MODEL)
        self.assertEqual(execute(c, slug).status, 200)
        self.assertEqual(self.last_exec(c)[0], "BYOK")
        self.assertEqual(stack.admin("set-plan", c.email, "FREE").returncode, 0)
        page = main_text(c.get("/settings/byok"))
        self.assertIn("Your plan does not include BYOK any more: the 1 key you stored is kept"
                      " but not used, and runs use the platform key.", page)
        self.assertIn("…dn01", page)
        self.assertNotIn('action="/settings/byok/test"', page)
        run_page = c.get("/prompts/%s/run" % slug).text
        self.assertIn("Your plan does not include BYOK any more: the 1 key you stored is kept"
                      " but not used", run_page)
        stack.openrouter_clear()
        r = c.request("POST", "/prompts/%s/run" % slug, form={"_csrf": c.api_token,
                      "var.topic": "x"}, headers={"Accept": "text/event-stream"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.last_exec(c)[0], "SYSTEM")       # the platform key
        self.assertNotIn("dn01", self.chat_requests()[0]["key_label"])
        self.assertEqual(self.stored(c)[0], [("openrouter", "dn01")])   # kept
        # the plan's limits apply again: the daily quota counts the run
        self.assertEqual(stack.sql("SELECT executions FROM usage_counters WHERE user_id = %d"
                                   " AND period = 'day'" % self.uid(c)), [("1",)])
        # the API says why (seed 000)
        r = execute(c, slug)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["type"], "plan_limit_error")
        # back to PRO: the key is used again
        self.assertEqual(stack.admin("set-plan", c.email, "PRO").returncode, 0)
        self.assertEqual(execute(c, slug).status, 200)
        self.assertEqual(self.last_exec(c)[0], "BYOK")


class ByokAdmissionTest(unittest.TestCase):
    """Bursts, and nothing else, for BYOK runs: a catalog whose PRO plan has
    a daily quota, a spend cap, a budget, a whitelist and small bursts."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=3).start()
        load_catalog(cls.stack, "byok-bursts", {
            "executions_per_day": 2, "executions_per_month": 3,
            "burst_per_minute": 4, "burst_per_day": 6,
            "daily_spend_cap_micros": 100000, "monthly_budget_micros": 200000,
            "models": "whitelist", "model_list": ["openai/gpt-4o-mini"],
            "max_concurrent_executions": 50})

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def counters(self, c):
        return dict(self.stack.sql(
            "SELECT period, executions FROM usage_counters u JOIN users x ON x.id = u.user_id"
            " WHERE x.email = '%s' AND period IN ('day', 'byok_day')" % c.email))

    def test_bursts_only_with_a_day_counter_of_their_own(self):
        stack = self.stack
        c, key, byok = byok_user(stack, "bu01", model="openai/gpt-4o")   # off the whitelist
        system = make_prompt(c, model="openai/gpt-4o-mini", slug="on-platform")
        self.assertEqual(c.post_form("/prompts/on-platform/byok", {"byok_pin": "system"}).status,
                         303)
        now = (int(time.time()) // 60 + 1) * 60 + 5             # early in a minute
        stack.set_clock(now)
        r = execute(c, byok, model="anthropic/claude-3-opus")
        self.assertEqual(r.status, 200, r.text)                 # no whitelist, no spend cap
        self.assertEqual(execute(c, system).status, 200)        # the platform's: counted
        # 3 more BYOK runs: past the daily quota (2) and the monthly (3)
        for _ in range(2):
            self.assertEqual(execute(c, byok).status, 200)
        self.assertEqual(self.counters(c), {"day": "1", "byok_day": "3"})
        r = execute(c, byok)                                     # 5th of the minute
        self.assertEqual(r.status, 429)
        self.assertIn("at most 4 per minute", r.json()["error"]["message"])
        self.assertEqual(r.header("retry-after"), "55")
        stack.set_clock(now + 60)
        self.assertEqual(execute(c, byok).status, 200)
        self.assertEqual(execute(c, byok).status, 200)
        self.assertEqual(self.counters(c), {"day": "1", "byok_day": "5"})
        r = execute(c, byok)                                     # 7th of the day
        self.assertEqual(r.status, 429)
        self.assertIn("You reached the limit of 6 executions per day, runs on your own key"
                      " included", r.json()["error"]["message"])
        # the platform's runs count the BYOK ones in the burst, not the quota
        stack.set_clock(now + 120)
        r = execute(c, system)
        self.assertEqual(r.status, 429)
        self.assertIn("You reached the limit of 6 executions per day", r.json()["error"]["message"])
        self.assertEqual(self.counters(c), {"day": "1", "byok_day": "5"})
        # a failed BYOK run gives its bursts back
        c2, _, s2 = byok_user(stack, "bu02")
        self.assertEqual(execute(c2, s2, topic="x [[fake:status=502]]").status, 502)
        self.assertEqual(self.counters(c2), {"byok_day": "0"})
        self.assertEqual(stack.sql("SELECT executions FROM usage_counters u JOIN users x ON"
                                   " x.id = u.user_id WHERE x.email = '%s' AND period = 'minute'"
                                   % c2.email), [("0",)])
        # the platform's key on the same plan: whitelist, quota and caps apply
        s3 = make_prompt(c2, model="openai/gpt-4o", slug="pinned-system")
        c2.post_form("/prompts/pinned-system/byok", {"byok_pin": "system"})
        r = execute(c2, s3)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["type"], "plan_limit_error")

    def test_models_list_opens_what_the_keys_allow(self):
        """GET /api/v1/models: the whitelist alone without keys; a provider's
        key adds that provider's models; an OpenRouter key every model."""
        stack = self.stack

        def listed(c):
            r = api(c, "GET", "/api/v1/models")
            self.assertEqual(r.status, 200, r.text)
            return {m["id"]: m["byok"] for m in r.json()["data"]}

        c = new_user(stack, plan="PRO")
        self.assertEqual(listed(c), {"openai/gpt-4o-mini": False})
        oa = "sk-proj-" + secrets.token_hex(20) + "oa42"
        fake_keys(stack, key=oa, provider="openai")
        configure(c, "openai", oa)
        seen = listed(c)
        self.assertEqual(seen["openai/gpt-4o"], True)
        self.assertEqual(seen["openai/gpt-4o-mini"], True)     # on the user's key now
        self.assertTrue(all(m.startswith("openai/") for m in seen), seen)
        key = or_key("ml01")
        fake_keys(stack, key=key)
        configure(c, "openrouter", key)
        seen = listed(c)
        self.assertIn("anthropic/claude-3-opus", seen)
        catalog = stack.sql("SELECT COUNT(*) FROM models WHERE active = 1")[0][0]
        self.assertEqual(len(seen), int(catalog))
        self.assertTrue(all(seen.values()), seen)
        # deleted keys: back to the whitelist
        for provider in ("openai", "openrouter"):
            self.assertEqual(c.post_form("/settings/byok/delete",
                                         {"provider": provider}).status, 303)
        self.assertEqual(listed(c), {"openai/gpt-4o-mini": False})

    def test_custom_base_url_checked_at_each_run(self):
        """A custom provider's base URL that is not (or no longer) public
        https is refused before anything is sent."""
        stack = self.stack
        c, key, slug = byok_user(stack, "cu01")
        uid = int(stack.sql("SELECT id FROM users WHERE email = '%s'" % c.email)[0][0])
        stack.sql("INSERT INTO byok_keys (user_id, provider, sealed, vault_key_id, last4,"
                  " base_url, created_at, updated_at) SELECT user_id, 'custom', sealed,"
                  " vault_key_id, 'cu01', 'http://127.0.0.1:11434/v1', 1, 1 FROM byok_keys"
                  " WHERE user_id = %d" % uid)
        self.assertEqual(c.post_form("/prompts/%s/byok" % slug, {"byok_pin": "custom"}).status,
                         303)
        stack.openrouter_clear()
        r = execute(c, slug)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["message"],
                         "The base URL must use https: the key would travel in clear otherwise.")
        self.assertEqual(stack.openrouter_requests(), [])
        # and at Test time, without byok_private_base_urls
        r = c.post_form("/settings/byok/test", {"provider": "custom", "key": "ollama-local",
                                                "base_url": "https://127.0.0.1/v1"})
        self.assertEqual(r.status, 400)
        self.assertIn("The base URL points to a private or local network address, which this"
                      " site does not call.", main_text(r))

    def test_exact_under_concurrency_and_swept(self):
        stack = self.stack
        c, key, slug = byok_user(stack, "cc01")
        stack.set_clock((int(time.time()) // 60 + 1) * 60 + 5)
        statuses, lock = [], threading.Lock()

        def go():
            r = execute(c, slug)
            with lock:
                statuses.append(r.status)

        threads = [threading.Thread(target=go) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sorted(statuses), [200] * 4 + [429] * 16)
        self.assertEqual(self.counters(c), {"byok_day": "4"})
        # a BYOK run left RUNNING by a dead worker is settled like the rest
        uid = int(stack.sql("SELECT id FROM users WHERE email = '%s'" % c.email)[0][0])
        day = int(time.strftime("%Y%m%d", time.gmtime(int(time.time()))))
        stack.sql("INSERT INTO executions (user_id, prompt_id, version_id, version_number, model,"
                  " channel, billing, status, reserved_micros, counted, day_key, month_key,"
                  " minute_key, input, variables, params, output, runner, created_at)"
                  " SELECT user_id, prompt_id, version_id, version_number, model, channel,"
                  " 'BYOK', 'RUNNING', 0, 1, day_key, month_key, minute_key, input, variables,"
                  " params, '', 'gone-host:1:1', 1000 FROM executions WHERE user_id = %d"
                  " AND day_key = %d LIMIT 1" % (uid, day))
        stack.sql("UPDATE usage_counters SET executions = executions + 1 WHERE user_id = %d"
                  " AND period = 'byok_day'" % uid)
        self.assertEqual(self.counters(c), {"byok_day": "5"})
        r = stack.admin("executions", "sweep")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.counters(c), {"byok_day": "4"})


if __name__ == "__main__":
    unittest.main()
