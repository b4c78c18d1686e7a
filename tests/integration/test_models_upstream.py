"""The model catalog: "pm-admin models sync" from the fake OpenRouter (which
scripts/stack.sh starts and syncs from at start-up) and from JSON files,
exact prices, the admin's free-tier choice surviving syncs, deactivation
and reactivation, refusals that leave the catalog alone.

A private stack (lighttpd, one worker): the tests change the catalog, which
other modules' shared stack must not see.

    python3 -m unittest tests.integration.test_models_upstream -v
"""
import json
import os
import tempfile
import unittest
import urllib.request

from tests.integration.stack import Stack

# The fake's default catalog, as the database must hold it: id ->
# (provider, prompt nanos, completion nanos, context, is_free).
FAKE_MODELS = {
    "anthropic/claude-3-opus": ("anthropic", 15000, 75000, 200000, 0),
    "fake/fast": ("fake", 100, 200, 8192, 0),
    "meta-llama/llama-3.1-8b-instruct:free": ("meta-llama", 0, 0, 131072, 1),
    "mistralai/mistral-7b-instruct:free": ("mistralai", 0, 0, 32768, 1),
    "openai/gpt-4o": ("openai", 2500, 10000, 128000, 0),
    "openai/gpt-4o-mini": ("openai", 150, 600, 128000, 0),
}


def model(mid, prompt, completion, name=None, context=4096):
    return {"id": mid, "name": name or mid, "context_length": context,
            "pricing": {"prompt": prompt, "completion": completion,
                        "request": "0"}}


class ModelsSyncTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1)
        try:
            cls.stack.start()
        except Exception:
            cls.stack.stop()
            raise
        cls.tmp = tempfile.mkdtemp(prefix="pm-models-")

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        for name in os.listdir(cls.tmp):
            os.unlink(os.path.join(cls.tmp, name))
        os.rmdir(cls.tmp)

    # -- helpers
    def sync(self, *args, env=None):
        p = self.stack.admin("models", "sync", *args, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout.strip()

    def write(self, name, doc):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def rows(self):
        """id -> (provider, prompt, completion, context, is_free, free_tier,
        active, name)"""
        out = {}
        for r in self.stack.sql(
                "SELECT id, provider, price_prompt_nanos, price_completion_nanos,"
                " IFNULL(context_length, -1), is_free, free_tier, active, name"
                " FROM models"):
            out[r[0]] = (r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]),
                         int(r[6]), int(r[7]), r[8])
        return out

    def restore(self):
        """Back to the fake's catalog, everything active."""
        self.sync()
        self.stack.sql("UPDATE models SET free_tier = is_free")
        self.stack.sql("DELETE FROM models WHERE id NOT IN (%s)"
                       % ",".join("'%s'" % m for m in FAKE_MODELS))

    def setUp(self):
        self.restore()

    # -- tests
    def test_startup_sync_exact_prices(self):
        rows = self.rows()
        self.assertEqual(sorted(rows), sorted(FAKE_MODELS))
        for mid, (prov, pp, pc, ctx, free) in FAKE_MODELS.items():
            r = rows[mid]
            self.assertEqual(r[:5], (prov, pp, pc, ctx, free), mid)
            self.assertEqual(r[5], free, mid)         # free_tier = is_free
            self.assertEqual(r[6], 1, mid)            # active
        self.assertEqual(rows["openai/gpt-4o-mini"][7], "OpenAI: GPT-4o-mini")

    def test_resync_unchanged(self):
        self.assertEqual(self.sync(), "6 models (0 added, 0 updated, 0 deactivated)")

    def test_sync_sends_the_key_but_never_prints_it(self):
        with open(self.stack.path("secrets", "openrouter_key")) as f:
            key = f.read().strip()
        req = urllib.request.Request(self.stack.openrouter_url("/__fake/requests"),
                                     method="DELETE")
        urllib.request.urlopen(req, timeout=10).read()
        p = self.stack.admin("models", "sync")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(key, p.stdout + p.stderr)
        with urllib.request.urlopen(self.stack.openrouter_url("/__fake/requests"),
                                    timeout=10) as r:
            log = json.loads(r.read())
        gets = [e for e in log if e["path"] == "/api/v1/models"]
        self.assertEqual(len(gets), 1)
        self.assertEqual(gets[0]["method"], "GET")
        self.assertEqual(gets[0]["headers"].get("Authorization"), "Bearer ***")
        self.assertEqual(gets[0]["key_label"], "sk-or-v1-..." + key[-4:])

    def test_file_sync_upsert_keep_free_tier_deactivate(self):
        p = self.stack.admin("models", "free-tier", "openai/gpt-4o-mini", "on")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = {"data": [
            # changed price (exact decimal, rounded up) and name
            model("openai/gpt-4o-mini", "0.000123456789", "0.0000006",
                  name="GPT-4o mini (new)", context=128000),
            # unchanged
            model("openai/gpt-4o", "0.0000025", "0.00001", name="OpenAI: GPT-4o",
                  context=128000),
            model("fake/fast", "0.0000001", "0.0000002", name="Fake: Fast",
                  context=8192),
            model("meta-llama/llama-3.1-8b-instruct:free", "0", "0",
                  name="Meta: Llama 3.1 8B Instruct (free)", context=131072),
            model("mistralai/mistral-7b-instruct:free", "0", "0",
                  name="Mistral: Mistral 7B Instruct (free)", context=32768),
            # new: free by its suffix though priced, no context length
            dict(model("new/thing:free", "0.000001", "0.000002"),
                 context_length=None),
            # skipped: router price, bad id, no pricing, duplicate
            model("openrouter/auto", "-1", "-1"),
            model("bad id", "0", "0"),
            {"id": "no/pricing", "name": "x"},
            model("openai/gpt-4o", "0.5", "0.5"),
        ]}
        out = self.sync("--file", self.write("upd.json", doc))
        self.assertEqual(out, "6 models (1 added, 1 updated, 1 deactivated, "
                              "4 skipped)")
        rows = self.rows()
        mini = rows["openai/gpt-4o-mini"]
        self.assertEqual(mini[1], 123457)             # 123456.789 rounded up
        self.assertEqual(mini[7], "GPT-4o mini (new)")
        self.assertEqual(mini[5], 1)                  # the admin's choice kept
        self.assertEqual(rows["openai/gpt-4o"][1], 2500)
        self.assertEqual(rows["anthropic/claude-3-opus"][6], 0)   # inactive
        self.assertEqual(rows["new/thing:free"],
                         ("new", 1000, 2000, -1, 1, 1, 1, "new/thing:free"))
        self.assertNotIn("openrouter/auto", rows)
        self.assertNotIn("no/pricing", rows)

        # Back from the fake: reactivated, price restored, the file's
        # model deactivated, the admin's free tier still there.
        out = self.sync()
        self.assertEqual(out, "6 models (0 added, 2 updated, 1 deactivated)")
        rows = self.rows()
        self.assertEqual(rows["anthropic/claude-3-opus"][6], 1)
        self.assertEqual(rows["openai/gpt-4o-mini"][1:3], (150, 600))
        self.assertEqual(rows["openai/gpt-4o-mini"][5], 1)
        self.assertEqual(rows["new/thing:free"][6], 0)

    def test_free_tier_command(self):
        p = self.stack.admin("models", "free-tier", "openai/gpt-4o", "on")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.rows()["openai/gpt-4o"][5], 1)
        p = self.stack.admin("models", "free-tier", "openai/gpt-4o", "off")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.rows()["openai/gpt-4o"][5], 0)
        p = self.stack.admin("models", "free-tier", "no/such-model", "on")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no such model", p.stderr)

    def test_refusals_leave_the_catalog_alone(self):
        before = self.rows()
        cases = [
            (os.path.join(self.tmp, "missing.json"), "cannot read"),
            (self.write("garbage.json", "{not json"), "not valid JSON"),
            (self.write("nodata.json", {"models": []}), "no \"data\" array"),
            (self.write("empty.json", {"data": []}), "no usable model"),
            (self.write("allbad.json", {"data": [model("x y", "1", "1")]}),
             "no usable model"),
        ]
        for path, why in cases:
            with self.subTest(path=os.path.basename(path)):
                p = self.stack.admin("models", "sync", "--file", path)
                self.assertEqual(p.returncode, 1, p.stdout)
                self.assertIn(why, p.stderr)
                self.assertEqual(p.stdout, "")
        self.assertEqual(self.rows(), before)
        p = self.stack.admin("models", "sync", "--file")
        self.assertEqual(p.returncode, 2)
        p = self.stack.admin("models", "sync", "--bogus", "x")
        self.assertEqual(p.returncode, 2)

    def test_upstream_unreachable(self):
        before = self.rows()
        p = self.stack.admin("models", "sync", env={
            "PM_OPENROUTER_BASE_URL": "http://127.0.0.1:1/api/v1",
            "PM_UPSTREAM_TIMEOUT_MS": "3000"})
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("GET /models", p.stderr)
        self.assertEqual(self.rows(), before)


if __name__ == "__main__":
    unittest.main()
