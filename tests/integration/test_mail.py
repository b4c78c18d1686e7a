"""Mail: "Forgot password?" and its reset links, the change of e-mail
confirmed by a link to the new address, and the mail itself: queued in
MariaDB, delivered by the background senders through the local SMTP sink
(tests/fakes/smtp_sink.py), retried while the server is down, never lost,
never sent twice; STARTTLS, smtps:// and AUTH against the sink; the
/demo/mail page. Every bad input checks the exact status and sentence, and
that nothing changed."""
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from tests.integration.mailbox import Mailbox
from tests.integration.stack import PASSWORD, ROOT, Client, Stack, new_user

NEW_PASSWORD = "a-brand-new-passphrase"
SINK = os.path.join(ROOT, "tests", "fakes", "smtp_sink.py")

# Quick retries, every worker's sender looking often: the outage tests
# wait seconds, not minutes.
FAST_MAIL = {"mail_poll_seconds": "1", "mail_retry_seconds": "1",
             "mail_retry_max_seconds": "2", "reset_max_per_address": "3",
             "reset_max_per_client": "5"}

_sources = [1]


def source():
    """A loopback address of its own for a client (127.0.1.N): the limit
    per client address counts apart for each test."""
    _sources[0] += 1
    return "127.0.%d.%d" % (1 + _sources[0] // 250, _sources[0] % 250 + 1)


def main_text(r):
    """The page's <main>, where its own sentences are."""
    t = r.text
    return t[t.find("<main"):t.find("</main>")]


def forgot(stack, email, server="lighttpd", src=None):
    c = Client(stack, server=server, source=src or source())
    token = c.csrf("/forgot-password")
    return c, c.post("/forgot-password", form={"email": email, "_csrf": token})


def password_hash(stack, email):
    return stack.sql("SELECT password_hash FROM users WHERE email_norm = '%s'"
                     % email.lower())[0][0]


def mail_state(stack):
    """What a refused link must leave as it was."""
    return (stack.sql("SELECT id, user_id, purpose, state, used_at FROM mail_tokens ORDER BY id"),
            stack.sql("SELECT id, email, email_norm, password_hash FROM users ORDER BY id"),
            stack.sql("SELECT COUNT(*) FROM sessions"))


def reset_with(c, token, password=NEW_PASSWORD, confirm=None):
    return c.post("/reset-password", form={
        "token": token, "password": password,
        "password_confirm": password if confirm is None else confirm,
        "_csrf": c.csrf_token()})


_shared = []


def shared_stack():
    """The stack the tests of this file share but TlsAuthTest: three
    workers (three senders), both web servers, the sink without TLS."""
    if not _shared:
        _shared.append(Stack(server="both", workers=3, settings=FAST_MAIL).start())
    return _shared[0]


def tearDownModule():
    for s in _shared:
        s.stop()


class MailStackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = shared_stack()
        cls.box = Mailbox(cls.stack)

    def setUp(self):
        self.box.set_mode("normal")
        self.stack.set_clock(None)


class ResetTest(MailStackTest):
    def test_reset_by_email_through_both_servers(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                u = new_user(self.stack, server=server)
                other = Client(self.stack, server=server)
                self.assertEqual(other.login(u.email, PASSWORD).status, 303)
                r = u.get("/login")             # signed in: the dashboard
                anon = Client(self.stack, server=server)
                page = anon.get("/login")
                self.assertIn('<a href="/forgot-password">Forgot password?</a>', page.text)
                t0 = time.time()
                c, r = forgot(self.stack, u.email.upper(), server)
                self.assertLess(time.time() - t0, 2)
                self.assertEqual(r.status, 200, r.text)
                self.assertIn("Check your inbox.", r.text)
                self.assertIn("The link works once, for 60 minutes.", r.text)
                msg = self.box.wait_for(u.email)
                self.assertEqual(msg["subject"], "Reset your Prompt Manager password")
                self.assertEqual(msg["mail_from"], "no-reply@localhost")
                self.assertIn("Prompt Manager", msg["from"])
                link = self.box.link(msg, "/reset-password")
                token = self.box.token(msg, "/reset-password")
                self.assertIn("http://127.0.0.1:%d/reset-password?token=%s"
                              % (self.stack.port, token), msg["text"])
                self.assertIn("within 60 minutes", msg["text"])
                # only the token's SHA-256 is stored; the delivered row is gone
                rows = self.stack.sql(
                    "SELECT t.token_hash, t.state FROM mail_tokens t JOIN users u ON u.id ="
                    " t.user_id WHERE u.email = '%s'" % u.email)
                self.assertEqual(rows, [(hashlib.sha256(token.encode()).hexdigest(), "pending")])
                self.box.wait_outbox_empty()
                for table in ("mail_tokens", "mail_outbox", "mail_requests"):
                    dump = str(self.stack.sql("SELECT * FROM %s" % table))
                    self.assertNotIn(token, dump)
                before = password_hash(self.stack, u.email)
                # the link opens the form; the password changes only on POST
                r = c.get(link)
                self.assertEqual(r.status, 200)
                self.assertIn("Choose a new password", r.text)
                self.assertIn(u.email, r.text)
                self.assertEqual(password_hash(self.stack, u.email), before)
                r = reset_with(c, token)
                self.assertEqual(r.status, 303, r.text)
                self.assertEqual(r.header("location"), "/login")
                self.assertIn("Your password has been changed and every session of your "
                              "account was logged out.", c.get("/login").text)
                # every session of the user ended
                self.assertEqual(other.get("/dashboard").status, 303)
                self.assertEqual(u.get("/dashboard").status, 303)
                self.assertEqual(int(self.stack.sql(
                    "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id"
                    " WHERE u.email = '%s'" % u.email)[0][0]), 0)
                self.assertEqual(Client(self.stack, server=server).login(u.email, PASSWORD).status, 401)
                self.assertEqual(Client(self.stack, server=server).login(u.email, NEW_PASSWORD).status, 303)
                # single use
                state = mail_state(self.stack)
                r = c.get(link)
                self.assertEqual(r.status, 410)
                self.assertIn("This password reset link was already used.", main_text(r))
                self.assertIn("Nothing was changed.", r.text)
                r = reset_with(c, token, "yet-another-passphrase")
                self.assertEqual(r.status, 410)
                self.assertIn("This password reset link was already used.", main_text(r))
                self.assertEqual(mail_state(self.stack), state)
                # the token is in no log: the web servers log these paths
                # without their query, and the pages send no Referer
                self.assertEqual(r.header("referrer-policy"), "same-origin, no-referrer")
                access = "%s-access.log" % server
                deadline = time.time() + 15         # lighttpd writes it every few s
                while "GET /reset-password HTTP/1.1" not in self.stack.log_text(access):
                    self.assertLess(time.time(), deadline, self.stack.log_text(access))
                    time.sleep(0.2)
                for name in os.listdir(self.stack.path("log")):
                    with open(self.stack.path("log", name), errors="replace") as f:
                        self.assertNotIn(token, f.read(), name)
                # the owner is told
                notice = self.box.wait_for(u.email, 2)
                self.assertEqual(notice["subject"], "Your Prompt Manager password was changed")
                self.assertIn("/forgot-password", notice["text"])

    def test_unknown_address_same_answer_same_statements_no_mail(self):
        u = new_user(self.stack)
        unknown = "nobody-%d@example.com" % int(time.time() * 1000)

        def counters():
            rows = self.stack.sql("SHOW GLOBAL STATUS WHERE Variable_name IN"
                                  " ('Com_insert', 'Com_insert_select')")
            return {k: int(v) for k, v in rows}

        pages, deltas, times = {}, {}, {}
        for email in (u.email, unknown):
            before = counters()
            t0 = time.time()
            c, r = forgot(self.stack, email)
            times[email] = time.time() - t0
            after = counters()
            deltas[email] = {k: after[k] - before[k] for k in after}
            self.assertEqual(r.status, 200)
            pages[email] = re.sub(r'value="[^"]{43}"', 'value="CSRF"',
                                  main_text(r).replace(email, "EMAIL"))
        self.assertEqual(pages[u.email], pages[unknown])
        # the same statements: the request, the link and its mail, made
        # by INSERT ... SELECT whether or not the address has an account
        self.assertEqual(deltas[u.email], deltas[unknown])
        self.assertEqual(deltas[unknown], {"Com_insert": 1, "Com_insert_select": 2})
        for t in times.values():
            self.assertLess(t, 2)
        self.box.wait_for(u.email)
        time.sleep(1.5)                 # a sender would have sent it by now
        self.assertEqual(self.box.messages(unknown), [])
        self.assertEqual(self.box.outbox("to_addr = '%s'" % unknown), [])
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM mail_requests WHERE"
                                        " email_norm = '%s'" % unknown), [("1",)])

    def test_links_come_from_public_base_url_not_the_host_header(self):
        u = new_user(self.stack)
        for server in ("lighttpd", "apache"):
            c = Client(self.stack, server=server, source=source())
            token = c.csrf("/forgot-password")
            r = c.post("/forgot-password", form={"email": u.email, "_csrf": token},
                       headers={"Host": "evil.example.com"})
            self.assertEqual(r.status, 200)
        for n in (1, 2):
            msg = self.box.wait_for(u.email, n)
            self.assertNotIn("evil.example.com", msg["text"])
            self.assertTrue(all(link.startswith("http://127.0.0.1:%d/" % self.stack.port)
                                for link in msg["links"]), msg["links"])

    def test_expired_link(self):
        u = new_user(self.stack)
        c, r = forgot(self.stack, u.email)
        token = self.box.token(self.box.wait_for(u.email), "/reset-password")
        state = mail_state(self.stack)
        self.stack.set_clock(time.time() + 3601)
        try:
            r = c.get("/reset-password?token=" + token)
            self.assertEqual(r.status, 410)
            self.assertIn("This password reset link has expired. Links work for 60 minutes: "
                          "ask for a new one.", main_text(r))
            self.assertIn('href="/forgot-password"', main_text(r))
            r = reset_with(c, token)
            self.assertEqual(r.status, 410)
            self.assertIn("This password reset link has expired.", main_text(r))
        finally:
            self.stack.set_clock(None)
        self.assertEqual(mail_state(self.stack), state)
        self.assertEqual(Client(self.stack).login(u.email, PASSWORD).status, 303)

    def test_forged_and_malformed_tokens(self):
        u = new_user(self.stack)
        c, r = forgot(self.stack, u.email)
        real = self.box.token(self.box.wait_for(u.email), "/reset-password")
        state = mail_state(self.stack)
        forged = real[:-1] + ("A" if real[-1] != "A" else "B")
        for token in (forged, "x" * 43, "not-a-token", "", real[:20]):
            with self.subTest(token=token):
                r = c.get("/reset-password?token=" + token)
                self.assertEqual(r.status, 404)
                self.assertIn("This password reset link is not valid.", main_text(r))
                r = reset_with(c, token)
                self.assertEqual(r.status, 404)
                self.assertIn("This password reset link is not valid.", main_text(r))
        r = c.get("/reset-password")
        self.assertEqual(r.status, 404)
        self.assertIn("This password reset link is not valid.", main_text(r))
        self.assertEqual(mail_state(self.stack), state)
        self.assertEqual(Client(self.stack).login(u.email, PASSWORD).status, 303)

    def test_using_one_link_voids_the_others(self):
        u = new_user(self.stack)
        src = source()
        forgot(self.stack, u.email, src=src)
        forgot(self.stack, u.email, src=src)
        first = self.box.token(self.box.wait_for(u.email, 1), "/reset-password")
        second = self.box.token(self.box.wait_for(u.email, 2), "/reset-password")
        c = Client(self.stack)
        self.assertEqual(reset_with(c, second).status, 303)
        state = mail_state(self.stack)
        r = c.get("/reset-password?token=" + first)
        self.assertEqual(r.status, 410)
        self.assertIn("This password reset link no longer works: another reset link of your "
                      "account was used since.", main_text(r))
        self.assertEqual(reset_with(c, first, "third-passphrase-here").status, 410)
        self.assertEqual(mail_state(self.stack), state)
        # a change of password on the settings page voids pending links too
        c2, _ = forgot(self.stack, u.email, src=src)
        third = self.box.token(self.box.wait_for(u.email, 3, subject="Reset your"),
                               "/reset-password")
        self.assertEqual(c.login(u.email, NEW_PASSWORD).status, 303)
        r = c.post_form("/settings/password", {
            "current_password": NEW_PASSWORD, "new_password": "changed-on-settings",
            "new_password_confirm": "changed-on-settings"})
        self.assertEqual(r.status, 303)
        self.assertEqual(Client(self.stack).get("/reset-password?token=" + third).status, 410)

    def test_bad_new_password_every_error_at_once_nothing_changed(self):
        u = new_user(self.stack)
        c, r = forgot(self.stack, u.email)
        token = self.box.token(self.box.wait_for(u.email), "/reset-password")
        state = mail_state(self.stack)
        r = reset_with(c, token, "short1", "other")
        self.assertEqual(r.status, 422)
        self.assertIn("The password is too short: use at least 10 characters.", r.text)
        self.assertIn("The two passwords do not match.", r.text)
        r = reset_with(c, token, "password123")
        self.assertEqual(r.status, 422)
        self.assertIn("This password is too common; choose another one.", r.text)
        self.assertEqual(mail_state(self.stack), state)
        self.assertEqual(reset_with(c, token).status, 303)       # still usable

    def test_bad_address_and_throttling(self):
        c, r = forgot(self.stack, "not-an-address")
        self.assertEqual(r.status, 422)
        self.assertIn("Enter a valid email address, like name@example.com.", r.text)
        self.assertEqual(self.box.outbox("to_addr = 'not-an-address'"), [])
        # per address: known and unknown alike, 3 an hour (FAST_MAIL)
        u = new_user(self.stack)
        unknown = "ghost-%d@example.com" % int(time.time() * 1000)
        for email in (u.email, unknown):
            with self.subTest(email=email):
                for _ in range(3):
                    self.assertEqual(forgot(self.stack, email)[1].status, 200)
                c, r = forgot(self.stack, email)
                self.assertEqual(r.status, 429)
                self.assertIn("Too many reset links were asked for this address or from your "
                              "network. Try again in 60 minutes.", r.text)
                self.assertGreater(int(r.header("retry-after")), 3500)
                self.assertEqual(int(self.stack.sql(
                    "SELECT COUNT(*) FROM mail_requests WHERE email_norm = '%s'" % email)[0][0]), 3)
        self.assertEqual(int(self.stack.sql(
            "SELECT COUNT(*) FROM mail_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE u.email = '%s'" % u.email)[0][0]), 3)
        # per client: 5 an hour from one address, whatever is asked
        src = source()
        for i in range(5):
            self.assertEqual(forgot(self.stack, "n%d-%s" % (i, unknown), src=src)[1].status, 200)
        c, r = forgot(self.stack, "n9-" + unknown, src=src)
        self.assertEqual(r.status, 429)
        self.assertIn("Try again in 60 minutes.", r.text)
        self.assertEqual(forgot(self.stack, "n9-" + unknown)[1].status, 200)   # another client


