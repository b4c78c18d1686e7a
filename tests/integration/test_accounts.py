"""Accounts: sign-up, log-in, log-out, password change, sessions, CSRF,
throttling, roles. Bad input checks status, message and the database."""
import re
import time
import unittest

from tests.integration.stack import Client, Stack, get_stack

PASSWORD = "correct-horse-battery"


def count(stack, where, *args):
    q = "SELECT COUNT(*) FROM users WHERE " + where
    return int(stack.sql(q % args)[0][0])


class AccountsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()
        cls.n = 0

    def email(self):
        AccountsTest.n += 1
        return "user%d-%d@example.com" % (AccountsTest.n, int(time.time() * 1000) % 10**8)

    def signed_up(self, server="lighttpd"):
        c = Client(self.stack, server=server)
        email = self.email()
        r = c.signup(email, PASSWORD)
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.header("location"), "/dashboard")
        return c, email

    def test_signup_logout_login_change_password(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c, email = self.signed_up(server)
                cookie = c.set_cookie_headers("pm_session")
                self.assertIn("HttpOnly", cookie)
                self.assertIn("SameSite=Lax", cookie)
                self.assertNotIn("Secure", cookie)   # plain HTTP on loopback
                r = c.get("/dashboard")
                self.assertEqual(r.status, 200)
                self.assertIn("Welcome to Prompt Manager! Your account is ready.", r.text)
                self.assertIn(email, r.text)
                for nav in ("Prompts", "Executions", "Analytics", "Settings", "Billing"):
                    self.assertIn(nav, r.text)
                self.assertNotIn('href="/admin"', r.text)
                me = c.get("/api/v1/me").json()
                self.assertEqual(me["email"], email)
                self.assertEqual(me["role"], "user")
                old_session = c.cookies["pm_session"]
                r = c.post_form("/logout", {})
                self.assertEqual(r.status, 303)
                self.assertNotIn("pm_session", c.cookies)
                self.assertEqual(c.get("/dashboard").status, 303)
                # the old token no longer works
                c2 = Client(self.stack, server=server)
                c2.cookies["pm_session"] = old_session
                self.assertEqual(c2.get("/dashboard").status, 303)
                r = c.login(email.upper(), PASSWORD)
                self.assertEqual(r.status, 303)
                self.assertNotEqual(c.cookies["pm_session"], old_session)
                # another session, which a password change must end
                other = Client(self.stack, server=server)
                self.assertEqual(other.login(email, PASSWORD).status, 303)
                new = "another-good-passphrase"
                r = c.post_form("/settings/password", {
                    "current_password": PASSWORD, "new_password": new,
                    "new_password_confirm": new})
                self.assertEqual(r.status, 303, r.text)
                self.assertIn("Your password has been changed.", c.get("/settings").text)
                self.assertEqual(other.get("/dashboard").status, 303)
                c3 = Client(self.stack, server=server)
                r = c3.login(email, PASSWORD)
                self.assertEqual(r.status, 401)
                self.assertIn("Wrong email or password.", r.text)
                self.assertEqual(c3.login(email, new).status, 303)

    def test_password_hash_is_argon2id(self):
        c, email = self.signed_up()
        h = self.stack.sql("SELECT password_hash FROM users WHERE email='%s'" % email)[0][0]
        self.assertTrue(h.startswith("$argon2id$v=19$"), h)
        self.assertNotIn(PASSWORD, h)
        self.assertNotIn(PASSWORD, self.stack.log_text())

    def test_duplicate_email_any_case(self):
        c, email = self.signed_up()
        other = Client(self.stack)
        r = other.signup(email.upper(), PASSWORD)
        self.assertEqual(r.status, 422)
        self.assertIn("An account with this email address already exists.", r.text)
        self.assertEqual(count(self.stack, "email_norm='%s'", email.lower()), 1)

    def test_weak_and_long_passwords(self):
        cases = [
            ("short1", "The password is too short: use at least 10 characters."),
            ("x" * 129, "The password is too long: use at most 128 characters."),
            ("abababababab", "The password is too simple: use more different characters."),
            ("password123", "This password is too common; choose another one."),
        ]
        for pw, msg in cases:
            with self.subTest(pw=pw[:20]):
                c = Client(self.stack)
                email = self.email()
                r = c.signup(email, pw)
                self.assertEqual(r.status, 422)
                self.assertIn(msg, r.text)
                self.assertEqual(count(self.stack, "email_norm='%s'", email), 0)
        c = Client(self.stack)
        email = self.email()
        csrf = c.csrf("/signup")
        r = c.post("/signup", form={"email": email, "password": PASSWORD,
                                    "password_confirm": PASSWORD + "x", "_csrf": csrf})
        self.assertEqual(r.status, 422)
        self.assertIn("The two passwords do not match.", r.text)
        r = c.post("/signup", form={"email": "not-an-email", "password": PASSWORD,
                                    "password_confirm": PASSWORD, "_csrf": csrf})
        self.assertEqual(r.status, 422)
        self.assertIn("Enter a valid email address, like name@example.com.", r.text)
        self.assertIn('value="not-an-email"', r.text)   # the form keeps what was typed

    def test_purge_deletes_only_what_has_expired(self):
        c, email = self.signed_up()
        uid = self.stack.sql("SELECT id FROM users WHERE email = '%s'" % email)[0][0]
        marker = "purge-%d" % int(time.time() * 1000)
        old = [  # (token, created_at, last_seen_at) relative to now
            ("a" * 63 + "1", -40 * 86400, -60),          # past the absolute expiry
            ("a" * 63 + "2", -86400, -8 * 86400),        # idle for 8 days
            ("a" * 63 + "3", -86400, -3600)]             # still valid
        for tok, created, seen in old:
            self.stack.sql("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
                           " last_seen_at, ip, user_agent) VALUES ('%s', %s, 'x',"
                           " UNIX_TIMESTAMP() + %d, UNIX_TIMESTAMP() + %d, '', '%s')"
                           % (tok, uid, created, seen, marker))
        for ago in (3600, 60):
            self.stack.sql("INSERT INTO login_failures (email_norm, addr, at) VALUES"
                           " ('%s', '198.51.100.7', UNIX_TIMESTAMP() - %d)" % (marker, ago))
            self.stack.sql("INSERT INTO signup_attempts (addr, network, at) VALUES"
                           " ('%s', 'x', UNIX_TIMESTAMP() - %d)" % (marker, ago * 2))
        for i, ago in enumerate((400 * 86400, 10 * 86400)):
            self.stack.sql("INSERT INTO login_devices (user_id, token_hash, created_at,"
                           " last_used_at) VALUES (%s, '%s', 0, UNIX_TIMESTAMP() - %d)"
                           % (uid, "%064x" % (int(marker[6:]) * 10 + i), ago))
        r = self.stack.admin("purge")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^\d+ expired sessions?, \d+ old log-in failures?, \d+ old"
                         r" sign-up attempts? and \d+ unused devices? deleted$")
        # what is younger than its window (1 h) or unused for less than a year stays
        self.assertEqual(self.stack.sql("SELECT at > UNIX_TIMESTAMP() - 3600 FROM signup_attempts"
                                        " WHERE addr = '%s'" % marker), [("1",)])
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM login_devices WHERE user_id = %s"
                                        " AND last_used_at < UNIX_TIMESTAMP() - 300 * 86400"
                                        % uid), [("0",)])
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM login_devices WHERE user_id = %s"
                                        " AND last_used_at < UNIX_TIMESTAMP() - 86400" % uid),
                         [("1",)])
        self.assertEqual(self.stack.sql("SELECT token_hash FROM sessions WHERE user_agent = '%s'"
                                        % marker), [("a" * 63 + "3",)])
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM login_failures WHERE"
                                        " email_norm = '%s'" % marker), [("1",)])
        self.assertEqual(c.get("/dashboard").status, 200)     # a live session is kept

    def test_notice_is_set_once_and_shown_once(self):
        c = Client(self.stack)
        token = c.csrf("/signup")
        c.cookies["pm_flash"] = "logged_out"    # an older notice, never shown
        r = c.post("/signup", form={"email": self.email(), "password": PASSWORD,
                                    "password_confirm": PASSWORD, "_csrf": token})
        self.assertEqual(r.status, 303)
        flashes = [v for k, v in r.header_pairs
                   if k.lower() == "set-cookie" and v.startswith("pm_flash=")]
        self.assertEqual(len(flashes), 1, flashes)
        self.assertTrue(flashes[0].startswith("pm_flash=welcome;"), flashes)
        welcome = "Welcome to Prompt Manager! Your account is ready."
        r = c.get("/dashboard")
        self.assertIn(welcome, r.text)
        self.assertTrue(any(k.lower() == "set-cookie" and v.startswith("pm_flash=;")
                            for k, v in r.header_pairs), r.header_pairs)
        self.assertNotIn(welcome, c.get("/dashboard").text)
        # a notice waits for a page that shows it: an API call does not
        # take it
        c.cookies["pm_flash"] = "password_changed"
        self.assertEqual(c.get("/api/v1/me").status, 200)
        self.assertIn("Your password has been changed.", c.get("/settings").text)

    def test_signup_email_is_stored_without_surrounding_blanks(self):
        email = "Blank-%d@Example.com" % int(time.time() * 1000)
        c = Client(self.stack)
        self.assertEqual(c.signup("  %s\t" % email, PASSWORD).status, 303)
        self.assertEqual(self.stack.sql("SELECT email, email_norm FROM users WHERE email_norm"
                                        " = '%s'" % email.lower()), [(email, email.lower())])
        self.assertEqual(c.get("/api/v1/me").json()["email"], email)

    def test_metacharacters_stored_as_typed_and_shown_escaped(self):
        email = "o'brien+<b>x</b>\"--%d@example.com" % int(time.time() * 1000)
        c = Client(self.stack)
        r = c.signup(email, PASSWORD + "';DROP TABLE users;--<i>")
        self.assertEqual(r.status, 303, r.text)
        stored = self.stack.sql("SELECT email FROM users WHERE id=(SELECT MAX(id) FROM users)")[0][0]
        self.assertEqual(stored, email)
        page = c.get("/dashboard").text
        self.assertNotIn("<b>x</b>", page)
        self.assertIn("o&#39;brien+&lt;b&gt;x&lt;/b&gt;&quot;--", page)
        self.assertEqual(c.get("/api/v1/me").json()["email"], email)
        c2 = Client(self.stack)
        self.assertEqual(c2.login(email, PASSWORD + "';DROP TABLE users;--<i>").status, 303)

    def test_csrf_missing_or_wrong_is_403_and_changes_nothing(self):
        msg = "The form has expired or did not come from this site."
        c = Client(self.stack)
        email = self.email()
        c.csrf("/signup")
        for token in (None, "", "forged-token"):
            form = {"email": email, "password": PASSWORD, "password_confirm": PASSWORD}
            if token is not None:
                form["_csrf"] = token
            r = c.post("/signup", form=form)
            self.assertEqual(r.status, 403)
            self.assertIn(msg, r.text)
        self.assertEqual(count(self.stack, "email_norm='%s'", email), 0)
        c, email = self.signed_up()
        before = self.stack.sql("SELECT password_hash FROM users WHERE email='%s'" % email)
        r = c.post("/settings/password", form={
            "current_password": PASSWORD, "new_password": "zzz-new-pass-1",
            "new_password_confirm": "zzz-new-pass-1", "_csrf": "nope"})
        self.assertEqual(r.status, 403)
        self.assertIn(msg, r.text)
        r = c.post("/logout", form={})
        self.assertEqual(r.status, 403)
        self.assertEqual(c.get("/dashboard").status, 200)   # still logged in
        self.assertEqual(before, self.stack.sql(
            "SELECT password_hash FROM users WHERE email='%s'" % email))
        # a token of another session is refused too
        other, _ = self.signed_up()
        theirs = other.csrf("/settings")
        r = c.post("/logout", form={"_csrf": theirs})
        self.assertEqual(r.status, 403)
        # the right token in the URL is not taken (it would reach access logs)
        r = c.post("/logout?_csrf=" + c.csrf("/dashboard"), form={})
        self.assertEqual(r.status, 403)
        self.assertEqual(c.get("/dashboard").status, 200)   # still logged in
        # API: a session-authenticated unsafe request needs X-CSRF-Token
        for token in (None, "forged"):
            hdrs = {"X-CSRF-Token": token} if token else {}
            r = c.request("POST", "/api/v1/categories", json={"name": "csrf"}, headers=hdrs)
            self.assertEqual(r.status, 403)
            self.assertEqual(r.json()["error"], {"type": "permission_error", "message": msg +
                             " Reload the page and try again."})
        self.assertEqual(c.get("/api/v1/categories").json()["items"], [])
        r = c.request("POST", "/api/v1/categories", json={"name": "csrf"},
                      headers={"X-CSRF-Token": c.csrf("/dashboard")})
        self.assertEqual(r.status, 201)

    def test_forged_and_expired_sessions_are_logged_out(self):
        c = Client(self.stack)
        c.cookies["pm_session"] = "A" * 43
        r = c.get("/dashboard")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("location"), "/login?next=%2Fdashboard")
        self.assertEqual(c.get("/api/v1/me").status, 401)
        c.cookies["pm_session"] = "garbage"
        self.assertEqual(c.get("/api/v1/me").json()["error"]["message"],
                         "Authentication required: the API key is missing, unknown, expired"
                         " or revoked. Send a valid key as \"Authorization: Bearer pm_live_...\""
                         " (or log in on the site).")
        # idle expiry: move the injected clock past session_idle_seconds
        c, email = self.signed_up()
        self.assertEqual(c.get("/dashboard").status, 200)
        now = int(time.time())
        try:
            self.stack.set_clock(now + 604800 + 60)
            self.assertEqual(c.get("/dashboard").status, 303)
            self.assertEqual(c.get("/api/v1/me").status, 401)
        finally:
            self.stack.set_clock(None)

    def test_absolute_session_expiry(self):
        """A session used every few days still ends 30 days after log-in."""
        c, email = self.signed_up()
        now = int(time.time())
        try:
            for day in (6, 12, 18, 24, 29):
                self.stack.set_clock(now + day * 86400)
                self.assertEqual(c.get("/dashboard").status, 200, day)
            self.stack.set_clock(now + 30 * 86400 + 60)
            r = c.get("/dashboard")
            self.assertEqual(r.status, 303)
            self.assertEqual(r.header("location"), "/login?next=%2Fdashboard")
        finally:
            self.stack.set_clock(None)

    def test_login_next_is_local_only(self):
        c, email = self.signed_up()
        c.post_form("/logout", {})
        r = c.login(email, PASSWORD, next_url="/settings")
        self.assertEqual(r.header("location"), "/settings")
        c.post_form("/logout", {})
        for evil in ("//evil.example/x", "/\t/evil.example/x", "/\\evil.example",
                     "/%09/x", "https://evil.example/"):
            c.post_form("/logout", {})
            r = c.login(email, PASSWORD, next_url=evil.replace("%09", "\t"))
            self.assertEqual(r.header("location"), "/dashboard", evil)
        r = c.get("/login?next=/%09/evil.example/x")       # already signed in
        self.assertEqual(r.header("location"), "/dashboard")

    def test_login_throttling_per_account(self):
        c, email = self.signed_up()
        c.post_form("/logout", {})
        bad = Client(self.stack)
        now = int(time.time())
        self.stack.set_clock(now)           # pinned: Retry-After is exact
        try:
            for _ in range(5):
                self.assertEqual(bad.login(email, "wrong-password-x").status, 401)
            r = bad.login(email, "wrong-password-x")
            self.assertEqual(r.status, 429)
            self.assertIn("Too many failed log-in attempts. Try again in 15 minutes.",
                          r.text)
            self.assertEqual(r.header("retry-after"), "900")
            # even the right password is refused while throttled
            self.assertEqual(Client(self.stack).login(email, PASSWORD).status, 429)
            self.stack.set_clock(now + 901)
            self.assertEqual(Client(self.stack).login(email, PASSWORD).status, 303)
        finally:
            self.stack.set_clock(None)

    def test_failures_from_elsewhere_do_not_lock_out_a_known_device(self):
        victim, email = self.signed_up()            # sign-up makes this device known
        self.assertIn("pm_device=", victim.set_cookie_headers("pm_device"))
        self.assertIn("HttpOnly", victim.set_cookie_headers("pm_device"))
        victim.post_form("/logout", {})
        attacker = Client(self.stack)
        now = int(time.time())
        self.stack.set_clock(now)
        try:
            for _ in range(5):
                self.assertEqual(attacker.login(email, "wrong-password-x").status, 401)
            r = attacker.login(email, "wrong-password-x")
            self.assertEqual((r.status, r.header("retry-after")), (429, "900"))
            # the victim, from the device they logged in from, gets in
            r = victim.login(email, PASSWORD)
            self.assertEqual(r.status, 303, r.text)
            self.assertEqual(victim.get("/dashboard").status, 200)
            victim.post_form("/logout", {})
            # guessing stays slow: a client the account does not know is
            # still throttled, and so is a forged or another user's device
            self.assertEqual(Client(self.stack).login(email, PASSWORD).status, 429)
            forged = Client(self.stack)
            forged.cookies["pm_device"] = "A" * 43
            self.assertEqual(forged.login(email, PASSWORD).status, 429)
            other, _ = self.signed_up()
            other.post_form("/logout", {})
            self.assertEqual(other.login(email, PASSWORD).status, 429)
            # a known device counts its own failures: it locks alone
            for _ in range(5):
                self.assertEqual(victim.login(email, "wrong-password-x").status, 401)
            self.assertEqual(victim.login(email, PASSWORD).status, 429)
            self.assertEqual(int(self.stack.sql(
                "SELECT COUNT(*) FROM login_failures WHERE email_norm = '%s'"
                " AND device_id IS NOT NULL" % email)[0][0]), 5)
            self.stack.set_clock(now + 901)
            self.assertEqual(victim.login(email, PASSWORD).status, 303)
        finally:
            self.stack.set_clock(None)

    def test_create_admin(self):
        email = "admin-%d@example.com" % int(time.time() * 1000)
        r = self.stack.admin("create-admin", email, input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(PASSWORD, r.stdout + r.stderr)
        c = Client(self.stack)
        self.assertEqual(c.login(email, PASSWORD).status, 303)
        page = c.get("/dashboard").text
        self.assertIn('href="/admin"', page)
        self.assertEqual(c.get("/admin").status, 200)
        self.assertEqual(c.get("/api/v1/me").json()["role"], "admin")
        user, _ = self.signed_up()
        r = user.get("/admin")
        self.assertEqual(r.status, 403)
        self.assertIn("This page is for administrators.", r.text)
        r = self.stack.admin("create-admin", email, input=PASSWORD + "\n")
        self.assertNotEqual(r.returncode, 0)
        r = self.stack.admin("create-admin", "x" + email, input="short\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(count(self.stack, "email_norm='x%s'", email), 0)


class SignupLimitTest(unittest.TestCase):
    """Sign-up attempts are limited per address and per network, so that
    nobody can list who has an account at speed (a stack of its own, with
    low limits)."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2, settings={
            "signup_max_per_address": "3", "signup_max_per_network": "5"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def users(self):
        return int(self.stack.sql("SELECT COUNT(*) FROM users")[0][0])

    def test_per_address_then_per_network(self):
        now = int(time.time())
        self.stack.set_clock(now)
        r = Client(self.stack).signup("taken@example.com", PASSWORD)
        self.assertEqual(r.status, 303)
        # failed attempts count too: this is how accounts are listed
        r = Client(self.stack).signup("taken@example.com", PASSWORD)
        self.assertEqual(r.status, 422)
        self.assertIn("already", r.text)
        self.stack.set_clock(now + 60)
        r = Client(self.stack).signup("short@example.com", "x")
        self.assertEqual(r.status, 422)
        before = self.users()
        r = Client(self.stack).signup("fourth@example.com", PASSWORD)
        self.assertEqual(r.status, 429, r.text)
        self.assertEqual(r.header("retry-after"), str(3600 - 60))
        self.assertIn("Too many sign-ups from your network. Try again in 59 minutes.", r.text)
        self.assertEqual(self.users(), before)          # nothing created
        # another address of the same /24 has its own count...
        for email in ("b1@example.com", "b2@example.com"):
            self.assertEqual(Client(self.stack, source="127.0.0.2").signup(
                email, PASSWORD).status, 303)
        # ...until the network's 5 attempts are used
        r = Client(self.stack, source="127.0.0.3").signup("c1@example.com", PASSWORD)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("retry-after"), str(3600 - 60))   # the oldest: at now
        self.assertEqual(int(self.stack.sql(
            "SELECT COUNT(*) FROM users WHERE email LIKE 'c1@%'")[0][0]), 0)
        self.assertEqual(self.stack.sql("SELECT DISTINCT network FROM signup_attempts"),
                         [("127.0.0.0/24",)])
        # the window passes
        self.stack.set_clock(now + 3601)
        self.assertEqual(Client(self.stack, source="127.0.0.3").signup(
            "c1@example.com", PASSWORD).status, 303)
        self.stack.set_clock(None)


class ThrottleAddressTest(unittest.TestCase):
    """Per-address throttling: many accounts from one address."""

    def test_per_address(self):
        stack = get_stack()
        c = Client(stack)
        # 20 failures for different (nonexistent) accounts from 127.0.0.1
        stack.sql("DELETE FROM login_failures")
        for i in range(20):
            r = c.login("nobody%d@example.org" % i, "wrong-password-x")
            self.assertEqual(r.status, 401)
        r = c.login("nobody-else@example.org", "wrong-password-x")
        self.assertEqual(r.status, 429)
        stack.sql("DELETE FROM login_failures")


if __name__ == "__main__":
    unittest.main()
