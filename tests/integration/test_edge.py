"""Validation at the edge: reserved slugs (a prompt may be named like a
page of the site), path parameters checked by kind before any handler,
every JSON body checked against its table of fields, and every string
that comes in checked as text. Each refusal checks the exact status and
message and that nothing was written."""
import json
import os
import re
import unittest

from tests.integration.stack import api, get_stack, new_user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def literal_segments(prefix):
    """The literal path segments the routes table holds right after prefix
    (where :slug also stands): the words a slug may not be."""
    with open(os.path.join(ROOT, "app", "routes.c")) as f:
        patterns = re.findall(r'"(/[^"]*)"', f.read())
    assert prefix + ":slug" in patterns, prefix
    words = set()
    for p in patterns:
        if p.startswith(prefix):
            seg = p[len(prefix):].split("/")[0]
            if seg and not seg.startswith(":"):
                words.add(seg)
    return sorted(words)


class ReservedSlugTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def prompts_of(self, c):
        return self.stack.sql("SELECT slug FROM prompts p JOIN users u ON u.id = p.user_id"
                              " WHERE u.email = '%s' ORDER BY p.id" % c.email)

    def test_the_words_are_found(self):
        self.assertEqual(literal_segments("/prompts/"), ["import", "new"])
        self.assertEqual(literal_segments("/api/v1/prompts/"), ["import"])

    def test_a_prompt_named_like_a_page_opens(self):
        words = sorted(set(literal_segments("/prompts/") + literal_segments("/api/v1/prompts/")))
        c = new_user(self.stack)
        for w in words:
            name = w.capitalize()
            # from the site: the form redirects to the prompt's own page
            r = c.post_form("/prompts", {"name": name, "user_template": "Hello",
                                         "model": "openai/gpt-4o-mini"})
            self.assertEqual(r.status, 303, r.text)
            self.assertEqual(r.header("location"), "/prompts/%s-2" % w)
            page = c.get("/prompts/%s-2" % w)
            self.assertEqual(page.status, 200)
            self.assertIn("<h1>%s</h1>" % name, page.text)
            # from the API: the next one gets the next suffix, and opens
            r = api(c, "POST", "/api/v1/prompts", {"name": name})
            self.assertEqual((r.status, r.json()["slug"]), (201, "%s-3" % w))
            self.assertEqual(api(c, "GET", "/api/v1/prompts/%s-3" % w).json()["name"], name)
        # the literal pages still are what they were
        self.assertIn("New prompt", c.get("/prompts/new").text)
        self.assertEqual(c.get("/prompts/import").status, 200)

    def test_a_reserved_slug_given_is_refused_and_nothing_written(self):
        c = new_user(self.stack)
        api(c, "POST", "/api/v1/prompts", {"name": "Keep", "slug": "keep", "user_template": "x",
                                           "model": "openai/gpt-4o-mini"})
        before = self.prompts_of(c)
        for w in literal_segments("/prompts/"):
            msg = 'The address "%s" is reserved by the site; choose another slug.' % w
            r = api(c, "POST", "/api/v1/prompts", {"name": "X", "slug": w})
            self.assertEqual((r.status, r.json()["error"]),
                             (409, {"type": "conflict_error", "field": "slug", "message": msg}))
            r = api(c, "PATCH", "/api/v1/prompts/keep", {"slug": w})
            self.assertEqual((r.status, r.json()["error"]["message"]), (409, msg))
            r = c.post_form("/prompts/keep/settings", {"name": "Keep", "slug": w})
            self.assertEqual(r.status, 409)
            self.assertIn(msg.replace('"', "&quot;"), r.text)
            doc = api(c, "GET", "/api/v1/prompts/keep/export").json()
            doc["prompt"]["slug"] = w
            r = api(c, "POST", "/api/v1/prompts/import", doc)
            self.assertEqual((r.status, r.json()["error"]["message"]), (409, msg))
        self.assertEqual(self.prompts_of(c), before)


