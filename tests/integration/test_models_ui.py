"""Models as people choose them: the catalog in the prompt forms (grouped by
what the plan can run, with prices and context length, free models marked),
a new prompt starting on a model the plan can run, an unknown model refused
on the site forms and the JSON API with nothing saved, the run page saying
when the version's model is not runnable on the plan, GET /api/v1/models,
and the demo stand-in's catalog without its test model."""
import html
import json
import re
import unittest
import urllib.request

from tests.fakes.openrouter import FakeOpenRouter
from tests.integration.stack import Client, Stack, api, new_user

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
PAID_MODEL = "openai/gpt-4o"
MINI = "openai/gpt-4o-mini"
UNKNOWN = "nonexistent/model-xyz"
UNKNOWN_MSG = ('"nonexistent/model-xyz" is not a model of the catalog: choose one of the'
               ' listed models.')


def options(page, group):
    """[(value, selected, text)] of the optgroup of #model whose label starts
    with group."""
    m = re.search(r'<optgroup label="%s[^"]*">(.*?)</optgroup>' % re.escape(group), page, re.S)
    if not m:
        return []
    return [(v, bool(sel), html.unescape(t)) for v, sel, t in re.findall(
        r'<option value="([^"]*)"( selected)?[^>]*>([^<]*)</option>', m.group(1))]


def selected_model(page):
    m = re.search(r'<select id="model".*?</select>', page, re.S)
    s = re.search(r'<option value="([^"]*)" selected', m.group(0))
    return s.group(1) if s else None


class ModelsUiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def count(self, table, c):
        return int(self.stack.sql(
            "SELECT COUNT(*) FROM %s t JOIN users u ON u.id = t.user_id WHERE u.email = '%s'"
            % (table, c.email))[0][0])

    def versions(self, c):
        return int(self.stack.sql(
            "SELECT COUNT(*) FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id"
            " JOIN users u ON u.id = p.user_id WHERE u.email = '%s'" % c.email)[0][0])

    def test_the_form_lists_the_catalog_by_what_the_plan_runs(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                page = new_user(self.stack, server=server).get("/prompts/new").text
                runnable = options(page, "Your Free plan can run these")
                upgrade = options(page, "Need a plan upgrade to run")
                self.assertEqual([v for v, _, _ in runnable],
                                 [FREE_MODEL, "mistralai/mistral-7b-instruct:free"])
                self.assertIn(MINI, [v for v, _, _ in upgrade])
                self.assertIn(PAID_MODEL, [v for v, _, _ in upgrade])
                # prices and context length in words, free models marked
                text = dict((v, t) for v, _, t in runnable + upgrade)
                self.assertEqual(text[FREE_MODEL],
                                 "Meta: Llama 3.1 8B Instruct (free) · free · 131K context")
                self.assertEqual(text[PAID_MODEL],
                                 "OpenAI: GPT-4o · $2.50 in, $10 out per 1M tokens · 128K context")
                self.assertEqual(text[MINI], "OpenAI: GPT-4o-mini · $0.15 in, $0.60 out per 1M"
                                             " tokens · 128K context")
                self.assertIn('data-free="1">Meta: Llama', page)
                # the chosen model described, and the way to the plans
                self.assertIn('<p class="hint" id="model-details"', page)
                self.assertIn("<span class=\"mono\">%s</span> · free · 131K context · Your Free"
                              " plan can run it." % FREE_MODEL, page)
                self.assertIn('<a href="/pricing">compare the plans</a>', page)
                # searchable with the script (a search box it reveals)
                self.assertIn('<input type="search" id="model-search"', page)
                self.assertIn('<script src="/static/js/version_form.js" defer></script>', page)

    def test_a_new_prompt_starts_on_a_model_the_plan_runs(self):
        free = new_user(self.stack).get("/prompts/new").text
        self.assertEqual(selected_model(free), FREE_MODEL)
        self.assertEqual([v for v, sel, _ in options(free, "Your Free plan") if sel], [FREE_MODEL])
        pro = new_user(self.stack, plan="PRO").get("/prompts/new").text
        self.assertEqual(selected_model(pro), MINI)
        self.assertIn(MINI, [v for v, _, _ in options(pro, "Your Pro plan can run these")])
        self.assertEqual(options(pro, "Need a plan upgrade"), [])
        self.assertIn('id="model-upgrade" hidden', pro)

    def test_an_unknown_model_is_refused_on_the_form_and_nothing_saved(self):
        c = new_user(self.stack)
        r = c.post_form("/prompts", {"name": "Bad model", "user_template": "Hello {{who}}",
                                     "model": UNKNOWN})
        self.assertEqual(r.status, 422)
        self.assertIn('<p class="field-error" id="model-error">%s</p>'
                      % html.escape(UNKNOWN_MSG), r.text)
        # what was typed stays, the unknown model shown for what it is
        self.assertIn('<option value="%s" selected data-unknown="1">%s — not in the model'
                      ' catalog</option>' % (UNKNOWN, UNKNOWN), r.text)
        self.assertIn('value="Bad model"', r.text)
        self.assertEqual(self.count("prompts", c), 0)
        # the new-version form too
        api(c, "POST", "/api/v1/prompts", {"name": "Kept", "slug": "kept",
                                           "user_template": "x", "model": FREE_MODEL})
        r = c.post_form("/prompts/kept/versions", {"user_template": "y", "model": UNKNOWN})
        self.assertEqual(r.status, 422)
        self.assertIn(html.escape(UNKNOWN_MSG), r.text)
        self.assertEqual(self.versions(c), 1)

    def test_an_unknown_model_is_refused_by_the_api_and_nothing_saved(self):
        c = new_user(self.stack)
        want = {"error": {"type": "invalid_request_error", "message": UNKNOWN_MSG,
                          "field": "model"}}
        r = api(c, "POST", "/api/v1/prompts", {"name": "Bad", "user_template": "x",
                                               "model": UNKNOWN})
        self.assertEqual((r.status, r.json()), (400, want))
        self.assertEqual(self.count("prompts", c), 0)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Ok", "slug": "ok", "user_template": "x",
                                               "model": FREE_MODEL})
        self.assertEqual(r.status, 201, r.text)
        r = api(c, "POST", "/api/v1/prompts/ok/versions", {"user_template": "y",
                                                           "model": UNKNOWN})
        self.assertEqual((r.status, r.json()), (400, want))
        self.assertEqual(api(c, "GET", "/api/v1/prompts/ok").json()["latest_version"], 1)
        self.assertEqual(self.versions(c), 1)
        # a version that does not name a model keeps the previous one
        r = api(c, "POST", "/api/v1/prompts/ok/versions", {"user_template": "z"})
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(api(c, "GET", "/api/v1/prompts/ok/versions/2").json()["model"],
                         FREE_MODEL)
        # a model the plan cannot run may be saved (runs say what to do)
        r = api(c, "POST", "/api/v1/prompts/ok/versions", {"model": PAID_MODEL})
        self.assertEqual(r.status, 201, r.text)
        # a malformed id is still told as such
        r = api(c, "POST", "/api/v1/prompts/ok/versions", {"model": "not a model"})
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (400, "The model must be an identifier like openai/gpt-4o-mini."))

    def test_a_model_gone_from_the_catalog_is_refused(self):
        c = new_user(self.stack)
        gone = "mistralai/mistral-7b-instruct:free"
        self.stack.sql("UPDATE models SET active = 0 WHERE id = '%s'" % gone)
        try:
            r = api(c, "POST", "/api/v1/prompts", {"name": "Gone", "user_template": "x",
                                                   "model": gone})
            self.assertEqual((r.status, r.json()["error"]["message"]),
                             (400, '"%s" is not a model of the catalog: choose one of the'
                                   ' listed models.' % gone))
            self.assertEqual(self.count("prompts", c), 0)
        finally:
            self.stack.sql("UPDATE models SET active = 1 WHERE id = '%s'" % gone)

    def test_the_run_page_says_when_the_versions_model_is_not_on_the_plan(self):
        c = new_user(self.stack)
        api(c, "POST", "/api/v1/prompts", {"name": "Mini", "slug": "mini",
                                           "user_template": "Hi {{who}}", "model": MINI})
        page = c.get("/prompts/mini/run").text
        self.assertIn('<p class="alert" id="model-notice" role="status">This version\'s default'
                      ' model <span class="mono">openai/gpt-4o-mini</span> is not included in'
                      ' your Free plan: this run uses <span class="mono">%s</span> instead.'
                      ' <a href="/upgrade">Upgrade to run it</a>.</p>' % FREE_MODEL, page)
        self.assertEqual(selected_model(page), FREE_MODEL)
        self.assertRegex(page, r'<option value="%s" disabled>OpenAI: GPT-4o-mini [^<]* — upgrade'
                               r' to use</option>' % re.escape(MINI))
        # the page's own choice runs
        r = c.post_form("/prompts/mini/run", {"var.who": "you", "model": FREE_MODEL})
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("echo: Hi you", r.text)
        # on PRO the version's model runs, nothing to say
        r = self.stack.admin("set-plan", c.email, "PRO")
        self.assertEqual(r.returncode, 0, r.stderr)
        page = c.get("/prompts/mini/run").text
        self.assertNotIn('id="model-notice"', page)
        self.assertEqual(selected_model(page), MINI)

    def test_the_run_page_says_when_the_versions_model_left_the_catalog(self):
        c = new_user(self.stack)
        gone = "mistralai/mistral-7b-instruct:free"
        api(c, "POST", "/api/v1/prompts", {"name": "Old", "slug": "old",
                                           "user_template": "Hi", "model": gone})
        self.stack.sql("UPDATE models SET active = 0 WHERE id = '%s'" % gone)
        try:
            page = c.get("/prompts/old/run").text
            self.assertIn("This version's default model <span class=\"mono\">%s</span> is not in"
                          " the model catalog any more: this run uses <span class=\"mono\">%s"
                          "</span> instead.</p>" % (gone, FREE_MODEL), page)
        finally:
            self.stack.sql("UPDATE models SET active = 1 WHERE id = '%s'" % gone)

    def test_the_api_lists_the_catalog_with_what_the_plan_runs(self):
        c = new_user(self.stack)
        r = api(c, "GET", "/api/v1/models")
        self.assertEqual(r.status, 200, r.text)
        body = r.json()
        # OpenAI's list shape, of the models the plan can run
        self.assertEqual((body["object"], body["plan"]),
                         ("list", {"code": "FREE", "name": "Free"}))
        by_id = {m["id"]: m for m in body["data"]}
        self.assertIn(FREE_MODEL, by_id)
        self.assertNotIn(PAID_MODEL, by_id)
        self.assertEqual(by_id[FREE_MODEL]["object"], "model")
        r = api(new_user(self.stack, plan="PRO"), "GET", "/api/v1/models")
        by_id = {m["id"]: m for m in r.json()["data"]}
        self.assertEqual((by_id[PAID_MODEL]["prompt_usd_per_m"],
                          by_id[PAID_MODEL]["context_length"],
                          by_id[PAID_MODEL]["pricing"], by_id[PAID_MODEL]["owned_by"]),
                         ("2.5", 128000, {"prompt": "0.0000025", "completion": "0.00001"},
                          "openai"))
        self.assertEqual(Client(self.stack).get("/api/v1/models").status, 401)


class DemoCatalogTest(unittest.TestCase):
    """The demo stand-in (--demo, what scripts/stack.sh starts for a stack
    that is not a test stack) lists only the models a user should see."""

    def get(self, fake, path, body=None):
        req = urllib.request.Request(fake.base_url + path, data=body, headers={
            "Authorization": "Bearer sk-or-v1-x", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_demo_hides_the_test_model(self):
        with FakeOpenRouter(demo=True) as fake:
            status, doc = self.get(fake, "/models")
            ids = [m["id"] for m in doc["data"]]
            self.assertEqual(status, 200)
            self.assertNotIn("fake/fast", ids)
            self.assertIn(FREE_MODEL, ids)
            status, err = self.get(fake, "/chat/completions", json.dumps({
                "model": "fake/fast", "messages": [{"role": "user", "content": "x"}]}).encode())
            self.assertEqual((status, err["error"]["message"]),
                             (400, "fake/fast is not a valid model ID"))
        with FakeOpenRouter() as fake:          # the tests' stand-in keeps it
            self.assertIn("fake/fast", [m["id"] for m in self.get(fake, "/models")[1]["data"]])


if __name__ == "__main__":
    unittest.main()
