"""Golden samples of a prompt: the API (create, read, list a page at a
time, change, delete; API keys by scope), the pages (list with its empty
state and pages, new, edit, delete with a confirmation, CSRF), "Save as
golden sample" from a past execution, export and import as a file; every
bad input refused with its sentence and nothing stored; another user's
prompt or sample is 404."""
import html
import json
import re
import unittest

from tests.integration.stack import Client, Stack, api, new_user

MODEL = "openai/gpt-4o-mini"
REGEX_BAD = ("Check 2 (regex): the regular expression is invalid: "
             "Unmatched ( or \\(.")
CONTAINS = {"type": "contains", "value": "Paris"}


def text(r):
    return html.unescape(r.text)


class SamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="lighttpd", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def prompt(self, c, slug="capital"):
        r = api(c, "POST", "/api/v1/prompts", {
            "name": "Capital", "slug": slug, "model": MODEL,
            "user_template": "Capital of {{country}}?"})
        self.assertEqual(r.status, 201, r.text)
        return slug

    def create(self, c, slug, **fields):
        body = {"name": "France", "variables": {"country": "France"},
                "checks": [CONTAINS]}
        body.update(fields)
        r = api(c, "POST", "/api/v1/prompts/%s/samples" % slug, body)
        self.assertEqual(r.status, 201, r.text)
        return r.json()

    def rows(self, c):
        return self.stack.sql(
            "SELECT s.name, s.checks FROM golden_samples s JOIN users u"
            " ON u.id = s.user_id WHERE u.email = '%s' ORDER BY s.id" % c.email)

    def error(self, r, status=400):
        self.assertEqual(r.status, status, r.text)
        return r.json()["error"]["message"]

    # ---------------------------------------------------------------- API

    def test_api_create_read_list_change_delete(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        r = api(c, "GET", "/api/v1/prompts/%s/samples" % slug)
        self.assertEqual(r.json(), {"items": [], "next_cursor": None, "total": 0})
        s = self.create(c, slug, expected_output="Paris", threshold=0.5,
                        checks=[CONTAINS, {"type": "equals", "weight": 2, "not": True},
                                {"type": "json-schema", "schema": {"type": "object"}}])
        self.assertEqual(c.last.header("location"),
                         "/api/v1/prompts/%s/samples/%d" % (slug, s["id"]))
        self.assertEqual((s["name"], s["variables"], s["expected_output"],
                          s["threshold"], s["judge_model"],
                          s["created_from_execution_id"]),
                         ("France", {"country": "France"}, "Paris", 0.5, None, None))
        # the checks are stored normalised
        self.assertEqual(s["checks"], [
            {"type": "contains", "not": False, "weight": 1, "value": "Paris"},
            {"type": "equals", "not": True, "weight": 2},
            {"type": "json-schema", "not": False, "weight": 1,
             "schema": {"type": "object"}}])
        self.assertEqual(api(c, "GET", "/api/v1/prompts/%s/samples/%d"
                             % (slug, s["id"])).json(), s)
        # pages in creation order
        ids = [s["id"]] + [self.create(c, slug, name="S%d" % i)["id"] for i in range(4)]
        r = api(c, "GET", "/api/v1/prompts/%s/samples?limit=2" % slug).json()
        self.assertEqual(([i["id"] for i in r["items"]], r["total"]), (ids[:2], 5))
        seen = [i["id"] for i in r["items"]]
        while r["next_cursor"]:
            r = api(c, "GET", "/api/v1/prompts/%s/samples?limit=2&cursor=%s"
                    % (slug, r["next_cursor"])).json()
            seen += [i["id"] for i in r["items"]]
        self.assertEqual(seen, ids)
        self.assertEqual(self.error(api(c, "GET", "/api/v1/prompts/%s/samples?limit=0"
                                        % slug)),
                         "The limit must be a number from 1 to 100.")
        self.assertEqual(api(c, "GET", "/api/v1/prompts/%s/samples?cursor=x"
                             % slug).status, 400)
        # PATCH changes what it names; null removes
        r = api(c, "PATCH", "/api/v1/prompts/%s/samples/%d" % (slug, s["id"]),
                {"name": "France (capital)", "threshold": None,
                 "checks": [{"type": "icontains", "value": "paris"}]})
        self.assertEqual(r.status, 200, r.text)
        p = r.json()
        self.assertEqual((p["name"], p["threshold"], p["expected_output"],
                          p["variables"], [k["type"] for k in p["checks"]]),
                         ("France (capital)", None, "Paris", {"country": "France"},
                          ["icontains"]))
        # a name used by another sample of the prompt, in any case
        self.assertEqual(self.error(api(c, "PATCH", "/api/v1/prompts/%s/samples/%d"
                                        % (slug, s["id"]), {"name": "s1"}), 409),
                         "This prompt already has a sample named \"s1\"; choose"
                         " another name.")
        self.assertEqual(self.error(api(c, "POST", "/api/v1/prompts/%s/samples" % slug,
                                        {"name": "S0", "checks": [CONTAINS]}), 409),
                         "This prompt already has a sample named \"S0\"; choose"
                         " another name.")
        # delete
        self.assertEqual(api(c, "DELETE", "/api/v1/prompts/%s/samples/%d"
                             % (slug, s["id"])).status, 204)
        self.assertEqual(api(c, "GET", "/api/v1/prompts/%s/samples/%d"
                             % (slug, s["id"])).status, 404)
        self.assertEqual(api(c, "DELETE", "/api/v1/prompts/%s/samples/%d"
                             % (slug, s["id"])).status, 404)
        self.assertEqual(len(self.rows(c)), 4)
        # the same name may be used by another prompt
        other = self.prompt(c, "other")
        self.create(c, other, name="S0")

    def test_api_bad_input_stores_nothing(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        url = "/api/v1/prompts/%s/samples" % slug
        cases = [
            ({"checks": [CONTAINS, {"type": "regex", "pattern": "a(b"}]}, REGEX_BAD),
            ({"checks": [{"type": "equals", "value": "{\"a\":", "json": True}]},
             "Check 1 (equals): the expected value is not valid JSON: unexpected"
             " end of data."),
            ({"expected_output": "not json", "checks": [{"type": "equals", "json": True}]},
             "Check 1 (equals): the expected output is not valid JSON: null expected."),
            ({"checks": [{"type": "json-schema", "schema": {"type": "strin"}}]},
             "Check 1 (json-schema): the schema is invalid: \"type\" at / must be"
             " object, array, string, number, integer, boolean or null, or a list"
             " of them."),
            ({"checks": [CONTAINS, CONTAINS, {"type": "json-schema", "schema":
                                              {"properties": {"a": {"maxLength": -1}}}}]},
             "Check 3 (json-schema): the schema is invalid: \"maxLength\" at"
             " /properties/a must be a whole number, 0 or more."),
            ({"checks": [{"type": "sounds-like", "value": "x"}]},
             "Check 1: \"sounds-like\" is not a check type. The types are equals,"
             " contains, icontains, contains-any, contains-all, starts-with, regex,"
             " is-json, contains-json, json-schema, levenshtein, rouge-n, bleu,"
             " word-count, max-cost, max-latency, finish-reason and rubric."),
            ({"checks": [{"type": "contains"}]}, "Check 1 (contains): give the \"value\"."),
            ({"checks": [{"type": "levenshtein", "max": 2}]},
             "Check 1 (levenshtein): give a \"value\", or an expected output for"
             " the sample."),
            ({"checks": []}, "Add at least one check."),
            ({"checks": None}, "Add at least one check."),
            ({"name": " "}, "Give the sample a name."),
            ({"variables": {"1bad": "x"}},
             "\"1bad\" is not a valid variable name (letters, digits and _, not"
             " starting with a digit, 64 at most)."),
            ({"variables": {"country": ["x"]}},
             "The value of \"country\" must be a string, a number or true/false."),
            ({"threshold": 1.5}, None),
            ({"checks": [{"type": "rubric", "rubric": "Polite."}]},
             "A rubric check needs a judge model: choose one for the sample."),
            ({"judge_model": "nobody/none", "checks": [{"type": "rubric",
                                                        "rubric": "Polite."}]},
             "\"nobody/none\" is not a model of the catalog: choose one of the"
             " listed models."),
            ({"created_from_execution_id": 999999}, "The execution to save from is"
             " not one of yours for this prompt."),
        ]
        for fields, message in cases:
            body = {"name": "France", "checks": [CONTAINS]}
            body.update(fields)
            if body.get("checks") is None:
                del body["checks"]
            r = api(c, "POST", url, body)
            self.assertEqual(r.status, 400, (fields, r.text))
            if message is not None:
                self.assertEqual(r.json()["error"]["message"], message, fields)
        self.assertEqual(self.rows(c), [])
        # a body member that is not a field
        r = api(c, "POST", url, {"name": "x", "checks": [CONTAINS], "colour": 1})
        self.assertEqual(r.status, 400, r.text)
        # the same refusals on PATCH leave the row as it was
        s = self.create(c, slug, expected_output="Paris")
        before = self.rows(c)
        for fields, message in cases[:6] + [({"expected_output": None, "checks": [
                {"type": "equals"}]}, "Check 1 (equals): give a \"value\", or an"
                " expected output for the sample.")]:
            r = api(c, "PATCH", "%s/%d" % (url, s["id"]), fields)
            self.assertEqual(r.status, 400, (fields, r.text))
            self.assertEqual(r.json()["error"]["message"], message)
        self.assertEqual(self.rows(c), before)
        # removing the expected output a check compares with is refused too
        r = api(c, "PATCH", "%s/%d" % (url, s["id"]), {"checks": [{"type": "bleu",
                                                                    "min": 0.5}]})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.error(api(c, "PATCH", "%s/%d" % (url, s["id"]),
                                        {"expected_output": None})),
                         "Check 1 (bleu): give a \"value\", or an expected output"
                         " for the sample.")

    def test_variables_not_in_the_version_are_kept(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        s = self.create(c, slug, variables={"country": "Peru", "extra": 3, "flag": True})
        self.assertEqual(s["variables"], {"country": "Peru", "extra": 3, "flag": True})

    def test_rubric_with_judge_model(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        s = self.create(c, slug, judge_model=MODEL, checks=[
            {"type": "rubric", "rubric": "Names the capital."}])
        self.assertEqual((s["judge_model"], s["checks"][0]["rubric"]),
                         (MODEL, "Names the capital."))
        url = "/api/v1/prompts/%s/samples/%d" % (slug, s["id"])
        # the judge cannot go while a rubric needs it
        self.assertEqual(self.error(api(c, "PATCH", url, {"judge_model": None})),
                         "A rubric check needs a judge model: choose one for the"
                         " sample.")
        r = api(c, "PATCH", url, {"judge_model": None, "checks": [CONTAINS]})
        self.assertEqual((r.status, r.json()["judge_model"]), (200, None))
        # the edit page offers the catalog's models, the judge chosen
        r = api(c, "PATCH", url, {"judge_model": MODEL})
        page = c.get("/prompts/%s/samples/%d" % (slug, s["id"])).text
        self.assertRegex(page, r'<option value="%s" selected>' % re.escape(MODEL))

    def test_another_users_prompt_and_sample_are_404(self):
        owner, other = new_user(self.stack), new_user(self.stack)
        slug = self.prompt(owner)
        s = self.create(owner, slug)
        self.prompt(other)      # the same slug, the other user's prompt
        base = "/api/v1/prompts/%s/samples" % slug
        for method, path, body in [
                ("GET", "%s/%d" % (base, s["id"]), None),
                ("PATCH", "%s/%d" % (base, s["id"]), {"name": "mine"}),
                ("DELETE", "%s/%d" % (base, s["id"]), None)]:
            r = api(other, method, path, body)
            self.assertEqual(r.status, 404, (method, path, r.text))
        for path in ["/prompts/%s/samples/%d" % (slug, s["id"]),
                     "/prompts/%s/samples/%d/delete" % (slug, s["id"])]:
            self.assertEqual(other.get(path).status, 404, path)
        r = other.post_form("/prompts/%s/samples/%d/delete" % (slug, s["id"]), {})
        self.assertEqual(r.status, 404)
        r = other.post_form("/prompts/%s/samples/%d" % (slug, s["id"]),
                            {"name": "mine", "checks": json.dumps([CONTAINS])})
        self.assertEqual(r.status, 404)
        self.assertEqual(api(other, "GET", base).json()["total"], 0)
        # a prompt that does not exist
        for method, path in [("GET", "/api/v1/prompts/nope/samples"),
                             ("POST", "/api/v1/prompts/nope/samples"),
                             ("GET", "/api/v1/prompts/nope/samples/export")]:
            r = api(other, method, path, {"name": "x", "checks": [CONTAINS]}
                    if method == "POST" else None)
            self.assertEqual(r.status, 404, (method, path))
        for path in ["/prompts/nope/samples", "/prompts/nope/samples/new",
                     "/prompts/nope/samples/import", "/prompts/nope/samples/export"]:
            self.assertEqual(other.get(path).status, 404, path)
        self.assertEqual(self.rows(owner)[0][0], "France")

    def test_api_keys_by_scope(self):
        c = new_user(self.stack, plan="PRO")
        slug = self.prompt(c)
        keys = {}
        for scope in ("read", "execute", "write"):
            r = api(c, "POST", "/api/v1/keys", {"name": scope, "scope": scope})
            self.assertEqual(r.status, 201, r.text)
            keys[scope] = r.json()["key"]

        def keyed(scope, method, path, body=None):
            return Client(self.stack).request(
                method, path, headers={"Authorization": "Bearer " + keys[scope]},
                json=body)
        url = "/api/v1/prompts/%s/samples" % slug
        body = {"name": "k", "checks": [CONTAINS]}
        for scope in ("read", "execute"):
            r = keyed(scope, "POST", url, body)
            self.assertEqual(r.status, 403, r.text)
            self.assertIn("this request needs the write scope",
                          r.json()["error"]["message"])
        r = keyed("write", "POST", url, body)
        self.assertEqual(r.status, 201, r.text)
        sid = r.json()["id"]
        self.assertEqual(keyed("read", "GET", url).json()["total"], 1)
        self.assertEqual(keyed("read", "GET", "%s/%d" % (url, sid)).status, 200)
        self.assertEqual(keyed("read", "PATCH", "%s/%d" % (url, sid), {"name": "x"}).status,
                         403)
        self.assertEqual(keyed("read", "DELETE", "%s/%d" % (url, sid)).status, 403)
        self.assertEqual(keyed("write", "PATCH", "%s/%d" % (url, sid),
                               {"name": "x"}).json()["name"], "x")
        self.assertEqual(keyed("write", "DELETE", "%s/%d" % (url, sid)).status, 204)

    # ---------------------------------------------------------------- pages

    def test_pages_create_edit_delete(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        page = "/prompts/%s/samples" % slug
        self.assertIn('href="%s"' % page, c.get("/prompts/%s" % slug).text)
        r = c.get(page)
        self.assertEqual(r.status, 200)
        self.assertIn("This prompt has no golden samples yet.", text(r))
        # the new form starts with the version's variables
        r = c.get(page + "/new")
        self.assertEqual(r.status, 200)
        self.assertIn('"country": ""', text(r))
        # no CSRF token: refused, nothing stored
        r = c.post(page, form={"name": "x", "checks": json.dumps([CONTAINS])})
        self.assertEqual(r.status, 403)
        # a bad check: the form again with the sentence, nothing stored
        form = {"name": "Via form", "variables": '{"country": "France"}',
                "expected_output": "Paris", "threshold": "",
                "checks": json.dumps([CONTAINS, {"type": "regex", "pattern": "a(b"}])}
        r = c.post_form(page, form)
        self.assertEqual(r.status, 422)
        self.assertIn(REGEX_BAD, text(r))
        self.assertIn("Via form", text(r))      # what was typed is kept
        for bad, message in [({"checks": "[{"}, "The checks are not valid JSON:"),
                             ({"variables": "{x"}, "The variables are not valid JSON:"),
                             ({"threshold": "half"}, "The threshold must be a number"),
                             ({"threshold": "2"}, "The threshold must be a number")]:
            f = dict(form, checks=json.dumps([CONTAINS]))
            f.update(bad)
            r = c.post_form(page, f)
            self.assertEqual(r.status, 422, bad)
            self.assertIn(message, text(r))
        self.assertEqual(self.rows(c), [])
        # saved
        form["checks"] = json.dumps([CONTAINS, {"type": "equals"}])
        form["threshold"] = "0.5"
        r = c.post_form(page, form)
        self.assertEqual((r.status, r.header("location")), (303, page))
        r = c.get(page)
        self.assertIn("The golden sample was saved.", text(r))
        self.assertIn("Via form", text(r))
        self.assertIn("contains, equals", text(r))
        self.assertIn('data-label="Checks"', r.text)
        sid = api(c, "GET", "/api/v1" + page).json()["items"][0]["id"]
        s = api(c, "GET", "/api/v1%s/%d" % (page, sid)).json()
        self.assertEqual((s["threshold"], s["expected_output"], s["variables"]),
                         (0.5, "Paris", {"country": "France"}))
        # edit: the form holds the sample; an empty threshold removes it
        r = c.get("%s/%d" % (page, sid))
        self.assertEqual(r.status, 200)
        self.assertIn('value="0.5"', r.text)
        self.assertIn("Edit “Via form”", text(r))
        form.update(name="Renamed", threshold="")
        r = c.post_form("%s/%d" % (page, sid), form)
        self.assertEqual(r.status, 303, r.text)
        s = api(c, "GET", "/api/v1%s/%d" % (page, sid)).json()
        self.assertEqual((s["name"], s["threshold"]), ("Renamed", None))
        # delete asks first
        r = c.get("%s/%d/delete" % (page, sid))
        self.assertEqual(r.status, 200)
        self.assertIn("Delete “Renamed”?", text(r))
        self.assertEqual(len(self.rows(c)), 1)
        r = c.post("%s/%d/delete" % (page, sid), form={})
        self.assertEqual(r.status, 403)     # no CSRF token
        r = c.post_form("%s/%d/delete" % (page, sid), {})
        self.assertEqual((r.status, r.header("location")), (303, page))
        self.assertEqual(self.rows(c), [])
        self.assertIn("The golden sample was deleted.", text(c.get(page)))

    def test_pages_paginate(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        for i in range(27):
            self.create(c, slug, name="Sample %02d" % i)
        r = c.get("/prompts/%s/samples" % slug)
        self.assertIn("27 samples", r.text)
        names = re.findall(r"<strong>(Sample \d+)</strong>", r.text)
        self.assertEqual(names, ["Sample %02d" % i for i in range(25)])
        m = re.search(r'href="(/prompts/%s/samples\?cursor=\d+)">Next page' % slug, r.text)
        self.assertIsNotNone(m)
        r = c.get(html.unescape(m.group(1)))
        self.assertEqual(re.findall(r"<strong>(Sample \d+)</strong>", r.text),
                         ["Sample 25", "Sample 26"])
        self.assertIn("« First page", r.text)
        self.assertNotIn("Next page", r.text)

    def test_save_as_golden_sample_from_an_execution(self):
        c = new_user(self.stack, plan="PRO")
        slug = self.prompt(c)
        r = api(c, "POST", "/api/v1/prompts/%s/execute" % slug,
                {"variables": {"country": "Chile"}, "version": 1})
        self.assertEqual(r.status, 200, r.text)
        eid = self.stack.sql("SELECT MAX(e.id) FROM executions e JOIN users u ON"
                             " u.id = e.user_id WHERE u.email = '%s'" % c.email)[0][0]
        output = self.stack.sql("SELECT output FROM executions WHERE id = %s" % eid)[0][0]
        r = c.get("/executions/%s" % eid)
        link = "/prompts/%s/samples/new?from=%s" % (slug, eid)
        self.assertIn('href="%s">Save as golden sample' % link, text(r))
        r = c.get(link)
        self.assertEqual(r.status, 200)
        page = text(r)
        self.assertIn('value="From execution #%s"' % eid, page)
        self.assertIn('"country": "Chile"', page)
        self.assertIn(output, page)
        self.assertIn('name="created_from_execution_id" value="%s"' % eid, page)
        r = c.post_form("/prompts/%s/samples" % slug, {
            "name": "From execution #%s" % eid, "variables": '{"country": "Chile"}',
            "expected_output": output, "checks": '[{"type": "equals"}]',
            "created_from_execution_id": eid})
        self.assertEqual(r.status, 303, r.text)
        s = api(c, "GET", "/api/v1/prompts/%s/samples" % slug).json()["items"][0]
        self.assertEqual((s["created_from_execution_id"], s["expected_output"]),
                         (int(eid), output))
        self.assertIn("execution #%s" % eid, c.get("/prompts/%s/samples" % slug).text)
        # through the API
        s = self.create(c, slug, name="api", created_from_execution_id=int(eid))
        self.assertEqual(s["created_from_execution_id"], int(eid))
        # another user's execution, or this one under another prompt: 404/400
        other = new_user(self.stack)
        self.prompt(other)
        self.assertEqual(other.get(link).status, 404)
        self.prompt(c, "elsewhere")
        self.assertEqual(c.get("/prompts/elsewhere/samples/new?from=%s" % eid).status, 404)
        self.assertEqual(c.get("/prompts/%s/samples/new?from=x" % slug).status, 404)
        r = api(other, "POST", "/api/v1/prompts/%s/samples" % slug,
                {"name": "x", "checks": [CONTAINS], "created_from_execution_id": int(eid)})
        self.assertEqual(r.status, 400)
        r = api(c, "POST", "/api/v1/prompts/elsewhere/samples",
                {"name": "x", "checks": [CONTAINS], "created_from_execution_id": int(eid)})
        self.assertEqual(self.error(r), "The execution to save from is not one of"
                         " yours for this prompt.")

    # ---------------------------------------------------------------- files

    def test_export_and_import(self):
        c = new_user(self.stack)
        slug = self.prompt(c)
        self.create(c, slug, expected_output="Paris", threshold=0.75)
        self.create(c, slug, name="Japan", variables={"country": "Japan"},
                    checks=[{"type": "regex", "pattern": "^Tok", "ignore_case": True}])
        r = c.get("/prompts/%s/samples/export" % slug)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-disposition"),
                         'attachment; filename="%s.samples.json"' % slug)
        doc = r.json()
        self.assertEqual((doc["format"], doc["prompt"]), ("prompt-manager-samples/1", slug))
        self.assertEqual([s["name"] for s in doc["samples"]], ["France", "Japan"])
        self.assertEqual(doc["samples"][0], {
            "name": "France", "variables": {"country": "France"},
            "expected_output": "Paris", "threshold": 0.75, "judge_model": None,
            "checks": [{"type": "contains", "not": False, "weight": 1, "value": "Paris"}]})
        self.assertEqual(api(c, "GET", "/api/v1/prompts/%s/samples/export" % slug).json()
                         ["samples"], doc["samples"])
        # into another prompt, through the page
        dest = self.prompt(c, "copy")
        page = "/prompts/%s/samples/import" % dest
        self.assertEqual(c.get(page).status, 200)
        r = c.post_form(page, {"document": json.dumps(doc)})
        self.assertEqual((r.status, r.header("location")),
                         (303, "/prompts/%s/samples" % dest))
        self.assertIn("The golden samples were imported.",
                      text(c.get("/prompts/%s/samples" % dest)))
        copied = api(c, "GET", "/api/v1/prompts/%s/samples/export" % dest).json()
        self.assertEqual(copied["samples"], doc["samples"])
        count = len(self.rows(c))
        # bad files: a clear message and nothing imported
        bad_sample = dict(doc["samples"][1], name="Peru",
                          checks=[{"type": "regex", "pattern": "a(b"}])
        third = self.prompt(c, "third")
        page = "/prompts/%s/samples/import" % third
        for document, message in [
                ("", "Choose a file to import."),
                ("{not json", "The file is not valid JSON: "),
                ('{"format": "something-else", "samples": []}',
                 "This file is not a golden samples export"),
                ('{"samples": []}', "The file holds no samples."),
                ('{"prompt": "x"}', "The file must hold a \"samples\" list"),
                (json.dumps({"samples": [doc["samples"][0], bad_sample]}),
                 "Sample 2 of the file: Check 1 (regex): the regular expression is"
                 " invalid: Unmatched ( or \\(. Nothing was imported."),
                (json.dumps({"samples": [doc["samples"][0], doc["samples"][0]]}),
                 "The file holds two samples named \"France\". Nothing was imported."),
                (json.dumps({"samples": [dict(doc["samples"][0], colour=1)]}),
                 "Sample 1 of the file: \"colour\" is not a field of a golden"
                 " sample. Nothing was imported.")]:
            r = c.post_form(page, {"document": document})
            self.assertEqual(r.status, 422, (document, r.text))
            self.assertIn(message, text(r), document)
        self.assertEqual(len(self.rows(c)), count)
        # a name the prompt already has: the whole file is refused
        self.create(c, third, name="Japan")
        r = c.post_form(page, {"document": json.dumps(doc)})
        self.assertEqual(r.status, 409)
        self.assertIn("This prompt already has a sample named \"Japan\". Nothing was"
                      " imported; rename it in the file.", text(r))
        self.assertEqual(len(self.rows(c)), count + 1)
        # a listing of the API imports as it is (ids and times are ignored)
        listing = api(c, "GET", "/api/v1/prompts/%s/samples" % slug).json()["items"]
        fourth = self.prompt(c, "fourth")
        r = api(c, "POST", "/api/v1/prompts/%s/samples/import" % fourth,
                {"samples": listing})
        self.assertEqual((r.status, r.json()), (201, {"imported": 2}))
        r = api(c, "POST", "/api/v1/prompts/%s/samples/import" % fourth,
                {"samples": [bad_sample]})
        self.assertEqual(r.status, 400)
        self.assertEqual(len(self.rows(c)), count + 3)
        # a bare list of samples imports through the page too
        fifth = self.prompt(c, "fifth")
        r = c.post_form("/prompts/%s/samples/import" % fifth,
                        {"document": json.dumps(doc["samples"])})
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(len(self.rows(c)), count + 5)
        # the empty list offers the import; export needs the prompt's owner
        self.assertEqual(new_user(self.stack).get(
            "/prompts/%s/samples/export" % slug).status, 404)


if __name__ == "__main__":
    unittest.main()
