"""pm-fcgi reads its secrets at start (the API keys' secret and the vault's
master keys) and refuses to start, saying why and naming the file but never
its content, when one is missing or malformed."""
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
GOOD = "ab" * 32


class SecretsAtStartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pm-secrets-")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.dir])

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, **keys):
        """pm-fcgi -t with a configuration of keys; (exit status, stderr)."""
        conf = {"templates_dir": os.path.join(ROOT, "templates"),
                "api_key_secret_file": self.file("api", GOOD + "\n"),
                "vault_key_file": self.file("vault", GOOD.upper() + "\n")}
        conf.update(keys)
        path = self.file("app.conf", "".join("%s = %s\n" % kv for kv in conf.items()))
        r = subprocess.run([os.path.join(ROOT, "build", "pm-fcgi"), "-t", "-c", path],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stderr

    def test_good_secrets_start(self):
        self.assertEqual(self.check(), (0, ""))
        rc, err = self.check(vault_old_key_file=self.file("old", "cd" * 32))
        self.assertEqual((rc, err), (0, ""))

    def test_refusals_name_the_file_not_the_secret(self):
        missing = os.path.join(self.dir, "nope")
        short = self.file("short", "abcd\n")
        bad = self.file("bad", "zz" * 32)
        cases = [
            ({"vault_key_file": missing}, [missing, "No such file"]),
            ({"vault_key_file": short}, [short, "64 hex digits", "4 characters"]),
            ({"vault_key_file": bad}, [bad, "64 hex digits"]),
            ({"vault_key_file": ""}, ["no master key file is configured (vault_key_file)"]),
            ({"vault_old_key_file": bad}, [bad]),
            ({"api_key_secret_file": ""}, ["api_key_secret_file is not set"]),
            ({"api_key_secret_file": short}, [short, "64 hex digits"]),
        ]
        for keys, words in cases:
            rc, err = self.check(**keys)
            self.assertEqual(rc, 1, (keys, err))
            for w in words:
                self.assertIn(w, err, keys)
            self.assertNotIn("zz" * 8, err)
            self.assertNotIn("abcd", err.replace(short, ""))


if __name__ == "__main__":
    unittest.main()
