"""Numbers and words as people read them, through lighttpd and Apache:
decimals in their shortest form on every page, export and API answer
(those stored long before included); money rounded for reading with the
exact amount in the tooltip and the exact micro-dollars in JSON; plurals
from the catalog; times in words in <time> elements; an execution's codes
in words; the admin page's wording. And, over the files: no "(s)" left,
every plural key a template names is in the catalog."""
import glob
import json
import os
import re
import time
import unittest

from tests.integration.stack import PASSWORD, Client, Stack, api, new_user, stream_run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
PAID_MODEL = "openai/gpt-4o"
SERVERS = ("lighttpd", "apache")
LONG = ("0.69999999999999996", "0.29999999999999999")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def main_of(page):
    """The page's <main> (the menu and footer left out)."""
    m = re.search(r'<main id="main" class="main">(.*)</main>', page, re.S)
    return m.group(1) if m else page


def create_form(c, slug, temperature="0.7", top_p="0.3", template="Tell me about {{topic}}",
                model=FREE_MODEL, **extra):
    """Create a prompt through the site's form (where 0.7 became a binary
    float), returning its slug."""
    form = {"name": slug, "slug": slug, "user_template": template, "model": model,
            "temperature": temperature, "top_p": top_p,
            "var.topic.type": "string", "var.topic.required": "on"}
    form.update(extra)
    r = c.post_form("/prompts", form)
    assert r.status == 303, (r.status, r.text[:2000])
    return slug


def run_form(c, slug, variables=None, model=None):
    form = {"_csrf": c.api_token}
    for k, v in (variables or {"topic": "tides"}).items():
        form["var." + k] = v
    if model:
        form["model"] = model
    return c.request("POST", "/prompts/%s/run" % slug, form=form)


def last_execution_id(stack, c):
    return int(stack.sql("SELECT MAX(e.id) FROM executions e JOIN users u ON u.id = e.user_id"
                         " WHERE u.email = '%s'" % c.email)[0][0])


class WordsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.stack.set_clock(None)

    def assertNoLongDecimals(self, text, where):
        for s in LONG:
            self.assertNotIn(s, text, where)

    # ------------------------------------------------------------ decimals

    def test_decimals_shortest_everywhere(self):
        for server in SERVERS:
            with self.subTest(server=server):
                self.check_decimals(server)

    def check_decimals(self, server):
        c = new_user(self.stack, server=server, plan="PRO")
        slug = create_form(c, "temp-" + server)
        # the database holds the short form
        params = self.stack.sql("SELECT v.params FROM prompt_versions v JOIN prompts p"
                                " ON p.id = v.prompt_id WHERE p.slug = '%s'" % slug)[0][0]
        self.assertEqual(json.loads(params), {"temperature": 0.7, "top_p": 0.3})
        self.assertIn('"temperature":0.7', params.replace(" ", ""))
        # a second version with another temperature, for the diff
        r = c.post_form("/prompts/%s/versions" % slug, {
            "user_template": "Tell me about {{topic}}", "model": FREE_MODEL,
            "temperature": "0.3", "top_p": "0.1", "var.topic.type": "string",
            "var.topic.required": "on", "commit_message": "cooler"})
        self.assertEqual(r.status, 303, r.text[:2000])
        self.assertEqual(run_form(c, slug).status, 200)
        eid = last_execution_id(self.stack, c)
        pages = {
            "prompt": "/prompts/%s" % slug,
            "version": "/prompts/%s/versions/1" % slug,
            "edit": "/prompts/%s/edit" % slug,
            "diff": "/prompts/%s/diff?a=1&b=2" % slug,
            "run": "/prompts/%s/run?version=1" % slug,
            "execution": "/executions/%d" % eid,
            "export": "/prompts/%s/export" % slug,
        }
        for name, path in pages.items():
            r = c.get(path)
            self.assertEqual(r.status, 200, (name, r.text[:500]))
            self.assertNoLongDecimals(r.text, name)
        self.assertIn("0.7", c.get(pages["version"]).text)
        self.assertIn("<dt class=\"mono\">temperature</dt><dd>0.3</dd>",
                      c.get(pages["execution"]).text)
        export = c.get(pages["export"]).text
        self.assertIn('"temperature": 0.7', export)
        self.assertIn('"top_p": 0.3', export)
        for path in ("/api/v1/prompts/%s/versions/1" % slug, "/api/v1/prompts/%s/export" % slug,
                     "/api/v1/prompts/%s/versions" % slug):
            r = api(c, "GET", path)
            self.assertEqual(r.status, 200, r.text)
            self.assertNoLongDecimals(r.text, path)
        self.assertIn('"params":{"temperature":0.7,"top_p":0.3}',
                      api(c, "GET", "/api/v1/prompts/%s/versions/1" % slug).text)

    def test_long_forms_stored_before_read_back_short(self):
        """Rows written before the fix hold 0.69999999999999996: every page,
        export and API answer shows 0.7, and a new version stores 0.7."""
        c = new_user(self.stack, plan="PRO")
        slug = create_form(c, "legacy")
        self.assertEqual(run_form(c, slug).status, 200)
        eid = last_execution_id(self.stack, c)
        # versions are immutable: the old row is a version 2 put in by hand
        self.stack.sql("INSERT INTO prompt_versions (prompt_id, number, status, messages, model,"
                       " params, variables, commit_message, author_id, created_at)"
                       " SELECT v.prompt_id, 2, 'DRAFT', v.messages, v.model,"
                       " '{\"temperature\":0.69999999999999996,\"top_p\":0.40000000000000002}',"
                       " v.variables, 'old', v.author_id, v.created_at FROM prompt_versions v"
                       " JOIN prompts p ON p.id = v.prompt_id WHERE p.slug = 'legacy'"
                       " AND v.number = 1")
        self.stack.sql("UPDATE prompts SET latest_version = 2 WHERE slug = 'legacy'")
        self.stack.sql("UPDATE executions SET params = '{\"temperature\":0.69999999999999996}'"
                       " WHERE id = %d" % eid)
        self.assertIn("0.69999999999999996", self.stack.sql(
            "SELECT params FROM executions WHERE id = %d" % eid)[0][0])
        for path in ("/prompts/legacy", "/prompts/legacy/versions/2", "/prompts/legacy/edit",
                     "/prompts/legacy/diff?a=1&b=2", "/prompts/legacy/export",
                     "/executions/%d" % eid):
            r = c.get(path)
            self.assertEqual(r.status, 200, path)
            self.assertNoLongDecimals(r.text, path)
            # the diff shows what changed: top_p, 0.3 to 0.4
            self.assertIn("0.4" if "diff" in path else "0.7", r.text, path)
        for path in ("/api/v1/prompts/legacy/versions/2", "/api/v1/prompts/legacy/export"):
            r = api(c, "GET", path)
            self.assertNoLongDecimals(r.text, path)
            self.assertIn('"temperature":0.7', r.text.replace(" ", ""), path)
        # a version made through the API from the stored one
        r = api(c, "POST", "/api/v1/prompts/legacy/versions", {
            "commit_message": "again", "user_template": "Tell me more about {{topic}}"})
        self.assertEqual(r.status, 201, r.text)
        self.assertNoLongDecimals(r.text, "create")
        stored = self.stack.sql("SELECT v.params FROM prompt_versions v JOIN prompts p"
                                " ON p.id = v.prompt_id WHERE p.slug = 'legacy' AND v.number = 3")
        self.assertEqual(stored[0][0].replace(" ", ""), '{"temperature":0.7,"top_p":0.4}')

    def test_number_variables_keep_their_short_form(self):
        c = new_user(self.stack, plan="PRO")
        r = api(c, "POST", "/api/v1/prompts", {
            "name": "Ratio", "slug": "ratio", "user_template": "Scale by {{k}}",
            "model": FREE_MODEL, "variables": [{"name": "k", "type": "number", "required": True}]})
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(run_form(c, "ratio", {"k": "0.7"}).status, 200)
        eid = last_execution_id(self.stack, c)
        detail = c.get("/executions/%d" % eid).text
        self.assertIn("Scale by 0.7", detail)
        self.assertIn("<dt class=\"mono\">k</dt><dd>0.7</dd>", detail)
        self.assertNoLongDecimals(detail, "detail")
        stored = self.stack.sql("SELECT variables FROM executions WHERE id = %d" % eid)[0][0]
        self.assertEqual(stored.replace(" ", ""), '{"k":0.7}')

    # ------------------------------------------------------------ money

    def test_money_for_people_exact_in_tooltip_and_json(self):
        for server in SERVERS:
            with self.subTest(server=server):
                c = new_user(self.stack, server=server, plan="PRO")
                slug = create_form(c, "paid-" + server, model=PAID_MODEL)
                r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                        {"variables": {"topic": "api"}})
                self.assertEqual(r.status, 200, r.text)
                res = r.json()
                # exact in JSON: the integer, and the exact text
                self.assertEqual(res["cost_micros"], 70)
                self.assertEqual(res["cost"], "$0.000070")
                self.assertEqual(res["cost_display"], "< $0.0001")
                eid = res["id"]
                tip = ('<span class="money" title="$0.000070 exactly (70 micro-dollars)">'
                       '&lt; $0.0001</span>')
                self.assertIn(tip, c.get("/executions").text)
                self.assertIn(tip, c.get("/executions/%d" % eid).text)
                self.assertNotIn("$0.000000", c.get("/executions").text)
                # amounts of every size
                for micros, shown in ((0, "$0"), (5, "&lt; $0.0001"), (3100, "$0.0031"),
                                      (53100, "$0.053"), (1240000, "$1.24"),
                                      (1234567890, "$1,234.57")):
                    self.stack.sql("UPDATE executions SET cost_micros = %d WHERE id = %d"
                                   % (micros, eid))
                    page = c.get("/executions/%d" % eid).text
                    self.assertIn('">%s</span>' % shown, page, micros)
                    self.assertIn("(%d micro-dollar" % micros if micros else 'title="No cost"',
                                  page)

    def test_csv_export_keeps_exact_amounts(self):
        for server in SERVERS:
            with self.subTest(server=server):
                c = new_user(self.stack, server=server, plan="PRO")
                slug = create_form(c, "csv-" + server, model=PAID_MODEL)
                r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                        {"variables": {"topic": "api"}})
                self.assertEqual(r.status, 200, r.text)
                ok = r.json()["id"]
                self.assertEqual(run_form(c, slug, {"topic": "[[fake:status=502]]"}).status, 502)
                page = c.get("/executions?status=FAILED").text
                self.assertIn('href="/executions.csv?status=FAILED" download>Download CSV</a>', page)
                r = c.get("/executions.csv")
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
                self.assertIn('filename="executions.csv"', r.header("Content-Disposition"))
                lines = r.text.split("\r\n")
                self.assertEqual(lines[0], "id,created_at,prompt,version,model,channel,billing,"
                                 "status,error_type,input_tokens,output_tokens,cost_micros,"
                                 "latency_ms,ttft_ms")
                self.assertEqual(lines[-1], "")
                rows = [line.split(",") for line in lines[1:-1]]
                self.assertEqual(len(rows), 2)
                self.assertEqual(rows[1][0], str(ok))
                self.assertEqual(rows[1][2:12], [slug, "1", PAID_MODEL, "API", "SYSTEM",
                                                 "SUCCEEDED", "", "8", "5", "70"])
                self.assertRegex(rows[1][1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
                self.assertEqual(rows[0][7:9], ["FAILED", "upstream_error"])
                only = c.get("/executions.csv?status=FAILED").text.split("\r\n")
                self.assertEqual(len(only), 3)
                r = c.get("/executions.csv?from=yesterday")
                self.assertEqual(r.status, 400)
                self.assertIn("Dates are written YYYY-MM-DD (UTC).", r.text)
                # only one's own runs
                other = new_user(self.stack, server=server).get("/executions.csv").text
                self.assertEqual(other.split("\r\n")[1:], [""])

    # ------------------------------------------------------------ plurals

    def test_plurals_from_the_catalog(self):
        c = new_user(self.stack, plan="PRO")
        page = main_of(c.get("/categories").text)
        self.assertIn("No uncategorised prompts", page)
        create_form(c, "one")
        self.assertIn(">1 uncategorised prompt</a>", c.get("/categories").text)
        create_form(c, "two")
        self.assertIn(">2 uncategorised prompts</a>", c.get("/categories").text)
        r = api(c, "POST", "/api/v1/categories", {"name": "Work"})
        self.assertEqual(r.status, 201, r.text)
        cid = r.json()["id"]
        page = c.get("/categories").text
        self.assertIn("It holds no prompt.", page)
        self.assertIn(">0 prompts</a>", page)
        self.assertEqual(api(c, "PATCH", "/api/v1/prompts/one", {"category_id": cid}).status, 200)
        page = c.get("/categories").text
        self.assertIn("Its 1 prompt becomes uncategorised.", page)
        self.assertIn(">1 prompt</a>", page)
        self.assertIn(">1 uncategorised prompt</a>", page)
        # the delete page counts the versions
        self.assertIn("The prompt and its 1 version disappear", c.get("/prompts/one/delete").text)
        self.assertEqual(api(c, "POST", "/api/v1/prompts/one/versions",
                             {"commit_message": "v2",
                              "user_template": "Tell me about {{topic}}, briefly"}).status, 201)
        self.assertIn("The prompt and its 2 versions disappear", c.get("/prompts/one/delete").text)
        # the executions' totals
        self.assertIn("0 executions · 0 input tokens and 0 output tokens",
                      c.get("/executions").text)
        self.assertEqual(run_form(c, "two").status, 200)
        self.assertIn("1 execution · ", c.get("/executions").text)
        self.assertEqual(run_form(c, "two").status, 200)
        self.assertIn("2 executions · ", c.get("/executions").text)
        for path in ("/categories", "/executions", "/prompts/one/delete", "/dashboard"):
            self.assertNotIn("(s)", main_of(c.get(path).text), path)

    def test_no_s_in_parentheses_left(self):
        """No "(s)" in a template, a catalog or a C string a person reads."""
        found = []
        files = (glob.glob(os.path.join(ROOT, "templates", "**", "*.html"), recursive=True)
                 + glob.glob(os.path.join(ROOT, "templates", "messages", "*", "*.txt"))
                 + glob.glob(os.path.join(ROOT, "app", "*.c")))
        for path in files:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    text = line if path.endswith((".html", ".txt")) else \
                        " ".join(re.findall(r'"(?:[^"\\\\]|\\\\.)*"', line))
                    if re.search(r"[a-z]\(s\)", text):
                        found.append("%s:%d: %s" % (os.path.relpath(path, ROOT), n, line.strip()))
        self.assertEqual(found, [])

    def test_every_key_a_template_names_is_in_the_catalog(self):
        keys = set()
        for path in glob.glob(os.path.join(ROOT, "templates", "messages", "en", "*.txt")):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if "=" in line and not line.lstrip().startswith("#"):
                        keys.add(line.split("=", 1)[0].strip())
        missing = []
        for path in glob.glob(os.path.join(ROOT, "templates", "**", "*.html"), recursive=True):
            text = read(path)
            for key in re.findall(r"\|count:([a-z0-9_.]+)\}\}", text):
                for form in ("one", "other"):
                    if key + "." + form not in keys:
                        missing.append("%s: %s.%s" % (os.path.basename(path), key, form))
            for prefix in re.findall(r"\|msg:([a-z0-9_.]+)\}\}", text):
                if not any(k.startswith(prefix + ".") for k in keys):
                    missing.append("%s: %s.*" % (os.path.basename(path), prefix))
        for path in glob.glob(os.path.join(ROOT, "templates", "messages", "en", "*.txt")):
            for key in re.findall(r"\{[a-z_]+:([a-z0-9_.]+)\}", read(path)):
                for form in ("one", "other"):
                    if key + "." + form not in keys:
                        missing.append("%s: %s.%s" % (os.path.basename(path), key, form))
        self.assertEqual(missing, [])
        # and the values the codes take have words
        for code in ("UI", "API"):
            self.assertIn("exec.channel." + code, keys)
        for code in ("SYSTEM", "BYOK"):
            self.assertIn("exec.billing." + code, keys)
        for code in ("none", "provider", "price_table"):
            self.assertIn("exec.cost_source." + code, keys)
        for code in ("RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"):
            self.assertIn("exec.status." + code, keys)
        for code in ("upstream_timeout", "upstream_unreachable", "upstream_error",
                     "upstream_bad_response", "upstream_stream_error", "upstream_dropped",
                     "cancelled", "upstream_rate_limited", "interrupted"):
            self.assertIn("exec.error." + code, keys)

    def test_throttle_sentence_in_the_plural(self):
        """A sentence of the C code with {minutes:count.minutes}."""
        c = Client(self.stack)
        email = "throttle-%d@example.com" % int(time.time() * 1000)
        self.assertEqual(c.signup(email, PASSWORD).status, 303)
        d = Client(self.stack)
        for _ in range(12):
            r = d.login(email, "wrong-password-1")
            if r.status == 429:
                break
        self.assertEqual(r.status, 429, r.text[:300])
        m = re.search(r"Try again in (\d+) (minutes?)\.", r.text)
        self.assertIsNotNone(m, r.text[:3000])
        self.assertEqual(m.group(2), "minute" if m.group(1) == "1" else "minutes")

    # ------------------------------------------------------------ times

    def test_times_in_words_with_the_exact_time(self):
        c = new_user(self.stack, plan="PRO")
        t0 = 1733033133                      # 2024-12-01T06:05:33Z
        self.stack.set_clock(t0)
        create_form(c, "clock")
        self.assertEqual(run_form(c, "clock").status, 200)
        exact = '<time datetime="2024-12-01T06:05:33Z" title="2024-12-01 06:05:33 UTC">'
        for path in ("/executions", "/prompts", "/dashboard"):
            page = c.get(path).text
            self.assertIn(exact + "just now</time>", page, path)
            self.assertNotIn(">2024-12-01T06:05:33Z<", page, path)
        self.stack.set_clock(t0 + 150)
        self.assertIn(exact + "2 min ago</time>", c.get("/executions").text)
        self.stack.set_clock(t0 + 3 * 3600 + 5)
        self.assertIn(exact + "3 h ago</time>", c.get("/prompts").text)
        self.stack.set_clock(t0 + 2 * 86400)
        self.assertIn(exact + "1 Dec 06:05 UTC</time>", c.get("/executions").text)
        self.stack.set_clock(t0 + 40 * 86400)           # another year
        self.assertIn(exact + "1 Dec 2024, 06:05 UTC</time>", c.get("/executions").text)
        eid = last_execution_id(self.stack, c)
        detail = c.get("/executions/%d" % eid).text
        self.assertIn("<th>Started</th><td>" + exact + "1 Dec 2024, 06:05 UTC</time>", detail)
        version = c.get("/prompts/clock/versions/1").text
        self.assertIn(exact + "1 Dec 2024, 06:05 UTC</time>", version)

    # ------------------------------------------------------------ execution words

    def test_execution_words(self):
        c = new_user(self.stack, plan="PRO")
        slug = create_form(c, "words", model=PAID_MODEL)
        # from the site, cost from the provider
        self.assertEqual(run_form(c, slug).status, 200)
        site = last_execution_id(self.stack, c)
        # through the API, cost from the price table
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                {"variables": {"topic": "one two [[fake:no_cost=1]]"}})
        self.assertEqual(r.status, 200, r.text)
        priced = r.json()["id"]
        # a provider failure
        self.assertEqual(run_form(c, slug, {"topic": "[[fake:status=502]]"}).status, 502)
        failed = last_execution_id(self.stack, c)
        page = c.get("/executions/%d" % site).text
        self.assertIn("<th>How it ran</th><td>Run from the site · Platform key</td>", page)
        self.assertIn("Cost reported by the model provider", page)
        self.assertNotIn("UI · SYSTEM", page)
        page = c.get("/executions/%d" % priced).text
        self.assertIn("Run through the API · Platform key", page)
        self.assertIn("Cost estimated from the model&#39;s prices", page)
        self.assertNotIn("price_table", page)
        page = c.get("/executions/%d" % failed).text
        self.assertIn(">Failed</span>", page)
        self.assertIn("The model provider returned an error.", page)
        self.assertIn("(HTTP 502: ", page)
        self.assertNotIn("upstream_error", page)
        listing = c.get("/executions").text
        self.assertIn("Run from the site · Platform key", listing)
        self.assertIn("Run through the API · Platform key", listing)
        self.assertNotIn("SYSTEM<", listing)
        self.assertIn('<option value="SYSTEM">Platform key</option>', listing)

    def test_stopped_run_says_so(self):
        for server in SERVERS:
            with self.subTest(server=server):
                c = new_user(self.stack, server=server, plan="PRO")
                slug = create_form(c, "stop-" + server, template="{{topic}}")
                body = "_csrf=%s&var.topic=%s" % (c.api_token,
                                                  "go+[[fake:words=400,chunk_delay_ms=50]]")
                conn, resp = stream_run(self.stack, c, server, slug, body)
                self.assertEqual(resp.status, 200)
                self.assertIn(b"event: delta", resp.read1(200))
                conn.sock.close()                       # the Stop button
                conn.close()
                for _ in range(100):
                    time.sleep(0.1)
                    st = self.stack.sql("SELECT e.status, e.id FROM executions e JOIN users u"
                                        " ON u.id = e.user_id WHERE u.email = '%s'" % c.email)
                    if st and st[-1][0] != "RUNNING":
                        break
                self.assertEqual(st[-1][0], "CANCELLED")
                page = c.get("/executions/%s" % st[-1][1]).text
                self.assertIn(">Stopped</span>", page)
                self.assertIn("<th>What happened</th><td>You stopped this run.</td>", page)
                self.assertNotIn("upstream HTTP", page)
                self.assertNotIn("cancelled", page.lower())
                self.assertIn(">Stopped</span>", c.get("/executions").text)

    # ------------------------------------------------------------ admin

    def test_admin_page_wording(self):
        email = "root-%d@example.com" % int(time.time() * 1000)
        self.assertEqual(self.stack.admin("create-admin", email, input=PASSWORD + "\n").returncode, 0)
        a = Client(self.stack)
        self.assertEqual(a.login(email, PASSWORD).status, 303)
        page = main_of(a.get("/admin").text)
        self.assertIn("Active plan catalog: <strong>prompt-manager</strong>, offering Free and Pro.",
                      page)
        self.assertNotIn(" )", page)
        self.assertNotIn("Allowed · remove", page)
        self.assertIn('aria-label="Allow openai/gpt-4o on the free plan">Allow</button>', page)
        self.assertIn('<span class="badge production">Allowed</span>', page)
        self.assertIn(">Stop allowing</button>", page)
        try:
            self.assertEqual(self.stack.admin("plans", "load", "agents-platform").returncode, 0)
            self.assertIn(", offering Free, Pro, Team and Enterprise.", a.get("/admin").text)
        finally:
            self.assertEqual(self.stack.admin("plans", "load", "prompt-manager").returncode, 0)


if __name__ == "__main__":
    unittest.main()
