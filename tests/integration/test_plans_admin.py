"""Plan catalogs through pm-admin: "plans load FILE" is idempotent, switches
the active catalog and retires plans that leave a file without deleting
them; "set-plan EMAIL PLAN" assigns a plan of the active catalog and fails
clearly, changing nothing, for an unknown user or plan.

The stack is private: loading other catalogs changes what every user may
do. stack.sh itself loads conf/plans/prompt-manager.json at start."""
import json
import os
import re
import time
import unittest

from tests.integration.stack import ROOT, Client, Stack

PASSWORD = "correct-horse-battery"
T0 = 1900000000     # the pinned application clock (UTC epoch seconds)
PM_FILE = "conf/plans/prompt-manager.json"

PLAN_COLS = (
    "id, catalog, code, name, position, is_default, is_public,"
    " price_monthly_cents, price_annual_cents, price_byok_monthly_cents,"
    " price_byok_annual_cents, price_per_seat, price_custom,"
    " executions_per_day, executions_per_month, limits_per_seat,"
    " counted_channels, allowed_channels, burst_per_minute, burst_per_day,"
    " soft_cap_per_month, throttle_per_minute, models, model_list,"
    " byok_models, api_access, api_keys, byok_allowed, log_retention_days,"
    " cache_ttl_hours, daily_spend_cap_micros, monthly_budget_micros,"
    " max_tokens_per_execution, sandbox_tries_per_day, seats_included,"
    " seats_max, features, created_at, updated_at")


class PlansAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1).start()
        cls.n = 0
        cls.clock = T0
        cls.stack.set_clock(T0)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        # every test starts from the shipped prompt-manager catalog
        r = self.load(PM_FILE)
        self.assertEqual(r.returncode, 0, r.stderr)

    # -- helpers
    def tick(self, seconds=3600):
        """Move the application clock on, so a rewritten row would show a
        new updated_at."""
        PlansAdminTest.clock += seconds
        self.stack.set_clock(PlansAdminTest.clock)

    def load(self, path):
        return self.stack.admin("plans", "load", path)

    def set_plan(self, email, code):
        return self.stack.admin("set-plan", email, code)

    def rows(self, where="1"):
        return self.stack.sql("SELECT %s FROM plans WHERE %s ORDER BY id" % (PLAN_COLS, where))

    def plan(self, catalog, code):
        rows = self.stack.sql(
            "SELECT code, is_default, is_public, executions_per_day,"
            " executions_per_month, allowed_channels, counted_channels, models,"
            " api_access, api_keys, byok_allowed, byok_models,"
            " price_monthly_cents, price_annual_cents, burst_per_minute,"
            " soft_cap_per_month, throttle_per_minute, limits_per_seat,"
            " model_list, features"
            " FROM plans WHERE catalog = '%s' AND code = '%s'" % (catalog, code))
        self.assertEqual(len(rows), 1, (catalog, code))
        keys = ("code is_default is_public executions_per_day executions_per_month"
                " allowed_channels counted_channels models api_access api_keys"
                " byok_allowed byok_models price_monthly_cents price_annual_cents"
                " burst_per_minute soft_cap_per_month throttle_per_minute"
                " limits_per_seat model_list features").split()
        return dict(zip(keys, rows[0]))

    def active(self):
        rows = self.stack.sql("SELECT value FROM app_settings WHERE name = 'plans.catalog'")
        return rows[0][0] if rows else None

    def assignments(self):
        return self.stack.sql(
            "SELECT u.email, p.catalog, p.code, up.source, up.assigned_at"
            " FROM user_plans up JOIN users u ON u.id = up.user_id"
            " JOIN plans p ON p.id = up.plan_id ORDER BY u.id")

    def user(self):
        PlansAdminTest.n += 1
        email = "plans%d-%d@example.com" % (PlansAdminTest.n, int(time.time() * 1000) % 10**9)
        r = Client(self.stack).signup(email, PASSWORD)
        self.assertEqual(r.status, 303, r.text)
        return email

    def plan_seen(self, email):
        """The plan name the run page shows the user: what plan_for_user
        decides, not what a table holds."""
        c = Client(self.stack)
        self.assertEqual(c.login(email, PASSWORD).status, 303)
        token = c.csrf("/dashboard")
        c.request("POST", "/api/v1/prompts", headers={"X-CSRF-Token": token}, json={
            "name": "Seen", "slug": "seen", "model": "openai/gpt-4o-mini",
            "user_template": "x"})             # 201, or 409 the second time
        page = c.get("/prompts/seen/run").text
        m = re.search(r"Plan: <strong>([^<]*)</strong>", page)
        self.assertIsNotNone(m, page)
        return m.group(1)

    def write_catalog(self, name, change):
        """A copy of the prompt-manager catalog changed by change(doc), in
        the stack's directory; returns its path."""
        with open(os.path.join(ROOT, PM_FILE)) as f:
            doc = json.load(f)
        change(doc)
        path = self.stack.path(name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    # -- tests
    def test_first_load_at_start_and_values(self):
        # stack.sh loaded the catalog into an empty table
        log = self.stack.log_text("migrate.log")
        self.assertIn("catalog prompt-manager (", log)
        self.assertIn("2 plans, 2 changed (2 added, 0 updated, 0 retired);"
                      " active catalog: prompt-manager (was none)", log)
        self.assertEqual(self.active(), "prompt-manager")
        free = self.plan("prompt-manager", "FREE")
        self.assertEqual(free["is_default"], "1")
        self.assertEqual(free["is_public"], "1")
        self.assertEqual(free["executions_per_day"], "3")
        self.assertEqual(free["executions_per_month"], "NULL")
        self.assertEqual(free["allowed_channels"], "ui")
        self.assertEqual(free["counted_channels"], "ui")
        self.assertEqual(free["models"], "free")
        self.assertEqual(json.loads(free["model_list"]), [])
        self.assertEqual(free["api_access"], "0")
        self.assertEqual(free["api_keys"], "0")
        self.assertEqual(free["byok_allowed"], "0")
        self.assertEqual(free["byok_models"], "none")
        self.assertEqual(free["price_monthly_cents"], "0")
        pro = self.plan("prompt-manager", "PRO")
        self.assertEqual(pro["is_default"], "0")
        self.assertEqual(pro["price_monthly_cents"], "700")
        self.assertEqual(pro["price_annual_cents"], "7000")
        self.assertEqual(pro["executions_per_day"], "NULL")
        self.assertEqual(pro["allowed_channels"], "ui,api")
        self.assertEqual(pro["api_access"], "1")
        self.assertEqual(pro["api_keys"], "NULL")
        self.assertEqual(pro["models"], "all")
        self.assertEqual(pro["byok_models"], "all")
        self.assertTrue(json.loads(pro["features"])["priority_support"])

    def test_load_twice_changes_nothing(self):
        before = self.rows()
        self.tick()
        for _ in range(2):
            r = self.load(PM_FILE)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(),
                             "catalog prompt-manager (%s): 2 plans, 0 changed (0 added,"
                             " 0 updated, 0 retired); active catalog: prompt-manager"
                             " (unchanged)" % PM_FILE)
            self.assertEqual(r.stderr, "")
            self.assertEqual(self.rows(), before)
            self.assertEqual(self.active(), "prompt-manager")

    def test_other_catalogs_switch_the_active_one(self):
        pm_rows = self.rows("catalog = 'prompt-manager'")
        # a bare name is looked up in plans_dir
        r = self.load("gateway")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("catalog gateway (", r.stdout)
        self.assertIn(": 3 plans, ", r.stdout)
        self.assertIn("active catalog: gateway (was prompt-manager)", r.stdout)
        self.assertEqual(self.active(), "gateway")
        gw = self.rows("catalog = 'gateway'")
        self.assertEqual([row[2] for row in gw], ["FREE", "PRO", "SCALE"])
        free = self.plan("gateway", "FREE")
        self.assertEqual(free["burst_per_minute"], "10")
        self.assertEqual(free["executions_per_month"], "10000")
        self.assertEqual(free["models"], "whitelist")
        self.assertEqual(json.loads(free["model_list"]), ["openai/gpt-4o-mini"])
        self.assertEqual(free["allowed_channels"], "api")
        # the same file by path: nothing changes
        self.tick()
        r = self.load("conf/plans/gateway.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 plans, 0 changed (0 added, 0 updated, 0 retired);"
                      " active catalog: gateway (unchanged)", r.stdout)
        self.assertEqual(self.rows("catalog = 'gateway'"), gw)
        r = self.load("agents-platform.json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("active catalog: agents-platform (was gateway)", r.stdout)
        pro = self.plan("agents-platform", "PRO")
        self.assertEqual((pro["executions_per_month"], pro["soft_cap_per_month"],
                          pro["throttle_per_minute"]), ("5000", "3000", "1"))
        self.assertEqual(self.plan("agents-platform", "TEAM")["limits_per_seat"], "1")
        # back: the prompt-manager rows were never touched
        r = self.load(PM_FILE)
        self.assertIn("2 plans, 0 changed (0 added, 0 updated, 0 retired);"
                      " active catalog: prompt-manager (was agents-platform)", r.stdout)
        self.assertEqual(self.rows("catalog = 'prompt-manager'"), pm_rows)
        self.assertEqual(self.active(), "prompt-manager")
        # one default per catalog
        self.assertEqual(self.stack.sql(
            "SELECT catalog, COUNT(*) FROM plans WHERE is_default GROUP BY catalog"
            " ORDER BY catalog"),
            [("agents-platform", "1"), ("gateway", "1"), ("prompt-manager", "1")])

    def test_the_next_execution_follows_each_load(self):
        """Workers keep the catalogs in memory: what a load changes applies
        to the very next run, and to the run page, without a restart."""
        email = self.user()
        self.assertEqual(self.set_plan(email, "PRO").returncode, 0)
        c = Client(self.stack)
        self.assertEqual(c.login(email, PASSWORD).status, 303)
        token = c.csrf("/dashboard")
        r = c.request("POST", "/api/v1/prompts", headers={"X-CSRF-Token": token}, json={
            "name": "Capped", "slug": "capped", "model": "openai/gpt-4o-mini",
            "user_template": "Say hi"})
        self.assertEqual(r.status, 201, r.text)

        def run():
            return c.request("POST", "/api/v1/prompts/capped/execute",
                             headers={"X-CSRF-Token": token}, json={"max_tokens": 500})
        self.assertEqual(run().status, 200)
        self.assertEqual(self.plan_seen(email), "Pro")

        def cap(doc):
            for p in doc["plans"]:
                if p["code"] == "PRO":
                    p["max_tokens_per_execution"] = 100
                    p["name"] = "Pro capped"
        self.assertEqual(self.load(self.write_catalog("capped.json", cap)).returncode, 0)
        r = run()
        self.assertEqual(r.status, 403, r.text)
        self.assertEqual(r.json()["error"]["message"],
                         "max_tokens 500 is over your plan's limit of 100 tokens per execution.")
        self.assertEqual(self.plan_seen(email), "Pro capped")
        self.assertEqual(self.load(PM_FILE).returncode, 0)
        self.assertEqual(run().status, 200)
        self.assertEqual(self.plan_seen(email), "Pro")

    def test_set_plan(self):
        email = self.user()
        self.tick()
        r = self.set_plan(email, "PRO")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "plan PRO assigned to %s" % email)
        mine = [a for a in self.assignments() if a[0] == email]
        self.assertEqual(mine, [(email, "prompt-manager", "PRO", "admin",
                                 str(PlansAdminTest.clock))])
        # codes in any letter case; the assignment is replaced
        r = self.set_plan(email, "free")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "plan FREE assigned to %s" % email)
        self.assertEqual([a[2] for a in self.assignments() if a[0] == email], ["FREE"])
        self.assertEqual(self.set_plan(email, "PRO").returncode, 0)
        before = self.assignments()

        r = self.set_plan("nobody-%d@example.com" % T0, "PRO")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(),
                         "pm-admin: no user with email nobody-%d@example.com" % T0)
        self.assertEqual(r.stdout, "")
        r = self.set_plan(email, "GOLD")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), 'pm-admin: unknown plan "GOLD" in catalog'
                         ' prompt-manager (valid plans: FREE, PRO)')
        r = self.set_plan("not-an-email", "PRO")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), 'pm-admin: invalid email address "not-an-email"')
        # a plan of another catalog is unknown in this one
        self.assertEqual(self.load("gateway").returncode, 0)
        self.assertEqual(self.load(PM_FILE).returncode, 0)
        r = self.set_plan(email, "SCALE")
        self.assertEqual(r.returncode, 1)
        self.assertIn('unknown plan "SCALE" in catalog prompt-manager', r.stderr)
        self.assertEqual(self.assignments(), before)

    def test_assignments_follow_the_active_catalog(self):
        email = self.user()
        self.assertEqual(self.plan_seen(email), "Free")     # the default plan
        self.assertEqual(self.set_plan(email, "PRO").returncode, 0)
        self.assertEqual(self.plan_seen(email), "Pro")
        # another catalog: the assignment to prompt-manager's PRO does not
        # apply there; the user has that catalog's default plan
        self.assertEqual(self.load("agents-platform").returncode, 0)
        self.assertEqual(self.plan_seen(email), "Free")
        self.assertEqual(self.set_plan(email, "TEAM").returncode, 0)
        self.assertEqual(self.plan_seen(email), "Team")
        # back: the user's one assignment is to another catalog's plan, so
        # the default applies again
        self.assertEqual(self.load(PM_FILE).returncode, 0)
        self.assertEqual(self.plan_seen(email), "Free")

    def test_plan_missing_from_file_is_kept_not_public(self):
        email = self.user()
        self.assertEqual(self.set_plan(email, "PRO").returncode, 0)
        pro_id = self.rows("catalog = 'prompt-manager' AND code = 'PRO'")[0][0]
        path = self.write_catalog("free-only.json", lambda d: d.update(
            plans=[p for p in d["plans"] if p["code"] == "FREE"]))
        self.tick()
        r = self.load(path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 plan, 1 changed (0 added, 0 updated, 1 retired)", r.stdout)
        self.assertIn("retired PRO (Pro): not in the file, kept for its users,"
                      " no longer public", r.stdout)
        pro = self.plan("prompt-manager", "PRO")
        self.assertEqual((pro["is_public"], pro["is_default"]), ("0", "0"))
        self.assertEqual(self.rows("catalog = 'prompt-manager' AND code = 'PRO'")[0][0], pro_id)
        self.assertIn((email, "prompt-manager", "PRO"),
                      [a[:3] for a in self.assignments()])
        self.assertEqual(self.plan_seen(email), "Pro")     # the retired plan still applies
        # again: nothing more to retire
        r = self.load(path)
        self.assertIn("1 plan, 0 changed (0 added, 0 updated, 0 retired)", r.stdout)
        # back in the file: public again, same row
        r = self.load(PM_FILE)
        self.assertIn("2 plans, 1 changed (0 added, 1 updated, 0 retired)", r.stdout)
        self.assertIn("updated PRO (Pro)", r.stdout)
        self.assertEqual(self.plan("prompt-manager", "PRO")["is_public"], "1")
        self.assertEqual(self.rows("catalog = 'prompt-manager' AND code = 'PRO'")[0][0], pro_id)

    def test_default_can_move(self):
        def pro_default(d):
            d["plans"][0]["default"] = False
            d["plans"][1]["default"] = True
        path = self.write_catalog("pro-default.json", pro_default)
        r = self.load(path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 plans, 2 changed (0 added, 2 updated, 0 retired)", r.stdout)
        self.assertEqual(self.plan("prompt-manager", "PRO")["is_default"], "1")
        self.assertEqual(self.plan("prompt-manager", "FREE")["is_default"], "0")
        r = self.load(PM_FILE)
        self.assertIn("2 plans, 2 changed (0 added, 2 updated, 0 retired)", r.stdout)
        self.assertEqual(self.plan("prompt-manager", "FREE")["is_default"], "1")

    def test_invalid_file_changes_nothing(self):
        before = (self.rows(), self.active())

        def bad(d):
            d["plans"][1]["executions_per_day"] = -1
        path = self.write_catalog("bad.json", bad)
        r = self.load(path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.strip(), "pm-admin: %s: plan PRO: executions_per_day"
                         " must be a non-negative integer or null" % path)
        path = self.write_catalog("two-defaults.json",
                                  lambda d: d["plans"][1].update(default=True))
        r = self.load(path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("catalog: plans FREE and PRO are both the default", r.stderr)
        r = self.load(self.stack.path("no-such-catalog.json"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no-such-catalog.json: No such file or directory", r.stderr)
        self.assertEqual((self.rows(), self.active()), before)


if __name__ == "__main__":
    unittest.main()
