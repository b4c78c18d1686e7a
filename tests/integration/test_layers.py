"""The layering rule of app/ (tests/tools/layers.py) holds, and the check
catches a domain file that includes the HTTP layer."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tests", "tools", "layers.py")


class LayersTest(unittest.TestCase):
    def run_on(self, app):
        return subprocess.run([sys.executable, TOOL, app], capture_output=True, text=True)

    def test_the_tree_respects_the_layers(self):
        r = self.run_on(os.path.join(ROOT, "app"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_domain_file_including_the_http_layer_fails(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        app = os.path.join(d, "app")
        shutil.copytree(os.path.join(ROOT, "app"), app)
        with open(os.path.join(app, "prompts.c"), "a") as f:
            f.write('#include "http.h"\n')
        with open(os.path.join(app, "newthing.c"), "w") as f:
            f.write("/* newthing.c - unclassified */\n")
        r = self.run_on(app)
        self.assertEqual(r.returncode, 1)
        self.assertIn("app/prompts.c:", r.stderr)
        self.assertIn("a domain file includes http.h of the web layer", r.stderr)
        self.assertIn("app/newthing.c: in no layer", r.stderr)


if __name__ == "__main__":
    unittest.main()
