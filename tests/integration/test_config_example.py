"""conf/app.conf.example documents every configuration key, and is a
valid configuration file."""
import os
import re
import subprocess
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


class ConfigExampleTest(unittest.TestCase):
    def test_every_key_is_documented(self):
        out = subprocess.run([os.path.join(ROOT, "build", "pm-admin"), "-c", "/dev/null", "config"],
                             capture_output=True, text=True, check=True).stdout
        keys = [line.split()[0] for line in out.splitlines() if line.strip()]
        self.assertGreater(len(keys), 30)
        with open(os.path.join(ROOT, "conf", "app.conf.example")) as f:
            example = f.read()
        for k in keys:
            self.assertRegex(example, r"(?m)^#?%s =( |$)" % re.escape(k), k)

    def test_example_parses(self):
        r = subprocess.run([os.path.join(ROOT, "build", "pm-admin"), "-c",
                            os.path.join(ROOT, "conf", "app.conf.example"), "config"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("/etc/prompt-manager/secrets/openrouter_key", r.stdout)


if __name__ == "__main__":
    unittest.main()
