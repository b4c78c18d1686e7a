"""The vault of BYOK keys: after a full BYOK flow with recognisable keys
(Test refused and accepted, Save, runs streamed and not on both web servers,
a failing key whose provider quotes it, hybrid routing, a pin, delete), no
part of them is in any answer (every GET route of routes.c included), log
line, file of the stack (the database's own files included) or database
dump; and pm-admin rotate-master-key NEWFILE seals every stored key again
while the site keeps serving, old and new master keys both readable."""
import hashlib
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import unittest

from tests.integration.stack import Client, Stack, api, new_user
from tests.integration.test_byok import (configure, execute, fake_keys, main_text,
                                         make_prompt, or_key)

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


class Recorder(Client):
    """A client that keeps every answer it receives."""
    seen = []

    def request(self, *a, **kw):
        r = super().request(*a, **kw)
        Recorder.seen.append(("%s %s" % (a[0], a[1]), r))
        return r


def recording_user(stack, server="lighttpd", plan="PRO"):
    c = new_user(stack, server=server, plan=plan)
    r = Recorder(stack, server=server)
    r.cookies, r.email, r.api_token = dict(c.cookies), c.email, c.api_token
    return r


def get_routes():
    """The GET patterns of routes.c, but the test-only ones."""
    with open(os.path.join(ROOT, "app", "routes.c")) as f:
        text = f.read()
    out = []
    for m in re.finditer(r'\{\s*M_GET,\s*"([^"]+)",\s*\w+,\s*AUTH_\w+,\s*([^,]+),', text):
        if "RF_TEST" not in m.group(2):
            out.append(m.group(1))
    return out


def windows(key, skip):
    """Pieces of the key to look for: itself and every 12 characters of
    its secret part (after its tag) starting every 6th."""
    body = key[skip:]
    return [key.encode()] + [body[i:i + 12].encode() for i in range(0, len(body) - 11, 6)]


class LeakScanTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_plaintext_is_nowhere(self):
        stack = self.stack
        k1 = "sk-or-v1-" + "5ecre7k3y" * 6 + "zz99"
        k2 = "sk-proj-" + "5ecre70pena1" * 4 + "oa11"
        c = recording_user(stack)
        ca = Recorder(stack, server="apache")
        ca.cookies, ca.api_token = dict(c.cookies), c.api_token
        # refused tests first: malformed, unknown to the provider
        c.post_form("/settings/byok/test", {"provider": "openrouter", "key": k1 + " "})
        c.post_form("/settings/byok/test", {"provider": "openrouter", "key": k1})
        c.post_form("/settings/byok/test", {"provider": "openai", "key": k2})
        c.post_form("/settings/byok/test", {"provider": "openai", "key": k1})
        c.post_form("/settings/byok/test", {"provider": "custom", "key": k1,
                                            "base_url": "https://127.0.0.1/v1"})
        fake_keys(stack, key=k1, label="leak test")
        fake_keys(stack, key=k2, provider="openai")
        configure(c, "openrouter", k1)
        configure(ca, "openai", k2)
        s_oa = make_prompt(c, model="openai/gpt-4o", slug="leak-openai")
        s_an = make_prompt(c, model="anthropic/claude-3-opus", slug="leak-anthropic")
        for cl in (c, ca):
            for slug in (s_oa, s_an):
                self.assertEqual(execute(cl, slug).status, 200)
                self.assertEqual(execute(cl, slug, stream=True).status, 200)
                r = cl.request("POST", "/prompts/%s/run" % slug, form={
                    "_csrf": cl.api_token, "var.topic": "x"},
                    headers={"Accept": "text/event-stream"})
                self.assertEqual(r.status, 200)
                cl.request("POST", "/prompts/%s/run" % slug, form={
                    "_csrf": cl.api_token, "var.topic": "y"})
        # failing keys: a 401 of OpenRouter, an OpenAI 401 quoting the key
        fake_keys(stack, key=k1, status=401)
        self.assertEqual(execute(c, s_an).status, 502)
        fake_keys(stack, key=k2, provider="groq")       # no longer OpenAI's
        r = execute(c, s_oa)
        self.assertEqual(r.status, 502)
        self.assertIn("Incorrect API key provided: ", r.json()["error"]["message"])
        reason = stack.sql("SELECT failing_reason FROM byok_keys WHERE provider = 'openai'")
        self.assertIn("Incorrect API key provided: ", reason[0][0])
        c.get("/settings/byok")
        c.get("/prompts/%s/run" % s_oa)
        fake_keys(stack, key=k1, status=None)
        fake_keys(stack, key=k2, provider="openai")
        self.assertEqual(execute(c, s_oa).status, 200)
        c.post_form("/prompts/%s/byok" % s_an, {"byok_pin": "openrouter"})
        c.get("/prompts/%s/settings" % s_an)
        c.get("/settings/byok/delete?provider=openai")
        # every GET route of the site, as this user
        ex = stack.sql("SELECT id FROM executions ORDER BY id DESC LIMIT 1")[0][0]
        for pattern in get_routes():
            path = (pattern.replace(":slug", s_an).replace(":n", "1").replace(":id", ex))
            for cl in (c, ca):
                cl.get(path)
                api(cl, "GET", path) if path.startswith("/api/") else None
        c.get("/settings/byok?provider=openrouter")
        c.post_form("/settings/byok/delete", {"provider": "openai"})
        c.get("/settings/byok")
        self.assertGreater(len(Recorder.seen), 60)

        needles = windows(k1, 9) + windows(k2, 8)
        # every answer: status line, headers, body
        for what, r in Recorder.seen:
            blob = ("%d %s\n" % (r.status, r.reason)).encode() + b"".join(
                ("%s: %s\n" % kv).encode() for kv in r.header_pairs) + r.body
            for n in needles:
                self.assertNotIn(n, blob, "%s answered part of a key" % what)
        # every file of the stack: logs (pm-fcgi, lighttpd, Apache, MariaDB,
        # the fake), the database's own files, the configuration
        pub = "/run/pm-stack-" + hashlib.sha256(stack.dir.encode()).hexdigest()[:16]
        if not os.access("/run", os.W_OK):
            pub = "/tmp/pm-stack-" + hashlib.sha256(stack.dir.encode()).hexdigest()[:16]
        files = 0
        for top in (stack.dir, pub):
            for d, _, names in os.walk(top):
                for name in names:
                    p = os.path.join(d, name)
                    if not os.path.isfile(p) or os.path.islink(p):
                        continue
                    with open(p, "rb") as f:
                        data = f.read()
                    files += 1
                    for n in needles:
                        self.assertNotIn(n, data, "%s holds part of a key" % p)
        self.assertGreater(files, 20)
        self.assertIn("saved their openrouter key", stack.log_text())
        # every column of every table
        dump = subprocess.run(["mariadb-dump", "--no-defaults", "--socket=" + stack.db_socket,
                               "-uroot", "--skip-extended-insert", "prompt_manager"],
                              capture_output=True, timeout=60, check=True).stdout
        self.assertIn(b"INSERT INTO `byok_keys`", dump)
        for n in needles:
            self.assertNotIn(n, dump)
        # the operator's tool neither
        out = stack.admin("config")
        for n in needles:
            self.assertNotIn(n.decode(), out.stdout + out.stderr)


def key_id(hexkey):
    return hashlib.sha256(b"pm-vault-key-id" + bytes.fromhex(hexkey)).hexdigest()[:16]


class RotationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def reload(self, set_keys):
        """Rewrite the vault lines of app.conf and reload pm-fcgi (SIGHUP)."""
        stack = self.stack
        with open(stack.config) as f:
            lines = [l for l in f if not l.startswith(("vault_key_file", "vault_old_key_file"))]
        lines += ["%s = %s\n" % kv for kv in set_keys.items()]
        with open(stack.config, "w") as f:
            f.writelines(lines)
        before = stack.log_text().count("reloaded:")
        os.kill(stack.master_pid(), signal.SIGHUP)
        end = time.time() + 30
        while stack.log_text().count("reloaded:") == before:
            self.assertLess(time.time(), end, stack.log_text()[-2000:])
            time.sleep(0.1)
        time.sleep(0.5)                 # the old generation finishing

    def test_rotate_while_serving(self):
        stack = self.stack
        old = stack.path("secrets", "vault_key")
        with open(old) as f:
            old_id = key_id(f.read().strip())
        new_hex = secrets.token_hex(32)
        new = stack.path("secrets", "vault_key.new")
        with open(new, "w") as f:
            f.write(new_hex + "\n")
        os.chmod(new, 0o644)
        users = []
        for i in range(3):
            c = new_user(stack, plan="PRO")
            k = or_key("ro%02d" % i)
            fake_keys(stack, key=k)
            if i < 2:
                configure(c, "openrouter", k)
            else:          # tested, not yet saved
                self.assertEqual(c.post_form("/settings/byok/test", {
                    "provider": "openrouter", "key": k}).status, 200)
            users.append((c, make_prompt(c), k))
        self.assertEqual(stack.sql("SELECT COUNT(*) FROM byok_keys WHERE vault_key_id = '%s'"
                                   % old_id), [("2",)])
        # NEWFILE must already be the key the site seals with
        r = stack.admin("rotate-master-key", new)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s is not the vault_key_file of the configuration. First set"
                      " vault_key_file = %s and vault_old_key_file = the file of the key in"
                      " use now, reload pm-fcgi" % (new, new), r.stderr)
        r = stack.admin("rotate-master-key", stack.path("secrets", "nope"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("No such file", r.stderr)
        self.assertNotIn(new_hex, r.stdout + r.stderr)
        # the site seals with the new key and opens both
        self.reload({"vault_key_file": new, "vault_old_key_file": old})
        for c, slug, _ in users[:2]:
            self.assertEqual(execute(c, slug).status, 200)
        # runs go on while the keys are sealed again
        statuses, stop = [], threading.Event()

        def runs():
            while not stop.is_set():
                for c, slug, _ in users[:2]:
                    r = execute(c, slug)
                    statuses.append(r.status if r.status == 200 else (r.status, r.text))

        t = threading.Thread(target=runs)
        t.start()
        time.sleep(0.3)
        # a key of an unknown master key is reported and left
        stack.sql("INSERT INTO byok_keys (user_id, provider, sealed, vault_key_id, last4,"
                  " created_at, updated_at) SELECT id, 'anthropic', 'AAAA', 'ffffffffffffffff',"
                  " 'xxxx', 1, 1 FROM users WHERE email = '%s'" % users[0][0].email)
        r = stack.admin("rotate-master-key", new)
        time.sleep(0.3)
        stop.set()
        t.join(30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("3 sealed again with key %s, 0 already sealed with it, 0 changed meanwhile"
                      " (run again), 1 unreadable (left as they are)" % key_id(new_hex), r.stdout)
        self.assertIn("keep vault_old_key_file", r.stdout)
        self.assertGreater(len(statuses), 2)
        self.assertEqual(set(statuses), {200})
        stack.sql("DELETE FROM byok_keys WHERE vault_key_id = 'ffffffffffffffff'")
        r = stack.admin("rotate-master-key", new)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0 sealed again with key %s, 3 already sealed with it" % key_id(new_hex),
                      r.stdout)
        self.assertIn("remove vault_old_key_file from the configuration", r.stdout)
        self.assertEqual(stack.sql("SELECT DISTINCT vault_key_id FROM byok_keys"),
                         [(key_id(new_hex),)])
        self.assertEqual(stack.sql("SELECT DISTINCT vault_key_id FROM byok_pending"),
                         [(key_id(new_hex),)])
        # the old key gone: everything still opens; the pending key saves
        self.reload({"vault_key_file": new})
        for c, slug, _ in users[:2]:
            self.assertEqual(execute(c, slug).status, 200)
        c, slug, k = users[2]
        self.assertEqual(c.post_form("/settings/byok/save", {"provider": "openrouter"}).status,
                         303)
        stack.openrouter_clear()
        self.assertEqual(execute(c, slug).status, 200)
        self.assertEqual(stack.openrouter_requests()[0]["key_label"], "sk-or-v1-..." + k[-4:])
        # a site given only the old key cannot read them: a clear failure
        self.reload({"vault_key_file": old})
        r = execute(users[0][0], users[0][1])
        self.assertEqual(r.status, 503)
        self.assertIn("sealed with a master key this server does not have",
                      r.json()["error"]["message"])
        self.assertIn("sealed with a master key this server lacks", stack.log_text())


if __name__ == "__main__":
    unittest.main()
