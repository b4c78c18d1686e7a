"""The dashboard through lighttpd and Apache: the plan and what is left of
it today and this month with the reset times, the recent prompts and
executions (linked, with status and cost), the first steps of a new
account and which are done, empty states, other users' data never shown;
Categories and the dashboard in the main menu; the analytics page says
plainly what it will show, and billing names the plan."""
import re
import time
import unittest

from tests.integration.stack import Client, Stack, api, clear_of_utc_midnight, new_user

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
PAID_MODEL = "openai/gpt-4o"
SERVERS = ("lighttpd", "apache")


def main_of(page):
    m = re.search(r'<main id="main" class="main">(.*)</main>', page, re.S)
    return m.group(1) if m else page


def section(page, title):
    """The card of the dashboard whose heading is title."""
    m = re.search(r"<h2[^>]*>%s</h2>(.*?)</(?:article|section)>" % re.escape(title), page, re.S)
    assert m, title
    return m.group(1)


def make_prompt(c, slug, model=FREE_MODEL):
    r = api(c, "POST", "/api/v1/prompts", {"name": slug.title(), "slug": slug,
                                           "user_template": "Tell me about {{topic}}",
                                           "model": model})
    assert r.status == 201, r.text
    return slug


def run(c, slug, topic="tides", model=None):
    form = {"_csrf": c.api_token, "var.topic": topic}
    if model:
        form["model"] = model
    return c.request("POST", "/prompts/%s/run" % slug, form=form)