class EmailChangeTest(MailStackTest):
    def change(self, c, new_email, password=PASSWORD):
        return c.post_form("/settings/email", {"new_email": new_email,
                                               "email_password": password})

    def test_change_confirmed_by_the_new_address(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c = new_user(self.stack, server=server)
                old = c.email
                uid = self.stack.sql("SELECT id FROM users WHERE email = '%s'" % old)[0][0]
                new = "New.%s" % old
                r = self.change(c, new)
                self.assertEqual(r.status, 303, r.text)
                self.assertEqual(r.header("location"), "/settings")
                page = c.get("/settings").text
                self.assertIn("We sent a confirmation link to the new address.", page)
                self.assertIn("Waiting for confirmation: we sent a link to", page)
                self.assertIn(new, page)
                # nothing changes until the link is used
                self.assertEqual(self.stack.sql("SELECT email FROM users WHERE id = %s" % uid),
                                 [(old,)])
                msg = self.box.wait_for(new)
                self.assertEqual(msg["subject"], "Confirm your new email address for Prompt Manager")
                self.assertIn("within 24 hours", msg["text"])
                notice = self.box.wait_for(old)
                self.assertEqual(notice["subject"],
                                 "A change of email address was asked for your Prompt Manager account")
                self.assertIn(new, notice["text"])
                self.assertEqual(len(self.box.messages(new)), 1)
                link = self.box.link(msg, "/confirm-email")
                token = self.box.token(msg, "/confirm-email")
                self.assertEqual(self.stack.sql(
                    "SELECT token_hash FROM mail_tokens WHERE user_id = %s AND purpose ="
                    " 'email_change'" % uid), [(hashlib.sha256(token.encode()).hexdigest(),)])
                # opening the link asks; only the button changes the address
                anon = Client(self.stack, server=server)
                r = anon.get(link)
                self.assertEqual(r.status, 200)
                self.assertIn("Confirm your new email address", r.text)
                self.assertIn(new, r.text)
                self.assertEqual(self.stack.sql("SELECT email FROM users WHERE id = %s" % uid),
                                 [(old,)])
                r = c.post_form("/confirm-email", {"token": token})
                self.assertEqual(r.status, 303)
                self.assertEqual(r.header("location"), "/settings")
                self.assertIn("Your email address has been changed.", c.get("/settings").text)
                self.assertEqual(self.stack.sql("SELECT email, email_norm FROM users WHERE id = %s"
                                                % uid), [(new, new.lower())])
                self.assertEqual(Client(self.stack, server=server).login(old, PASSWORD).status, 401)
                self.assertEqual(Client(self.stack, server=server).login(new, PASSWORD).status, 303)
                # single use
                state = mail_state(self.stack)
                r = anon.get(link)
                self.assertEqual(r.status, 410)
                self.assertIn("This confirmation link was already used: the address has been "
                              "changed.", main_text(r))
                r = anon.post_form("/confirm-email", {"token": token})
                self.assertEqual(r.status, 410)
                self.assertEqual(mail_state(self.stack), state)

    def test_bad_requests_every_error_at_once_nothing_queued(self):
        c = new_user(self.stack)
        taken = new_user(self.stack).email
        before = (self.stack.sql("SELECT COUNT(*) FROM mail_tokens"), mail_state(self.stack))
        r = self.change(c, "not an address", "wrong-password")
        self.assertEqual(r.status, 422)
        self.assertIn("Enter a valid email address, like name@example.com.", r.text)
        self.assertIn("The current password is not correct.", r.text)
        r = self.change(c, c.email.upper())
        self.assertEqual(r.status, 422)
        self.assertIn("This is already the address of your account.", r.text)
        r = self.change(c, taken.upper(), "wrong-password")
        self.assertEqual(r.status, 422)
        self.assertIn("An account with this email address already exists.", r.text)
        self.assertIn("The current password is not correct.", r.text)
        self.assertEqual((self.stack.sql("SELECT COUNT(*) FROM mail_tokens"),
                          mail_state(self.stack)), before)
        time.sleep(1)
        self.assertEqual(self.box.messages("not an address"), [])
        self.assertEqual(len(self.box.messages(taken)), 0)

    def test_expired_cancelled_and_forged_links(self):
        c = new_user(self.stack)
        new = "exp-" + c.email
        self.assertEqual(self.change(c, new).status, 303)
        token = self.box.token(self.box.wait_for(new), "/confirm-email")
        state = mail_state(self.stack)
        self.stack.set_clock(time.time() + 86401)
        try:
            r = Client(self.stack).get("/confirm-email?token=" + token)
            self.assertEqual(r.status, 410)
            self.assertIn("This confirmation link has expired. Ask for the change again from "
                          "your settings.", main_text(r))
            self.assertEqual(c.post_form("/confirm-email", {"token": token}).status, 410)
        finally:
            self.stack.set_clock(None)
        self.assertEqual(mail_state(self.stack), state)
        # cancelled
        r = c.post_form("/settings/email/cancel", {})
        self.assertEqual(r.status, 303)
        self.assertIn("The change of email address was cancelled", c.get("/settings").text)
        self.assertNotIn("Waiting for confirmation", c.get("/settings").text)
        state = mail_state(self.stack)
        r = Client(self.stack).get("/confirm-email?token=" + token)
        self.assertEqual(r.status, 410)
        self.assertIn("This confirmation link no longer works: the change was cancelled",
                      main_text(r))
        self.assertEqual(c.post_form("/confirm-email", {"token": token}).status, 410)
        # forged
        for t in (token[:-2] + "xx", "garbage"):
            r = Client(self.stack).get("/confirm-email?token=" + t)
            self.assertEqual(r.status, 404)
            self.assertIn("This confirmation link is not valid.", main_text(r))
            self.assertEqual(c.post_form("/confirm-email", {"token": t}).status, 404)
        self.assertEqual(mail_state(self.stack), state)

    def test_address_taken_before_the_link_is_used(self):
        c = new_user(self.stack)
        new = "race-" + c.email
        self.assertEqual(self.change(c, new).status, 303)
        token = self.box.token(self.box.wait_for(new), "/confirm-email")
        squatter = Client(self.stack)
        self.assertEqual(squatter.signup(new.upper(), PASSWORD).status, 303)
        state = mail_state(self.stack)
        r = Client(self.stack).get("/confirm-email?token=" + token)
        self.assertEqual(r.status, 409)
        self.assertIn("Another account now uses %s, so the address of your account was not "
                      "changed." % new, main_text(r))
        r = c.post_form("/confirm-email", {"token": token})
        self.assertEqual(r.status, 409)
        self.assertEqual(mail_state(self.stack), state)
        self.assertEqual(self.stack.sql("SELECT COUNT(*) FROM users WHERE email = '%s'"
                                        % c.email), [("1",)])

    def test_a_new_request_voids_the_previous_one(self):
        c = new_user(self.stack)
        a, b = "first-" + c.email, "second-" + c.email
        self.assertEqual(self.change(c, a).status, 303)
        # the first link has arrived (one still queued would not be sent)
        ta = self.box.token(self.box.wait_for(a), "/confirm-email")
        self.assertEqual(self.change(c, b).status, 303)
        self.box.wait_for(b)
        self.assertEqual(Client(self.stack).get("/confirm-email?token=" + ta).status, 410)
        self.assertIn(b, c.get("/settings").text)


    def test_a_voided_link_still_queued_is_never_sent(self):
        c = new_user(self.stack)
        a, b = "first-" + c.email, "second-" + c.email
        self.box.set_mode("refuse")
        self.addCleanup(self.box.set_mode, "normal")
        self.assertEqual(self.change(c, a).status, 303)
        self.assertEqual(self.change(c, b).status, 303)
        self.assertEqual([r[2] for r in self.box.outbox("kind = 'email_change' AND to_addr"
                                                       " LIKE '%%%s'" % c.email)], [b])
        self.box.set_mode("normal")
        self.box.wait_for(b, timeout=30)
        self.box.wait_outbox_empty()
        self.assertEqual(self.box.messages(a), [])

class OutageTest(MailStackTest):
    def test_server_down_answered_at_once_retried_delivered_once(self):
        users = [new_user(self.stack) for _ in range(6)]
        self.box.set_mode("refuse")
        for u in users:
            t0 = time.time()
            c, r = forgot(self.stack, u.email)
            self.assertEqual(r.status, 200)
            self.assertIn("Check your inbox.", r.text)
            self.assertLess(time.time() - t0, 2)
        rows = self.box.wait_outbox("kind = 'reset' AND attempts >= 2", 6)
        self.assertTrue(all(x[3] == "queued" for x in rows))
        self.assertIn("Couldn't connect to server", rows[0][5])
        for u in users:
            self.assertEqual(self.box.messages(u.email), [])
        self.assertIn("not delivered (attempt", self.stack.log_text())
        # the server answers again: every message arrives, once
        self.box.set_mode("normal")
        for u in users:
            self.box.wait_for(u.email, timeout=30)
        self.box.wait_outbox_empty()
        time.sleep(1.5)
        for u in users:
            self.assertEqual(len(self.box.messages(u.email)), 1)
        ids = [m["message_id"] for u in users for m in self.box.messages(u.email)]
        self.assertEqual(len(ids), len(set(ids)))

    def test_temporary_failures_4xx_are_retried(self):
        for mode, reply in (("tempfail", "421"), ("reject-data", "451")):
            with self.subTest(mode=mode):
                u = new_user(self.stack)
                self.box.set_mode(mode)
                forgot(self.stack, u.email)
                row = self.box.wait_outbox("kind = 'reset' AND attempts >= 1")[0]
                self.assertIn(reply, row[5])
                self.assertEqual(self.box.messages(u.email), [])
                self.box.set_mode("normal")
                self.box.wait_for(u.email, timeout=30)
                self.box.wait_outbox_empty()

    def test_gives_up_after_mail_give_up_seconds(self):
        u = new_user(self.stack)
        self.box.set_mode("refuse")
        forgot(self.stack, u.email)
        row = self.box.wait_outbox("kind = 'reset' AND attempts >= 1")[0]
        # as if queued four days ago, with a farewell of a deleted account
        old = int(time.time()) - 4 * 86400
        self.stack.sql("INSERT INTO mail_outbox (user_id, kind, to_addr, subject, body,"
                       " created_at, next_attempt_at) VALUES (NULL, 'account_deleted',"
                       " 'gone@example.com', 's', 'b', %d, 0)" % old)
        self.stack.sql("UPDATE mail_outbox SET created_at = %d WHERE id = %s" % (old, row[0]))
        rows = self.box.wait_outbox("status = 'failed'")
        self.assertEqual([(x[0], x[1], x[2]) for x in rows], [(row[0], "reset", u.email)])
        deadline = time.time() + 20
        while self.box.outbox("kind = 'account_deleted'"):
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertIn("giving up", self.stack.log_text())
        self.box.set_mode("normal")
        time.sleep(2)
        self.assertEqual(self.box.messages(u.email), [])       # failed: not retried
        self.assertEqual(len(self.box.outbox("status = 'failed'")), 1)
        self.stack.sql("DELETE FROM mail_outbox WHERE status = 'failed'")

    def test_a_sender_dying_mid_delivery_leaves_the_row_to_the_others(self):
        u = new_user(self.stack)
        self.box.set_mode("refuse")
        forgot(self.stack, u.email)
        self.box.wait_outbox("kind = 'reset' AND attempts >= 1")
        # As if a process of another host claimed it and died sending: its
        # lease keeps the others off until it ends.
        now = int(time.time())
        self.stack.sql("UPDATE mail_outbox SET claimed_by = 'elsewhere:1:1', claimed_until = %d,"
                       " next_attempt_at = %d WHERE kind = 'reset'" % (now + 4, now))
        self.box.set_mode("normal")
        time.sleep(2)
        self.assertEqual(self.box.messages(u.email), [])
        self.box.wait_for(u.email, timeout=20)
        # A process of this host that died: the next sender to start sees
        # it gone and sends at once, before the lease would end.
        v = new_user(self.stack)
        self.box.set_mode("refuse")
        forgot(self.stack, v.email)
        self.box.wait_outbox("kind = 'reset' AND attempts >= 1")
        dead = subprocess.Popen(["sleep", "0"])
        dead.wait()
        self.stack.sql("UPDATE mail_outbox SET claimed_by = '%s:%d:1', claimed_until = %d,"
                       " next_attempt_at = 0 WHERE kind = 'reset'"
                       % (os.uname().nodename, dead.pid, int(time.time()) + 3600))
        self.box.set_mode("normal")
        time.sleep(1.5)
        self.assertEqual(self.box.messages(v.email), [])
        victim = self.stack.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        self.box.wait_for(v.email, timeout=20)
        self.box.wait_outbox_empty()
        self.assertIn("left by a stopped process will be sent again", self.stack.log_text())


class DemoMailPageTest(MailStackTest):
    def test_the_caught_mail_is_readable_on_the_site_and_as_files(self):
        u = new_user(self.stack)
        forgot(self.stack, u.email)
        msg = self.box.wait_for(u.email)
        for server in ("lighttpd", "apache"):
            r = Client(self.stack, server=server).get("/demo/mail")    # not signed in
            self.assertEqual(r.status, 200)
            self.assertIn("Caught email (demo)", r.text)
            self.assertIn("the mail it sends never leaves this machine", r.text)
            self.assertIn(u.email, r.text)
            link = msg["links"][0]
            self.assertIn('<a href="%s">' % link.replace("&", "&amp;"), r.text)
            self.assertIn(self.stack.path("mail"), r.text)
        with open(os.path.join(self.stack.path("mail"), msg["eml"]), "rb") as f:
            eml = f.read()
        self.assertIn(b"Subject: Reset your Prompt Manager password\r\n", eml)
        self.assertIn(b"Content-Type: text/plain; charset=UTF-8", eml)
        self.assertIn(b"Auto-Submitted: auto-generated", eml)
        # the page escapes what it shows
        with open(os.path.join(self.stack.path("mail"), "999999.json"), "w") as f:
            f.write('{"subject": "<script>x</script>", "rcpt_to": ["a@b.c"],'
                    ' "links": ["javascript:alert(1)"], "text": "<b>", "received_at": 0}')
        r = Client(self.stack).get("/demo/mail")
        self.assertNotIn("<script>x", r.text)
        self.assertIn("&lt;script&gt;x&lt;/script&gt;", r.text)
        self.assertNotIn('href="javascript:', r.text)
        os.unlink(os.path.join(self.stack.path("mail"), "999999.json"))


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class TlsAuthTest(unittest.TestCase):
    """A sink that requires STARTTLS and AUTH, with the app configured for
    both; then, by reloading the configuration (SIGHUP), smtps:// against
    a second sink, a wrong password, and STARTTLS required against a sink
    that has none."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pm-smtp-tls-")
        cls.cert, cls.key = make_cert(cls.tmp)
        pwfile = os.path.join(cls.tmp, "smtp_password")
        with open(pwfile, "w") as f:
            f.write("s3cret-sink-pass\n")
        os.environ["STACK_SMTP_FLAGS"] = ("--auth mailer:s3cret-sink-pass --require-auth "
                                          "--tls-cert %s --tls-key %s --require-tls"
                                          % (cls.cert, cls.key))
        settings = dict(FAST_MAIL)
        settings.update({"smtp_starttls": "required", "smtp_username": "mailer",
                         "smtp_password_file": pwfile, "smtp_ca_file": cls.cert,
                         "demo_mail_dir": "", "reset_max_per_address": "100"})
        cls.stack = Stack(server="lighttpd", workers=2, settings=settings)
        try:
            cls.stack.start()
        finally:
            del os.environ["STACK_SMTP_FLAGS"]
        cls.box = Mailbox(cls.stack)
        cls.sinks = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.sinks:
            p.terminate()
            p.wait()
        cls.stack.stop()

    def sink(self, *flags):
        """Another sink; returns (port, Mailbox-like reader of its dir)."""
        d = tempfile.mkdtemp(dir=self.tmp)
        port_file = os.path.join(d, "port")
        p = subprocess.Popen([sys.executable, SINK, "--port", "0", "--port-file", port_file,
                              "--dir", os.path.join(d, "mail"), "--quiet"] + list(flags))
        self.sinks.append(p)
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.1)
        with open(port_file) as f:
            port = int(f.read())
        box = Mailbox(self.stack)
        box.dir = os.path.join(d, "mail")
        return port, box

    def reload(self, **changes):
        """Rewrite keys of app.conf and SIGHUP the master; wait for the new
        workers."""
        with open(self.stack.config) as f:
            lines = f.read().splitlines()
        for k, v in changes.items():
            lines.append("%s = %s" % (k, v))
        with open(self.stack.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        old = set(self.stack.worker_pids())
        os.kill(self.stack.master_pid(), signal.SIGHUP)
        deadline = time.time() + 30
        while set(self.stack.worker_pids()) & old or len(self.stack.worker_pids()) < 2:
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)

    def test_starttls_and_auth_then_smtps_wrong_password_and_no_starttls(self):
        u = new_user(self.stack)
        self.assertEqual(Client(self.stack).get("/demo/mail").status, 404)   # not a demo
        forgot(self.stack, u.email)
        msg = self.box.wait_for(u.email)
        self.assertTrue(msg["tls"])
        self.assertEqual(msg["auth_user"], "mailer")
        self.assertNotIn("s3cret-sink-pass", self.stack.log_text())
        # smtps://: TLS from the first byte
        port, box2 = self.sink("--tls-cert", self.cert, "--tls-key", self.key, "--smtps")
        self.reload(smtp_url="smtps://127.0.0.1:%d" % port, smtp_username="")
        forgot(self.stack, u.email)
        m2 = box2.wait_for(u.email)
        self.assertTrue(m2["tls"])
        self.assertIsNone(m2["auth_user"])
        # a wrong password: refused, kept, delivered once it is fixed
        with open(self.stack.path("run", "smtp.port")) as f:
            first_sink = int(f.read())
        self.reload(smtp_url="smtp://127.0.0.1:%d" % first_sink, smtp_username="mailer",
                    smtp_password_file=os.path.join(self.tmp, "missing-then-wrong"))
        # (a password file that cannot be read: the sender does not start)
        forgot(self.stack, u.email)
        time.sleep(2)
        self.assertEqual(len(self.box.messages(u.email)), 1)
        self.assertIn("mail: cannot read secret file", self.stack.log_text())
        wrong = os.path.join(self.tmp, "wrong")
        with open(wrong, "w") as f:
            f.write("not-the-password\n")
        self.reload(smtp_password_file=wrong)
        self.assertIn("535", self.box.wait_outbox("attempts >= 1")[0][5])
        self.reload(smtp_password_file=os.path.join(self.tmp, "smtp_password"))
        self.box.wait_for(u.email, 2)
        self.box.wait_outbox_empty()
        # STARTTLS required, a server without it: never sent in clear
        port, box3 = self.sink()
        self.reload(smtp_url="smtp://127.0.0.1:%d" % port, smtp_username="")
        forgot(self.stack, u.email)
        row = self.box.wait_outbox("attempts >= 1")[0]
        self.assertEqual(box3.messages(u.email), [])
        self.assertIn("STARTTLS not supported", row[5])
        self.reload(smtp_starttls="off")
        box3.wait_for(u.email)
        self.box.wait_outbox_empty()
        # no public address for links: no reset, no change of address
        self.reload(public_base_url="")
        self.assertNotIn("/forgot-password", Client(self.stack).get("/login").text)
        c = Client(self.stack)
        r = c.get("/forgot-password")
        self.assertEqual(r.status, 503)
        self.assertIn("Password reset by email is not set up on this site. Ask its "
                      "administrator to reset your password.", main_text(r))
        r = u.post_form("/settings/email", {"new_email": "x-" + u.email,
                                            "email_password": PASSWORD})
        self.assertEqual(r.status, 503)
        self.assertIn("Changing your email address is not set up on this site", main_text(r))
        self.assertEqual(self.box.outbox(), [])


if __name__ == "__main__":
    unittest.main()
