"""The mail a test stack sent: what its local SMTP sink caught
(tests/fakes/smtp_sink.py, started by scripts/stack.sh in DIR/mail), and
the switch that makes the sink refuse or fail, to simulate an outage.

    box = Mailbox(stack)
    msg = box.wait_for(email)            # the first message to email
    link = box.link(msg, "/reset-password")
    box.set_mode("refuse")               # the mail server is down
"""
import json
import os
import time
import urllib.parse


class Mailbox:
    def __init__(self, stack):
        self.stack = stack
        self.dir = stack.path("mail")

    def messages(self, to=None):
        """Every caught message (the sink's JSON records), oldest first;
        with to, only those to that address (any letter case)."""
        out = []
        try:
            names = sorted(n for n in os.listdir(self.dir) if n.endswith(".json"))
        except FileNotFoundError:
            return out
        for name in names:
            with open(os.path.join(self.dir, name), encoding="utf-8") as f:
                m = json.load(f)
            if to is None or to.lower() in (r.lower() for r in m["rcpt_to"]):
                out.append(m)
        return out

    def wait_for(self, to, count=1, timeout=20, subject=None):
        """The count-th message to address to (optionally with that subject
        fragment), waiting up to timeout seconds for it."""
        deadline = time.time() + timeout
        while True:
            got = [m for m in self.messages(to) if subject is None or subject in m["subject"]]
            if len(got) >= count:
                return got[count - 1]
            if time.time() > deadline:
                raise AssertionError("no message %d to %s within %ss (got %d: %r)"
                                     % (count, to, timeout, len(got),
                                        [m["subject"] for m in got]))
            time.sleep(0.1)

    @staticmethod
    def link(msg, path):
        """The link of msg to path on the site, as a local path with its
        query ("/reset-password?token=...")."""
        for url in msg["links"]:
            u = urllib.parse.urlsplit(url)
            if u.path == path:
                return u.path + ("?" + u.query if u.query else "")
        raise AssertionError("no link to %s in %r" % (path, msg["links"]))

    @staticmethod
    def token(msg, path):
        """The token of msg's link to path."""
        q = urllib.parse.urlsplit(Mailbox.link(msg, path)).query
        return urllib.parse.parse_qs(q)["token"][0]

    def set_mode(self, mode):
        """normal, refuse (the port is closed), tempfail (421 at once) or
        reject-data (451 after the message); applied within 0.1 s."""
        tmp = os.path.join(self.dir, ".mode.tmp")
        with open(tmp, "w") as f:
            f.write(mode + "\n")
        os.replace(tmp, os.path.join(self.dir, ".mode"))
        time.sleep(0.3)

    def outbox(self, where="1=1"):
        """Rows of mail_outbox: (id, kind, to_addr, status, attempts,
        last_error)."""
        return self.stack.sql("SELECT id, kind, to_addr, status, attempts,"
                              " COALESCE(last_error, '') FROM mail_outbox WHERE "
                              + where + " ORDER BY id")

    def wait_outbox(self, where, count=1, timeout=20):
        """The rows of mail_outbox matching where, once there are count of
        them (e.g. "attempts >= 1": a delivery failed)."""
        deadline = time.time() + timeout
        while True:
            rows = self.outbox(where)
            if len(rows) >= count:
                return rows
            if time.time() > deadline:
                raise AssertionError("mail_outbox: %d row(s) where %s within %ss, not %d: %r"
                                     % (len(rows), where, timeout, count, self.outbox()))
            time.sleep(0.1)

    def wait_outbox_empty(self, timeout=20):
        deadline = time.time() + timeout
        while self.outbox():
            if time.time() > deadline:
                raise AssertionError("mail_outbox still holds %r" % (self.outbox(),))
            time.sleep(0.1)