def step_state(page, title):
    """"Done" or "To do", the badge of the first step named title."""
    m = re.search(r'<span class="badge [a-z]+">(Done|To do)</span>\s*<strong>%s</strong>'
                  % re.escape(title), page)
    assert m, title
    return m.group(1)


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        clear_of_utc_midnight()
        self.stack.set_clock(None)

    def test_new_account_walks_the_first_steps(self):
        for server in SERVERS:
            with self.subTest(server=server):
                self.walk(server)

    def walk(self, server):
        c = new_user(self.stack, server=server)
        page = main_of(c.get("/dashboard").text)
        # a new account: every step to do, empty states, the FREE plan
        self.assertIn("0 of 3 done.", page)
        for step in ("Create a prompt.", "Run it.", "Promote it."):
            self.assertEqual(step_state(page, step), "To do")
        self.assertIn('<a href="/prompts/new">Create a prompt</a>', page)
        self.assertIn("You have no prompts yet.", section(page, "Recent prompts"))
        self.assertIn("No runs yet.", section(page, "Recent executions"))
        plan = section(page, "Your plan")
        self.assertIn("<strong>Free</strong> · <a href=\"/pricing\">Upgrade</a>", plan)
        self.assertIn("<strong>3</strong> of 3 runs left today; resets at midnight UTC (<time datetime=", plan)
        self.assertIn("No monthly limit.", plan)
        self.assertIn("0 executions today", plan)
        # the reset is the next UTC midnight, exactly in the title
        now = time.time()
        midnight = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(now + 86400))
        self.assertIn('<time datetime="%s" title="%s UTC">in ' %
                      (midnight, midnight[:10] + " 00:00:00"), plan)
        # step 1: a prompt
        slug = make_prompt(c, "first-" + server)
        page = main_of(c.get("/dashboard").text)
        self.assertIn("1 of 3 done.", page)
        self.assertEqual(step_state(page, "Create a prompt."), "Done")
        self.assertEqual(step_state(page, "Run it."), "To do")
        self.assertIn('<a href="/prompts/%s/run">Run “%s”</a>' % (slug, slug), page)
        recent = section(page, "Recent prompts")
        self.assertIn('<a href="/prompts/%s">First-%s</a>' % (slug, server.title()), recent)
        self.assertIn('<span class="badge draft">draft</span>', recent)
        self.assertIn(">just now</time>", recent)
        # step 2: a run
        self.assertEqual(run(c, slug).status, 200)
        eid = int(self.stack.sql("SELECT MAX(e.id) FROM executions e JOIN users u ON"
                                 " u.id = e.user_id WHERE u.email = '%s'" % c.email)[0][0])
        page = main_of(c.get("/dashboard").text)
        self.assertIn("2 of 3 done.", page)
        self.assertEqual(step_state(page, "Run it."), "Done")
        self.assertEqual(step_state(page, "Promote it."), "To do")
        self.assertIn('<a href="/prompts/%s">Open “%s”</a>' % (slug, slug), page)
        execs = section(page, "Recent executions")
        self.assertIn('<a href="/executions/%d">#%d First-%s v1</a>' % (eid, eid, server.title()),
                      execs)
        self.assertIn('<span class="badge production">Succeeded</span>', execs)
        self.assertIn('<span class="money" title="No cost">$0</span>', execs)
        plan = section(page, "Your plan")
        self.assertIn("<strong>2</strong> of 3 runs left today", plan)
        self.assertIn("1 execution today", plan)
        self.assertIn("1 execution this month", plan)
        # step 3: promoted; the guide has done its job
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug).status, 200)
        page = main_of(c.get("/dashboard").text)
        self.assertNotIn("First steps", page)
        self.assertIn('<span class="badge production">v1 in production</span>',
                      section(page, "Recent prompts"))
        # no runs left: said plainly
        self.assertEqual(run(c, slug).status, 200)
        self.assertEqual(run(c, slug).status, 200)
        plan = section(main_of(c.get("/dashboard").text), "Your plan")
        self.assertIn('<p class="warn"><strong>0</strong> of 3 runs left today', plan)

    def test_recent_lists_are_the_newest_and_only_mine(self):
        c = new_user(self.stack, plan="PRO")
        for i in range(7):
            make_prompt(c, "p%d" % i)
        self.assertEqual(run(c, "p0").status, 200)
        self.assertEqual(run(c, "p1", topic="[[fake:status=502]]").status, 502)
        r = api(c, "POST", "/api/v1/prompts/p2/execute",
                {"variables": {"topic": "api"}, "model": PAID_MODEL})
        self.assertEqual(r.status, 200, r.text)
        paid = r.json()
        page = main_of(c.get("/dashboard").text)
        recent = section(page, "Recent prompts")
        self.assertEqual(re.findall(r'<li><a href="/prompts/([a-z0-9-]+)">', recent),
                         ["p6", "p5", "p4", "p3", "p2"])
        self.assertIn('<a class="small" href="/prompts">All prompts</a>', recent)
        execs = section(page, "Recent executions")
        ids = [int(x) for x in re.findall(r'<a href="/executions/(\d+)">', execs)]
        self.assertEqual(len(ids), 3)
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(ids[0], paid["id"])
        self.assertIn(">Failed</span>", execs)
        self.assertIn('title="$0.000070 exactly (70 micro-dollars)">&lt; $0.0001</span>', execs)
        plan = section(page, "Your plan")
        self.assertIn("<strong>Pro</strong>", plan)
        self.assertNotIn("Upgrade", plan)
        self.assertIn("No daily limit.", plan)
        self.assertIn("No monthly limit.", plan)
        self.assertIn("3 executions today", plan)
        # first steps: ran (p0 succeeded), not promoted
        self.assertEqual(step_state(page, "Run it."), "Done")
        self.assertEqual(step_state(page, "Promote it."), "To do")
        # someone else sees none of it
        other = main_of(new_user(self.stack).get("/dashboard").text)
        self.assertIn("You have no prompts yet.", other)
        self.assertIn("No runs yet.", other)
        self.assertNotIn("/prompts/p6", other)
        self.assertNotIn("/executions/%d" % paid["id"], other)

    def test_month_limits_and_spend_with_their_resets(self):
        """A catalog with a monthly count and budget (gateway) and one with
        a daily spend cap (agents-platform)."""
        stack = self.stack
        c = new_user(stack)
        make_prompt(c, "month", model="openai/gpt-4o-mini")
        try:
            self.assertEqual(stack.admin("plans", "load", "gateway").returncode, 0)
            page = main_of(c.get("/dashboard").text)
            plan = section(page, "Your plan")
            self.assertIn("No daily limit.", plan)
            self.assertIn("<strong>10000</strong> of 10000 runs left this month, resets", plan)
            self.assertIn("$10.00</span> of the", plan)
            now = time.time()
            t = time.gmtime(now)
            nxt = "%04d-%02d-01T00:00:00Z" % ((t.tm_year + 1, 1) if t.tm_mon == 12
                                               else (t.tm_year, t.tm_mon + 1))
            self.assertIn('resets <time datetime="%s"' % nxt, plan)
            self.assertEqual(stack.admin("plans", "load", "agents-platform").returncode, 0)
            plan = section(main_of(c.get("/dashboard").text), "Your plan")
            self.assertIn("daily spend cap left; resets at midnight UTC.", plan)
            self.assertIn("<strong>100</strong> of 100 runs left this month", plan)
        finally:
            self.assertEqual(stack.admin("plans", "load", "prompt-manager").returncode, 0)

    def test_menu_has_categories_and_the_dashboard(self):
        c = new_user(self.stack)
        nav = c.get("/prompts").text
        self.assertIn('<a href="/categories" >Categories</a>', nav)
        self.assertIn('<a href="/dashboard" >Dashboard</a>', nav)
        cats = c.get("/categories").text
        self.assertIn('<a href="/categories" aria-current="page">Categories</a>', cats)
        self.assertIn('<a href="/prompts" >Prompts</a>', cats)
        self.assertIn('<a href="/dashboard" aria-current="page">Dashboard</a>',
                      c.get("/dashboard").text)

    def test_analytics_says_what_will_be_there(self):
        c = new_user(self.stack)
        page = main_of(c.get("/analytics").text)
        self.assertIn("Not built yet", page)
        self.assertIn("how many runs there were", page)
        self.assertIn('<a href="/executions">Executions</a>', page)
        self.assertNotIn("once you run prompts", page)
        self.assertNotIn("Charts", page)

    def test_billing_names_the_plan_in_words(self):
        page = main_of(new_user(self.stack).get("/billing").text)
        self.assertIn("<h2>Your plan: Free</h2>", page)
        page = main_of(new_user(self.stack, plan="PRO").get("/billing").text)
        self.assertIn("<h2>Your plan: Pro</h2>", page)
        self.assertNotIn("FREE", page)

    def test_dashboard_needs_a_session(self):
        for server in SERVERS:
            with self.subTest(server=server):
                r = Client(self.stack, server=server).get("/dashboard")
                self.assertEqual(r.status, 303)
                self.assertTrue(r.header("Location").startswith("/login"), r.header("Location"))


if __name__ == "__main__":
    unittest.main()
