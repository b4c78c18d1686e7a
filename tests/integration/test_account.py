"""The account as its owner manages it: deleting it (every row of the
user gone, every other user's row untouched, refusals that delete
nothing), sign-up reporting every error at once, and the settings page
(its placeholders for what is not built yet)."""
import time
import unittest

from tests.integration.mailbox import Mailbox
from tests.integration.stack import PASSWORD, Client, api, get_stack, new_user

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"


def user_id(stack, email):
    return int(stack.sql("SELECT id FROM users WHERE email = '%s'" % email)[0][0])


def owned_columns(stack):
    """Every (table, column) of the schema that names a user."""
    return [tuple(r) for r in stack.sql(
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = 'prompt_manager'"
        " AND COLUMN_NAME IN ('user_id', 'author_id') ORDER BY 1, 2")]


def rows_of(stack, uid, email):
    """How many rows of every table belong to the user: by the columns
    naming users, and by address for what is kept by address."""
    out = {}
    for table, col in owned_columns(stack):
        out[table + "." + col] = int(stack.sql(
            "SELECT COUNT(*) FROM %s WHERE %s = %d" % (table, col, uid))[0][0])
    out["users.id"] = int(stack.sql("SELECT COUNT(*) FROM users WHERE id = %d" % uid)[0][0])
    for table, col in (("users", "email_norm"), ("login_failures", "email_norm"),
                       ("mail_requests", "email_norm"), ("mail_outbox", "to_addr"),
                       ("mail_tokens", "new_email_norm")):
        out[table + "." + col] = int(stack.sql(
            "SELECT COUNT(*) FROM %s WHERE %s = '%s'" % (table, col, email.lower()))[0][0])
    return out


def fill(stack, c):
    """Give the account of c a row in every table an account can have."""
    r = api(c, "POST", "/api/v1/categories", {"name": "Mine"})
    assert r.status == 201, r.text
    cat = r.json()["id"]
    r = api(c, "POST", "/api/v1/prompts", {"name": "Doomed", "user_template": "Say {{topic}}",
                                           "model": FREE_MODEL, "category_id": cat})
    assert r.status == 201, r.text
    slug = r.json()["slug"]
    r = api(c, "POST", "/api/v1/prompts/%s/versions" % slug,
            {"user_template": "Say {{topic}} twice", "model": FREE_MODEL})
    assert r.status == 201, r.text
    assert api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug).status == 200
    r = c.request("POST", "/prompts/%s/run" % slug,
                  form={"_csrf": c.api_token, "var.topic": "tides"})
    assert r.status == 200, r.text
    # the plan, another session, a failed log-in, a reset link and a
    # pending change of address
    assert stack.admin("set-plan", c.email, "PRO").returncode == 0
    assert Client(stack).login(c.email, PASSWORD).status == 303
    assert Client(stack).login(c.email, "wrong-password-here").status == 401
    f = Client(stack)
    assert f.post("/forgot-password", form={"email": c.email,
                                            "_csrf": f.csrf("/forgot-password")}).status == 200
    r = c.post_form("/settings/email", {"new_email": "next-" + c.email,
                                        "email_password": PASSWORD})
    assert r.status == 303, r.text
    return slug


class AccountDeleteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()
        cls.box = Mailbox(cls.stack)

    def test_delete_removes_every_row_of_the_user_and_no_other(self):
        victim = new_user(self.stack)
        bystander = new_user(self.stack)
        fill(self.stack, victim)
        fill(self.stack, bystander)
        self.box.wait_outbox_empty()        # the links' mail is delivered
        vid, bid = user_id(self.stack, victim.email), user_id(self.stack, bystander.email)
        before = rows_of(self.stack, vid, victim.email)
        for key in ("sessions.user_id", "categories.user_id", "prompts.user_id",
                    "prompt_versions.author_id", "version_status_changes.user_id",
                    "executions.user_id", "usage_counters.user_id", "user_plans.user_id",
                    "login_devices.user_id", "mail_tokens.user_id", "users.id",
                    "login_failures.email_norm", "mail_requests.email_norm"):
            self.assertGreater(before[key], 0, key)
        others = rows_of(self.stack, bid, bystander.email)
        totals = {t: self.stack.sql("SELECT COUNT(*) FROM %s" % t)[0][0]
                  for t in ("plans", "models", "app_settings", "catalog_state")}
        # the page says what goes and what is kept
        page = victim.get("/settings")
        self.assertIn('href="/settings/delete"', page.text)
        r = victim.get("/settings/delete")
        self.assertEqual(r.status, 200)
        for words in ("1 prompt)", "2 versions)", "1 execution)", "1 category)",
                      "What is kept", "Nothing."):
            self.assertIn(words, r.text)
        other_session = Client(self.stack)
        self.assertEqual(other_session.login(victim.email, PASSWORD).status, 303)
        r = victim.post_form("/settings/delete", {"password": PASSWORD,
                                                  "confirm": "  " + victim.email.upper() + " "})
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.header("location"), "/")
        self.assertNotIn("pm_session", victim.cookies)
        self.assertNotIn("pm_device", victim.cookies)
        self.assertIn("Your account and all its data have been deleted.", victim.get("/").text)
        farewell = self.box.wait_for(victim.email, subject="was deleted")
        self.assertEqual(farewell["subject"], "Your Prompt Manager account was deleted")
        self.box.wait_outbox_empty()
        after = rows_of(self.stack, vid, victim.email)
        self.assertEqual({k: v for k, v in after.items() if v}, {})
        self.assertEqual(set(after), set(before))
        self.assertEqual(rows_of(self.stack, bid, bystander.email), others)
        self.assertEqual({t: self.stack.sql("SELECT COUNT(*) FROM %s" % t)[0][0]
                          for t in totals}, totals)
        self.assertEqual(self.stack.sql("SELECT running FROM users WHERE id = %d" % bid), [("0",)])
        # logged out everywhere; the address is free again
        self.assertEqual(other_session.get("/dashboard").status, 303)
        self.assertEqual(Client(self.stack).login(victim.email, PASSWORD).status, 401)
        self.assertEqual(Client(self.stack).signup(victim.email, PASSWORD).status, 303)
        self.assertEqual(bystander.get("/prompts").status, 200)
        self.assertIn("Doomed", bystander.get("/prompts").text)

    def test_refusals_delete_nothing(self):
        c = new_user(self.stack)
        fill(self.stack, c)
        Mailbox(self.stack).wait_outbox_empty()
        uid = user_id(self.stack, c.email)
        before = rows_of(self.stack, uid, c.email)
        cases = [
            ({"password": "not-my-password", "confirm": c.email},
             ["The current password is not correct."]),
            ({"password": PASSWORD, "confirm": "DELETE"},
             ["Type the email address of your account exactly as shown to confirm."]),
            ({"password": PASSWORD, "confirm": "other-" + c.email},
             ["Type the email address of your account exactly as shown to confirm."]),
            ({"password": "", "confirm": ""},
             ["The current password is not correct.",
              "Type the email address of your account exactly as shown to confirm."]),
        ]
        for form, messages in cases:
            with self.subTest(form=form):
                r = c.post_form("/settings/delete", form)
                self.assertEqual(r.status, 422)
                for m in messages:
                    self.assertIn(m, r.text)
                self.assertEqual(rows_of(self.stack, uid, c.email), before)
        r = c.post("/settings/delete", form={"password": PASSWORD, "confirm": c.email})
        self.assertEqual(r.status, 403)             # no CSRF token
        self.assertIn("The form has expired or did not come from this site.", r.text)
        r = Client(self.stack).get("/settings/delete")
        self.assertEqual(r.status, 303)             # signed out: log in first
        self.assertEqual(rows_of(self.stack, uid, c.email), before)
        self.assertEqual(c.get("/dashboard").status, 200)


class SignupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def test_every_error_at_once(self):
        c = Client(self.stack)
        r = c.signup("not-an-email", "short1", "different")
        self.assertEqual(r.status, 422)
        for m in ("Enter a valid email address, like name@example.com.",
                  "The password is too short: use at least 10 characters.",
                  "The two passwords do not match."):
            self.assertIn(m, r.text)
        taken = new_user(self.stack).email
        r = c.signup(taken.upper(), "password123", "password1234")
        self.assertEqual(r.status, 422)
        for m in ("An account with this email address already exists.",
                  "This password is too common; choose another one.",
                  "The two passwords do not match."):
            self.assertIn(m, r.text)
        # a good password with a mismatch alone
        email = "solo-%d@example.com" % int(time.time() * 1000)
        r = c.signup(email, PASSWORD, PASSWORD + "x")
        self.assertEqual(r.status, 422)
        self.assertIn("The two passwords do not match.", r.text)
        self.assertNotIn("Enter a valid email address", r.text)
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM users WHERE email_norm IN"
                                        " ('not-an-email', '%s')" % email), [("0",)])


class SettingsPageTest(unittest.TestCase):
    def test_sections_and_plain_placeholders(self):
        c = new_user(get_stack())
        r = c.get("/settings")
        self.assertEqual(r.status, 200)
        for words in ("Email address", "Change password", "API keys", "BYOK",
                      "Not available yet.", "Delete your account"):
            self.assertIn(words, r.text)
        self.assertNotIn("chart", r.text.lower())


if __name__ == "__main__":
    unittest.main()