class PathKindTest(unittest.TestCase):
    """A path parameter of the wrong kind matches no route: 404 before any
    handler runs, through pages and the API."""

    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def test_wrong_kinds_are_404(self):
        c = new_user(self.stack)
        api(c, "POST", "/api/v1/prompts", {"name": "Kinds", "slug": "kinds",
                                           "user_template": "x", "model": "openai/gpt-4o-mini"})
        for path in ("/prompts/Kinds", "/prompts/-kinds", "/prompts/kinds/versions/0",
                     "/prompts/kinds/versions/01", "/prompts/kinds/versions/-1",
                     "/prompts/kinds/versions/1000000001", "/executions/0",
                     "/executions/x", "/executions/99999999999999999999",
                     "/prompts/" + "a" * 65):
            r = c.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertIn("There is nothing at this address.", r.text)
        for path in ("/api/v1/prompts/kinds/versions/x", "/api/v1/categories/0"):
            r = api(c, "DELETE" if "categories" in path else "GET", path)
            self.assertEqual((r.status, r.json()["error"]["type"]), (404, "not_found_error"), path)
        self.assertEqual(c.get("/prompts/kinds/versions/1").status, 200)


class BodyTextTest(unittest.TestCase):
    """Invalid UTF-8 (overlong, above U+10FFFF, surrogates, escaped or raw)
    and raw control characters are refused in every JSON body with 400
    naming the field, and nothing is stored."""

    BAD = (b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xed\xa0\x80", b"\\ud800", b"\\udc00x",
           b"\x01", b"\x7f", b"\\u0001", b"\xff")

    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def message(self, field):
        return ('The field "%s" holds invalid text: invalid UTF-8 or a control'
                ' character.' % field)

    def refused(self, c, method, path, body, field):
        r = api(c, method, path, raw=body)
        want = {"type": "invalid_request_error", "message": self.message(field or "(body)")}
        if field:
            want["field"] = field
        self.assertEqual((r.status, r.json()["error"]), (400, want), body)

    def count(self, table, c):
        return self.stack.sql("SELECT COUNT(*) FROM %s t JOIN users u ON u.id = t.user_id"
                              " WHERE u.email = '%s'" % (table, c.email))[0][0]

    def test_every_body(self):
        c = new_user(self.stack)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Base", "slug": "base",
                                               "user_template": "x", "model": "openai/gpt-4o-mini"})
        self.assertEqual(r.status, 201)
        prompts, cats = self.count("prompts", c), self.count("categories", c)
        for bad in self.BAD:
            self.refused(c, "POST", "/api/v1/categories", b'{"name":"cat' + bad + b'"}', "name")
            self.refused(c, "POST", "/api/v1/prompts", b'{"name":"p' + bad + b'"}', "name")
            self.refused(c, "POST", "/api/v1/prompts",
                         b'{"name":"p","messages":[{"role":"user","content":"a' + bad +
                         b'"}],"model":"openai/gpt-4o-mini"}', "messages[0].content")
            self.refused(c, "PATCH", "/api/v1/prompts/base",
                         b'{"description":"d' + bad + b'"}', "description")
            self.refused(c, "POST", "/api/v1/prompts/base/versions",
                         b'{"user_template":"u' + bad + b'"}', "user_template")
            self.refused(c, "POST", "/api/v1/prompts/base/render",
                         b'{"variables":{"v":"' + bad + b'"}}', "variables.v")
            self.refused(c, "POST", "/api/v1/categories", b'{"na' + bad + b'me":"x"}', None)
        self.assertEqual((self.count("prompts", c), self.count("categories", c)), (prompts, cats))
        self.assertEqual(api(c, "GET", "/api/v1/prompts/base").json()["latest_version"], 1)
        self.assertEqual(api(c, "GET", "/api/v1/prompts/base").json()["description"], "")
        # tabs and line breaks are text
        r = api(c, "POST", "/api/v1/categories", {"name": "tab\there"})
        self.assertEqual(r.status, 201)
        r = api(c, "POST", "/api/v1/prompts/base/versions", {"user_template": "a\r\nb\tc"})
        self.assertEqual(r.status, 201)

    def test_an_export_with_bad_text_is_refused_through_both_paths(self):
        c = new_user(self.stack)
        api(c, "POST", "/api/v1/prompts", {"name": "Exp", "slug": "exp",
                                           "user_template": "hello", "model": "openai/gpt-4o-mini"})
        doc = json.dumps(api(c, "GET", "/api/v1/prompts/exp/export").json())
        bad = doc.replace("hello", "hel\\ud800lo").encode()
        doc2 = json.loads(doc)
        doc2["prompt"]["slug"] = "exp2"
        bad2 = json.dumps(doc2).replace("hello", "hel\\ud800lo").encode()
        self.refused(c, "POST", "/api/v1/prompts/import", bad2,
                     "versions[0].messages[0].content")
        r = c.post("/prompts/import", body=b"_csrf=" + c.csrf_token().encode() +
                   b"&document=" + bad.replace(b"\\ud800", b"%ed%a0%80"),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 400)
        self.assertIn("The form field &quot;document&quot; is malformed", r.text)
        self.assertEqual(self.count("prompts", c), "1")


