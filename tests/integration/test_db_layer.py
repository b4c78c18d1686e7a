"""The database layer against a test stack's MariaDB: the C program
tests/db/test_db_layer.c (built beside pm-admin, so the sanitizer run
tests its own build) with the stack's configuration."""
import os
import subprocess
import unittest

from tests.integration.stack import PM_ADMIN, ROOT, Stack, _clean_env

PROGRAM = os.path.join(os.path.dirname(PM_ADMIN), "tests", "db", "test_db_layer")


class DbLayerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_db_layer(self):
        self.assertTrue(os.access(PROGRAM, os.X_OK), PROGRAM + " is not built")
        p = subprocess.run([PROGRAM], cwd=ROOT, capture_output=True, text=True,
                           env=_clean_env(PM_CONFIG=self.stack.config), timeout=120)
        out = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("[  PASSED  ] 3 test(s).", out)
        # what the layer says of the bugs it meets
        self.assertIn("db: a connection came back to its pool inside a transaction,"
                      " rolled back (opened by: START TRANSACTION; last: UPDATE"
                      " db_layer_probe SET v = ? WHERE id = ?)", out)
        self.assertIn("db: a transaction begun inside a transaction", out)
        self.assertIn("db: a connection given back inside db_tx() (last: UPDATE"
                      " db_layer_probe SET v = ? WHERE id = ?)", out)


if __name__ == "__main__":
    unittest.main()
