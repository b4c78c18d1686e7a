"""The OpenAPI 3.1 document at /api/openapi.json matches the routes table:
every /api route of app/routes.c is documented with its method, its path
parameters and, for a JSON body, its fields (types and required ones as the
router checks them), and every documented operation exists; the API page
of the site shows how to call it with curl and with an OpenAI SDK."""
import os
import re
import unittest

from tests.integration.stack import ROOT, Client, Stack

ROUTE_RE = re.compile(r'\{\s*M_([A-Z]+)\s*,\s*"(/api/[^"]*)"\s*,\s*(\w+)\s*,\s*(AUTH_\w+)'
                      r'\s*,\s*([^,]*),\s*(\w+)\s*\}', re.S)


def routes_of_source():
    """[(method, pattern, auth, flags, body table)] of the /api routes."""
    with open(os.path.join(ROOT, "app", "routes.c"), encoding="utf-8") as f:
        src = f.read()
    return [(m.lower(), p, a, fl.strip(), b) for m, p, _h, a, fl, b in ROUTE_RE.findall(src)]


def body_fields(name):
    """{field: (type, flags)} of the body table name in app/routes.c
    (fields written directly or through the PROMPT/VERSION macros)."""
    with open(os.path.join(ROOT, "app", "routes.c"), encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"static const struct field %s\[\] = \{(.*?)\n\};" % name, src, re.S)
    text = m.group(1)
    for macro in re.findall(r"\b([A-Z_]+_FIELDS)\b", text):
        mm = re.search(r"#define %s \\\n(.*?)\n\n" % macro, src, re.S)
        text += mm.group(1)
    return {f: (t, fl) for f, t, fl in re.findall(
        r'\{ "(\w+)", (FT_\w+), ([^,]+),', text)}


def oa_path(pattern):
    return re.sub(r":(\w+)", r"{\1}", pattern)


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=1).start()
        r = Client(cls.stack).get("/api/openapi.json")
        assert r.status == 200, r.text
        cls.doc = r.json()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_every_route_is_documented_and_nothing_else(self):
        routes = routes_of_source()
        self.assertGreater(len(routes), 25)
        self.assertEqual(self.doc["openapi"], "3.1.0")
        documented = {(m, p) for p, item in self.doc["paths"].items() for m in item}
        in_table = {(m, oa_path(p)) for m, p, _a, _f, _b in routes}
        self.assertEqual(documented, in_table)
        for m, p, auth, flags, body in routes:
            op = self.doc["paths"][oa_path(p)][m]
            self.assertTrue(op["summary"], (m, p))
            names = re.findall(r":(\w+)", p)
            self.assertEqual([x["name"] for x in op.get("parameters", [])], names, (m, p))
            for x in op.get("parameters", []):
                self.assertEqual(x["schema"]["type"], "string" if x["name"] == "slug"
                                 else "integer")
            if body not in ("NULL", "body_none"):
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                fields = body_fields(body)
                self.assertEqual(set(schema["properties"]), set(fields), (m, p))
                self.assertEqual(set(schema.get("required", [])),
                                 {f for f, (_t, fl) in fields.items() if "FF_REQUIRED" in fl})
                self.assertFalse(schema["additionalProperties"])
            else:
                self.assertNotIn("requestBody", op, (m, p))
            sec = [list(s)[0] for s in op["security"]]
            if auth == "AUTH_NONE":
                self.assertEqual(sec, [], p)
            elif "RF_SESSION_ONLY" in flags:
                self.assertEqual(sec, ["session"], p)
            else:
                self.assertEqual(sec, ["apiKey", "session"], p)
                scope = ("execute" if "RF_EXECUTE" in flags else "read"
                         if m == "get" or "RF_READS" in flags else "write")
                self.assertEqual(op["x-api-key-scope"], scope, (m, p))
            err = op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"]
            self.assertEqual(err, "#/components/schemas/OpenAIError" if "RF_OPENAI" in flags
                             else "#/components/schemas/Error")

    def test_typed_fields(self):
        chat = self.doc["paths"]["/api/v1/chat/completions"]["post"]
        props = chat["requestBody"]["content"]["application/json"]["schema"]["properties"]
        self.assertEqual(props["model"]["type"], "string")
        self.assertEqual(props["temperature"], {"type": ["number", "null"],
                                                "minimum": 0, "maximum": 2})
        self.assertEqual(props["stop"], {})
        self.assertIn("model", chat["requestBody"]["content"]["application/json"]
                      ["schema"]["required"])

    def test_the_api_page(self):
        r = Client(self.stack).get("/docs/api")
        self.assertEqual(r.status, 200)
        for text in ("Authorization: Bearer", "/api/v1/chat/completions", "baseURL",
                     "prompt:", "/api/openapi.json", "X-RateLimit-Remaining", "curl"):
            self.assertIn(text, r.text)


if __name__ == "__main__":
    unittest.main()