class BodyFieldsTest(unittest.TestCase):
    """Every JSON route declares its fields: an unknown one, a wrong type,
    a missing required one or a value out of range is one 400 naming the
    field, before the handler runs."""

    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def test_fields(self):
        c = new_user(self.stack)
        api(c, "POST", "/api/v1/prompts", {"name": "F", "slug": "f", "user_template": "x",
                                           "model": "openai/gpt-4o-mini"})
        cases = (
            ("POST", "/api/v1/categories", {}, "name", 'The field "name" is required.'),
            ("POST", "/api/v1/categories", {"name": 5}, "name",
             'The field "name" must be a string.'),
            ("PATCH", "/api/v1/prompts/f", {"name": "x", "colour": 1}, "colour",
             'The field "colour" is not accepted here; send only: name, slug, description,'
             ' category_id.'),
            ("PATCH", "/api/v1/prompts/f", {"category_id": "3"}, "category_id",
             'The field "category_id" must be an integer or null.'),
            ("POST", "/api/v1/prompts", {"name": "x" * 201}, "name",
             'The field "name" must be 0 to 200 characters long.'),
            ("POST", "/api/v1/prompts/f/versions", {"messages": "hi"}, "messages",
             'The field "messages" must be an array or null.'),
            ("POST", "/api/v1/prompts/f/versions/1/promote", {"force": True}, "force",
             'The field "force" is not accepted here: this request takes no body.'),
            ("POST", "/api/v1/prompts/f/render", {"version": 0}, "version",
             'The field "version" must be between 1 and 1000000000.'),
            ("DELETE", "/api/v1/prompts/f", {"now": 1}, "now",
             'The field "now" is not accepted here: this request takes no body.'),
        )
        for method, path, body, field, msg in cases:
            r = api(c, method, path, body)
            self.assertEqual((r.status, r.json()["error"]),
                             (400, {"type": "invalid_request_error", "field": field,
                                    "message": msg}), (method, path, body))
        r = api(c, "POST", "/api/v1/categories", [1])
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (400, "The request body must be a JSON object."))
        # a form sent to the API is refused, not read
        r = c.request("POST", "/api/v1/categories", form={"name": "x"},
                      headers={"X-CSRF-Token": c.api_token})
        self.assertEqual(r.status, 415)
        got = api(c, "GET", "/api/v1/prompts/f").json()
        self.assertEqual((got["name"], got["latest_version"], got["production_version"]),
                         ("F", 1, None))
        self.assertEqual(api(c, "GET", "/api/v1/categories").json()["items"], [])


if __name__ == "__main__":
    unittest.main()
