"""Prompts, categories and immutable versions through the
JSON API and the HTML pages: the lifecycle, strict variables, limits,
ownership on every route, racing promotions, import/export."""
import json
import re
import threading
import time
import unittest

from tests.integration.stack import PASSWORD, Client, api, get_stack, new_user

def v(template, model="openai/gpt-4o-mini", **kw):
    d = {"user_template": template, "model": model}
    d.update(kw)
    return d


def prompt(c, name="Summarise", **kw):
    body = {"name": name}
    body.update(kw)
    r = api(c, "POST", "/api/v1/prompts", body)
    assert r.status == 201, r.text
    return r.json()


class PromptLifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def sql1(self, q):
        return self.stack.sql(q)[0][0]

    def test_new_user_story(self):
        """Categories and a prompt, three versions, promote v2, promote v3
        (v2 archived), roll back to v2, diff v1/v3, export and re-import."""
        c = new_user(self.stack)
        r = api(c, "POST", "/api/v1/categories", {"name": "Support"})
        self.assertEqual(r.status, 201, r.text)
        cat = r.json()["id"]
        self.assertEqual(api(c, "POST", "/api/v1/categories", {"name": "Marketing"}).status, 201)
        p = prompt(c, "Reply to customer", description="Polite replies", category_id=cat,
                   system="You are a support agent.",
                   user_template="Answer {{question}} in a {{tone}} tone.",
                   model="openai/gpt-4o-mini", params={"temperature": 0.3},
                   variables=[{"name": "tone", "type": "enum", "choices": ["warm", "formal"],
                               "required": False, "default": "warm"}],
                   commit_message="first")
        slug = p["slug"]
        self.assertEqual(slug, "reply-to-customer")
        self.assertEqual(p["category"]["name"], "Support")
        self.assertEqual([x["number"] for x in p["versions"]], [1])
        for i, text in ((2, "Answer {{question}} briefly, {{tone}}."),
                        (3, "Reply to {{question}} with a {{tone}} tone and sign {{name}}.")):
            r = api(c, "POST", "/api/v1/prompts/%s/versions" % slug,
                    {"user_template": text, "commit_message": "v%d" % i})
            self.assertEqual(r.status, 201, r.text)
            ver = r.json()
            self.assertEqual(ver["number"], i)
            self.assertEqual(ver["status"], "DRAFT")
            # editing starts from the previous version: system message,
            # model, params and the tone declaration are carried over
            self.assertEqual(ver["messages"][0], {"role": "system",
                                                  "content": "You are a support agent."})
            self.assertEqual(ver["params"], {"temperature": 0.3})
            self.assertEqual(ver["variables"][1]["type"], "enum")
        self.assertEqual(ver["variables"][2], {"name": "name", "type": "string", "required": True})

        def statuses():
            r = api(c, "GET", "/api/v1/prompts/%s/versions" % slug)
            return {x["number"]: x["status"] for x in r.json()["items"]}

        items = api(c, "GET", "/api/v1/prompts/%s/versions" % slug).json()["items"]
        self.assertEqual(set(items[0]), {"number", "status", "model", "commit_message",
                                         "author", "created_at"})   # no page flags
        page = c.get("/prompts/%s" % slug).text           # nothing in production yet
        self.assertIn("No version in production yet", page)
        self.assertIn("Latest version v3 (DRAFT).", page)
        self.assertIn("sign {{name}}.", page)
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/2/promote" % slug).status, 200)
        self.assertEqual(statuses(), {1: "DRAFT", 2: "PRODUCTION", 3: "DRAFT"})
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/3/promote" % slug).status, 200)
        self.assertEqual(statuses(), {1: "DRAFT", 2: "ARCHIVED", 3: "PRODUCTION"})
        r = api(c, "POST", "/api/v1/prompts/%s/versions/2/promote" % slug)   # rollback
        self.assertEqual(r.status, 200)
        self.assertEqual(statuses(), {1: "DRAFT", 2: "PRODUCTION", 3: "ARCHIVED"})
        hist = [(h["from"], h["to"]) for h in r.json()["history"]]
        self.assertEqual(hist, [(None, "DRAFT"), ("DRAFT", "PRODUCTION"),
                                ("PRODUCTION", "ARCHIVED"), ("ARCHIVED", "PRODUCTION")])
        self.assertEqual(api(c, "GET", "/api/v1/prompts/" + slug).json()["production_version"], 2)
        # the prompt page shows v2's content as production; the version
        # page shows its history; the diff page compares v1 and v3
        page = c.get("/prompts/" + slug).text
        self.assertIn("In production: v2", page)
        self.assertIn('<span class="badge draft">DRAFT</span>', page)      # the versions table
        self.assertIn("Answer {{question}} briefly, {{tone}}.", page)
        self.assertIn("v3", page)
        page = c.get("/prompts/%s/versions/2" % slug).text
        self.assertIn("ARCHIVED → <strong>PRODUCTION</strong>", page)
        r = c.get("/prompts/%s/diff?a=1&b=3" % slug)
        self.assertEqual(r.status, 200)
        self.assertIn('<tr class="change">', r.text)
        # the changed words are marked (test_versions_ui has the details)
        self.assertIn("<pre><del>Answer</del> {{question}} <del>in</del> a {{tone}} tone.</pre>",
                      r.text)
        self.assertIn("<pre><ins>Reply to </ins>{{question}} <ins>with</ins> a {{tone}} tone"
                      "<ins> and sign {{name}}</ins>.</pre>", r.text)
        self.assertIn('<span class="diff-add-count">+1</span> <span class="diff-del-count">'
                      '−1</span> lines', r.text)
        # export, then import into another account
        r = c.get("/prompts/%s/export" % slug)
        self.assertEqual(r.status, 200)
        self.assertIn("attachment", r.header("content-disposition"))
        doc = json.loads(r.body)
        self.assertEqual(doc["format"], "prompt-manager/prompt")
        self.assertEqual([x["status"] for x in doc["versions"]], ["DRAFT", "PRODUCTION", "ARCHIVED"])
        other = new_user(self.stack)
        r = api(other, "POST", "/api/v1/prompts/import", doc)
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(r.json()["slug"], slug)
        self.assertEqual(r.json()["category"]["name"], "Support")
        self.assertEqual(r.json()["production_version"], 2)
        for n in (1, 2, 3):
            a = api(c, "GET", "/api/v1/prompts/%s/versions/%d" % (slug, n)).json()
            b = api(other, "GET", "/api/v1/prompts/%s/versions/%d" % (slug, n)).json()
            for k in ("messages", "model", "params", "variables", "commit_message", "status"):
                self.assertEqual(a[k], b[k], (n, k))
        # the imported prompt is found by the text of its latest version
        found = api(other, "GET", "/api/v1/prompts?q=sign%20%7B%7Bname").json()["items"]
        self.assertEqual([x["slug"] for x in found], [slug])
        # re-import into the same account needs another slug
        r = api(c, "POST", "/api/v1/prompts/import", doc)
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["error"]["message"],
                         'You already have a prompt with this slug; choose another one.')
        r = api(c, "POST", "/api/v1/prompts/import?slug=reply-copy", doc)
        self.assertEqual(r.status, 201, r.text)
        # the import page does the same from a pasted document
        r = other.post_form("/prompts/import", {"document": json.dumps(doc), "slug": "from-page"})
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.header("location"), "/prompts/from-page")

    def test_render_is_strict(self):
        c = new_user(self.stack)
        p = prompt(c, "Render", user_template="Hi {{name}}, you are {{age}}. Premium: {{vip}}. {{{{literal}}",
                   model="openai/gpt-4o-mini",
                   variables=[{"name": "age", "type": "number"},
                              {"name": "vip", "type": "boolean", "required": False, "default": False}])
        url = "/api/v1/prompts/%s/render" % p["slug"]
        r = api(c, "POST", url, {"variables": {"name": "Ann", "age": 42}})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["messages"],
                         [{"role": "user", "content": "Hi Ann, you are 42. Premium: false. {{literal}}"}])
        self.assertEqual(r.json()["version"], 1)
        r = api(c, "POST", url, {"variables": {"age": "old", "extra": 1, "vip": "yes"}})
        self.assertEqual(r.status, 400)
        err = r.json()["error"]
        self.assertEqual(err["type"], "invalid_request_error")
        found = {(d["code"], d["variable"]) for d in err["details"]}
        self.assertEqual(found, {("vars.unknown", "extra"), ("vars.type_number", "age"),
                                 ("vars.type_boolean", "vip"), ("vars.missing", "name")})
        msgs = " ".join(d["message"] for d in err["details"])
        for text in ('"extra" is not a variable of this version.',
                     'The variable "age" must be a number.',
                     'The variable "vip" must be true or false.',
                     'The required variable "name" has no value.'):
            self.assertIn(text, msgs)
        r = api(c, "POST", url, {"variables": [1]})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"], {"type": "invalid_request_error", "field": "variables",
                                             "message": 'The field "variables" must be an object or null.'})

    def test_settings_form_keeps_what_was_typed(self):
        c = new_user(self.stack)
        a = api(c, "POST", "/api/v1/categories", {"name": "Alpha"}).json()["id"]
        b = api(c, "POST", "/api/v1/categories", {"name": "Beta"}).json()["id"]
        prompt(c, "Keep", slug="keep", category_id=a, description="old")
        r = c.post_form("/prompts/keep/settings", {"name": "", "description": "new <i>",
                                                   "category_id": str(b)})
        self.assertEqual(r.status, 422)
        self.assertIn("Give the prompt a name.", r.text)
        self.assertIn('<option value="%d" selected>Beta</option>' % b, r.text)
        self.assertIn('<option value="%d">Alpha</option>' % a, r.text)
        self.assertIn("new &lt;i&gt;", r.text)
        got = api(c, "GET", "/api/v1/prompts/keep").json()
        self.assertEqual((got["name"], got["description"], got["category"]["id"]), ("Keep", "old", a))
        r = c.post_form("/prompts/keep/settings", {"name": "Kept", "description": "new",
                                                   "category_id": str(b)})
        self.assertEqual((r.status, r.header("location")), (303, "/prompts/keep"))
        got = api(c, "GET", "/api/v1/prompts/keep").json()
        self.assertEqual((got["name"], got["description"], got["category"]["id"]), ("Kept", "new", b))

    def test_template_errors_point_at_the_position(self):
        c = new_user(self.stack)
        before = self.sql1("SELECT COUNT(*) FROM prompts")
        r = api(c, "POST", "/api/v1/prompts", {"name": "Bad", "model": "openai/gpt-4o-mini",
                                                "system": "ok", "user_template": "line one\nab {{ topic"})
        self.assertEqual(r.status, 400)
        err = r.json()["error"]
        self.assertEqual(err["message"], 'Message 2, line 2, column 4: "{{" is not closed by "}}" on '
                                         'the same line (write {{{{ for a literal "{{").')
        self.assertEqual(err["details"][0]["offset"], 12)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Bad", "model": "openai/gpt-4o-mini",
                                                "user_template": "Hello {{2nd}}"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["details"][0]["code"], "vars.bad_name")
        self.assertEqual(r.json()["error"]["details"][0]["column"], 7)
        bad_name = r.json()["error"]["message"]
        self.assertIn('"2nd" is not a valid variable name', bad_name)
        self.assertEqual(self.sql1("SELECT COUNT(*) FROM prompts"), before)
        # the same refusals when editing (a new version): none is created
        p = prompt(c, "Good", user_template="fine", model="openai/gpt-4o-mini")
        url = "/api/v1/prompts/%s/versions" % p["slug"]
        r = api(c, "POST", url, {"user_template": "line one\nab {{ topic"})
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (400, 'Message 1, line 2, column 4: "{{" is not closed by "}}" on the'
                               ' same line (write {{{{ for a literal "{{").'))
        r = api(c, "POST", url, {"user_template": "Hello {{2nd}}"})
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (400, bad_name.replace("Message 2", "Message 1")))
        self.assertEqual([x["number"] for x in api(c, "GET", url).json()["items"]], [1])
        # the form shows the error and keeps what was typed
        r = c.post_form("/prompts", {"name": "Form <b>", "model": "openai/gpt-4o-mini",
                                     "user_template": "Hi {{ who"})
        self.assertEqual(r.status, 422)
        self.assertIn("is not closed", r.text)
        self.assertIn("Hi {{ who", r.text)
        self.assertIn('value="Form &lt;b&gt;"', r.text)

    def test_duplicate_slug_409(self):
        c = new_user(self.stack)
        prompt(c, "One", slug="same")
        r = api(c, "POST", "/api/v1/prompts", {"name": "Two", "slug": "same"})
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["error"], {
            "type": "conflict_error", "field": "slug",
            "message": "You already have a prompt with this slug; choose another one."})
        prompt(c, "Three", slug="other")
        r = api(c, "PATCH", "/api/v1/prompts/other", {"slug": "same"})
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["error"]["message"],
                         'You already have a prompt with this slug; choose another one.')
        names = api(c, "GET", "/api/v1/prompts?sort=name").json()["items"]
        self.assertEqual([x["slug"] for x in names], ["same", "other"])
        # the same slug for another user is fine; a name without slug is
        # made unique automatically
        self.assertEqual(prompt(new_user(self.stack), "X", slug="same")["slug"], "same")
        self.assertEqual(prompt(c, "Same")["slug"], "same-2")

    def test_size_and_utf8_limits(self):
        c = new_user(self.stack)
        p = prompt(c, "Big", user_template="small", model="openai/gpt-4o-mini")
        big = "x" * (100 * 1024 + 1)
        r = api(c, "POST", "/api/v1/prompts/%s/versions" % p["slug"], {"user_template": big})
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["message"], "The messages are larger than the limit of 100 KB.")
        r = api(c, "POST", "/api/v1/prompts/%s/versions" % p["slug"],
                {"messages": [{"role": "system", "content": "y" * 60000},
                              {"role": "user", "content": "z" * 60000}]})
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["message"],
                         'The messages are larger than the limit of 100 KB.')
        r = api(c, "POST", "/api/v1/prompts/%s/versions" % p["slug"],
                raw=b'{"user_template": "caf\xe9 {{x}}"}')
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"], {
            "type": "invalid_request_error", "field": "user_template",
            "message": 'The field "user_template" holds invalid text: invalid UTF-8 or a'
                       ' control character.'})
        self.assertEqual(api(c, "GET", "/api/v1/prompts/" + p["slug"]).json()["latest_version"], 1)

    def test_versions_are_immutable(self):
        c = new_user(self.stack)
        p = prompt(c, "Immutable", user_template="a", model="openai/gpt-4o-mini")
        url = "/api/v1/prompts/%s/versions/1" % p["slug"]
        for method in ("PUT", "PATCH", "DELETE"):
            r = api(c, method, url, {"user_template": "changed"})
            self.assertEqual(r.status, 405, method)
            self.assertEqual(r.header("allow"), "GET, HEAD, OPTIONS")
            self.assertEqual(r.json()["error"]["message"], "The method %s is not allowed here;"
                             " allowed: GET, HEAD, OPTIONS." % method)
        self.assertEqual(api(c, "GET", url).json()["messages"][0]["content"], "a")
        # and the database refuses it too, whatever the code does
        with self.assertRaises(Exception) as cm:
            self.stack.sql("UPDATE prompt_versions v JOIN prompts p ON p.id = v.prompt_id "
                           "SET v.messages = '[]' WHERE p.slug = '%s'" % p["slug"])
        self.assertIn("immutable", str(cm.exception))
        # one PRODUCTION version per prompt is a unique key, not only code
        api(c, "POST", "/api/v1/prompts/%s/versions" % p["slug"], {"user_template": "b"})
        self.assertEqual(api(c, "POST", url + "/promote").status, 200)
        with self.assertRaises(Exception) as cm:
            self.stack.sql("UPDATE prompt_versions SET status = 'PRODUCTION' "
                           "WHERE prompt_id = %d AND number = 2" % p["id"])
        self.assertIn("Duplicate entry", str(cm.exception))

    def test_status_rules(self):
        c = new_user(self.stack)
        p = prompt(c, "Rules", user_template="a", model="openai/gpt-4o-mini")
        s = p["slug"]
        api(c, "POST", "/api/v1/prompts/%s/versions" % s, {"user_template": "b"})
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % s).status, 200)
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % s)
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (409, "This version is already in production."))
        r = api(c, "POST", "/api/v1/prompts/%s/versions/1/archive" % s)
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["error"]["message"],
                         'The production version cannot be archived directly: promote another version instead.')
        self.assertIn("promote another version instead", r.json()["error"]["message"])
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/2/archive" % s).status, 200)
        r = api(c, "POST", "/api/v1/prompts/%s/versions/2/archive" % s)
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (409, "This version is already archived."))
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/9/promote" % s).status, 404)
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/x/promote" % s).status, 404)
        # the page buttons do the same, with a confirmation in the form
        page = c.get("/prompts/" + s).text
        self.assertIn('data-confirm="Put v2 in production?', page)
        r = c.post_form("/prompts/%s/versions/2/promote" % s, {})
        self.assertEqual(r.status, 303)
        self.assertIn("The version is now in production.", c.get("/prompts/" + s).text)

    def test_racing_promotions_leave_one_production(self):
        c = new_user(self.stack)
        p = prompt(c, "Race", user_template="v1", model="openai/gpt-4o-mini")
        s = p["slug"]
        for i in range(2, 5):
            api(c, "POST", "/api/v1/prompts/%s/versions" % s, {"user_template": "v%d" % i})
        results = []

        def go(n):
            r = api(c, "POST", "/api/v1/prompts/%s/versions/%d/promote" % (s, n))
            results.append(r.status)

        threads = [threading.Thread(target=go, args=(1 + i % 4,)) for i in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 60)
        self.assertTrue(set(results) <= {200, 409}, results)
        self.assertGreaterEqual(results.count(200), 4)
        rows = self.stack.sql("SELECT v.number, v.status FROM prompt_versions v JOIN prompts p "
                              "ON p.id = v.prompt_id WHERE p.slug = '%s' AND p.user_id = "
                              "(SELECT user_id FROM prompts WHERE slug = '%s' ORDER BY id DESC LIMIT 1)"
                              % (s, s))
        prod = [n for n, st in rows if st == "PRODUCTION"]
        self.assertEqual(len(prod), 1, rows)
        self.assertEqual(str(api(c, "GET", "/api/v1/prompts/" + s).json()["production_version"]), prod[0])
        # every history is a chain: each change starts where the last ended
        for n in range(1, 5):
            h = api(c, "GET", "/api/v1/prompts/%s/versions/%d" % (s, n)).json()["history"]
            for prev, cur in zip(h, h[1:]):
                self.assertEqual(cur["from"], prev["to"], h)
            self.assertEqual(h[-1]["to"], dict(rows)[str(n)])

    def test_list_search_filters_and_keyset_pagination(self):
        c = new_user(self.stack)
        cat = api(c, "POST", "/api/v1/categories", {"name": "Ops"}).json()["id"]
        for i in range(7):
            prompt(c, "Item %02d" % i, user_template="text %s" % ("needle" if i % 3 == 0 else "hay"),
                   model="openai/gpt-4o-mini", category_id=cat if i % 2 else None)
        api(c, "POST", "/api/v1/prompts/item-01/versions/1/promote")
        seen, cursor = [], None
        while True:
            url = "/api/v1/prompts?sort=name&limit=3" + ("&cursor=" + cursor if cursor else "")
            page = api(c, "GET", url).json()
            seen += [x["name"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, ["Item %02d" % i for i in range(7)])
        # a page may end on a name of 200 three-byte characters
        d = new_user(self.stack)
        long_names = [ch * 200 for ch in ("名", "题", "鸟")]
        for name in long_names:
            prompt(d, name, user_template="x", model="openai/gpt-4o-mini")
        seen, cursor = [], None
        while True:
            url = "/api/v1/prompts?sort=name&limit=1" + ("&cursor=" + cursor if cursor else "")
            r = api(d, "GET", url)
            self.assertEqual(r.status, 200, r.text)
            seen += [x["name"] for x in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        self.assertEqual(sorted(seen), sorted(long_names))
        seen, cursor = [], None
        while True:
            page = api(c, "GET", "/api/v1/prompts?limit=2" + ("&cursor=" + cursor if cursor else "")).json()
            seen += [x["name"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(sorted(seen), ["Item %02d" % i for i in range(7)])
        self.assertEqual(len(seen), 7)
        names = lambda q: sorted(x["name"] for x in api(c, "GET", "/api/v1/prompts?" + q).json()["items"])
        self.assertEqual(names("q=needle"), ["Item 00", "Item 03", "Item 06"])
        self.assertEqual(names("q=ITEM%2005"), ["Item 05"])
        self.assertEqual(names("category=%d" % cat), ["Item 01", "Item 03", "Item 05"])
        self.assertEqual(names("category=none"), ["Item 00", "Item 02", "Item 04", "Item 06"])
        self.assertEqual(names("status=production"), ["Item 01"])
        self.assertEqual(len(names("status=draft")), 6)
        self.assertEqual(names("q=%25"), [])          # LIKE wildcards are literal
        for bad, msg in (("sort=size", 'Sort by "updated", "created" or "name".'),
                         ("cursor=zz", "The pagination cursor is not valid; start again from the first page."),
                         ("limit=500", "The limit must be a number from 1 to 100."),
                         ("status=old", 'Filter the status by "production" or "draft".')):
            r = api(c, "GET", "/api/v1/prompts?" + bad)
            self.assertEqual((r.status, r.json()["error"]["message"]), (400, msg))
        # the page: filters, pagination link, empty state
        page = c.get("/prompts?q=needle").text
        self.assertIn("Item 03", page)
        self.assertNotIn("Item 01", page)
        self.assertIn("No prompt matches these filters.", c.get("/prompts?q=nothing-like-it").text)
        self.assertIn("You have no prompts yet.", new_user(self.stack).get("/prompts").text)
        # the page and the API read the options with one parser
        for q in ("category=abc", "limit=0"):
            self.assertEqual(c.get("/prompts?" + q).status, 400, q)
            self.assertEqual(api(c, "GET", "/api/v1/prompts?" + q).status, 400, q)
        self.assertIn("That category does not exist.", c.get("/prompts?category=abc").text)

    def test_categories(self):
        c = new_user(self.stack)
        cat = api(c, "POST", "/api/v1/categories", {"name": "Email"}).json()
        r = api(c, "POST", "/api/v1/categories", {"name": "EMAIL"})
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (409, "You already have a category with this name."))
        r = api(c, "POST", "/api/v1/categories", {"name": "  "})
        self.assertEqual((r.status, r.json()["error"]["message"]), (400, "Give the category a name."))
        prompt(c, "In cat", category_id=cat["id"])
        lst = api(c, "GET", "/api/v1/categories").json()
        self.assertEqual(lst["items"], [{"id": cat["id"], "name": "Email", "prompts": 1}])
        self.assertEqual(api(c, "PATCH", "/api/v1/categories/%d" % cat["id"], {"name": "Mail"}).json()["name"], "Mail")
        page = c.get("/categories").text
        self.assertIn('value="Mail"', page)
        self.assertIn("data-confirm=", page)
        r = c.post_form("/categories/%d/delete" % cat["id"], {})
        self.assertEqual(r.status, 303)
        self.assertIsNone(api(c, "GET", "/api/v1/prompts/in-cat").json()["category"])
        self.assertEqual(api(c, "GET", "/api/v1/categories").json()["uncategorised"], 1)
        r = c.post_form("/categories", {"name": "<script>x</script>"})
        self.assertEqual(r.status, 303)
        page = c.get("/categories").text
        self.assertIn("&lt;script&gt;x&lt;/script&gt;", page)
        self.assertNotIn("<script>x</script>", page)

    def test_metacharacters_are_stored_as_typed_and_shown_escaped(self):
        c = new_user(self.stack)
        name = "<b>Bold</b> \"q\" 'a' & --"
        desc = "'; DROP TABLE prompts; -- <script>alert(1)</script>"
        commit = "<i>v1</i> & 'done'"
        p = prompt(c, name, slug="meta", description=desc, user_template="<p>{{x}}</p>",
                   model="openai/gpt-4o-mini", commit_message=commit)
        got = api(c, "GET", "/api/v1/prompts/meta").json()
        self.assertEqual((got["name"], got["description"]), (name, desc))
        v = api(c, "GET", "/api/v1/prompts/meta/versions/1").json()
        self.assertEqual((v["commit_message"], v["messages"][0]["content"]), (commit, "<p>{{x}}</p>"))
        self.assertEqual(self.sql1("SELECT name FROM prompts WHERE id = %d" % p["id"]), name)
        page = c.get("/prompts/meta").text
        self.assertNotIn("<b>Bold</b>", page)
        self.assertNotIn("<script>alert(1)</script>", page)
        self.assertNotIn("<i>v1</i>", page)
        self.assertIn("&lt;b&gt;Bold&lt;/b&gt; &quot;q&quot; &#39;a&#39; &amp; --", page)
        self.assertIn("&lt;i&gt;v1&lt;/i&gt; &amp; &#39;done&#39;", page)
        self.assertIn("&lt;p&gt;{{x}}&lt;/p&gt;", page)
        lst = c.get("/prompts?q=Bold").text
        self.assertIn("&lt;b&gt;Bold&lt;/b&gt;", lst)
        self.assertNotIn("<b>Bold</b>", lst)

    def test_categories_are_listed_in_one_order_everywhere(self):
        c = new_user(self.stack)
        for name in ("b", "Éb", "A", "zed", "éa", "a2", "Zoo"):
            self.assertEqual(api(c, "POST", "/api/v1/categories", {"name": name}).status, 201)
        want = ["A", "a2", "b", "zed", "Zoo", "éa", "Éb"]   # by lower-case bytes, then id
        self.assertEqual([x["name"] for x in api(c, "GET", "/api/v1/categories").json()["items"]],
                         want)
        page = c.get("/prompts").text
        picker = re.findall(r'<option value="\d+">([^<]*)</option>', page)
        self.assertEqual(picker, want)

    def test_delete_archives_the_prompt(self):
        c = new_user(self.stack)
        p = prompt(c, "Gone", user_template="a", model="openai/gpt-4o-mini")
        page = c.get("/prompts/gone/delete").text
        self.assertIn("Delete “Gone”?", page)
        r = c.post_form("/prompts/gone/delete", {})
        self.assertEqual((r.status, r.header("location")), (303, "/prompts"))
        self.assertEqual(api(c, "GET", "/api/v1/prompts/gone").status, 404)
        self.assertEqual(self.stack.sql("SELECT deleted_at IS NOT NULL, (SELECT COUNT(*) FROM "
                                        "prompt_versions WHERE prompt_id = %d) FROM prompts WHERE id = %d"
                                        % (p["id"], p["id"])), [("1", "1")])
        self.assertEqual(prompt(c, "Gone")["slug"], "gone")     # the slug is free again
        self.assertEqual(api(c, "DELETE", "/api/v1/prompts/gone").status, 204)
        self.assertEqual(api(c, "DELETE", "/api/v1/prompts/gone").status, 404)

    def test_chat_versions_are_edited_as_a_list_without_losing_turns(self):
        c = new_user(self.stack)
        chat = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi {{name}}"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Tell me about {{topic}}"}]
        prompt(c, "Chat", slug="chat", messages=chat, model="openai/gpt-4o-mini")
        page = c.get("/prompts/chat/edit").text
        self.assertIn('name="messages_json"', page)
        self.assertIn("&quot;assistant&quot;", page)
        self.assertNotIn('name="user_template"', page)
        chat[3]["content"] = "Tell me more about {{topic}}"
        r = c.post_form("/prompts/chat/versions", {"messages_json": json.dumps(chat),
                                                   "model": "openai/gpt-4o-mini"})
        self.assertEqual((r.status, r.header("location")), (303, "/prompts/chat/versions/2"))
        v2 = api(c, "GET", "/api/v1/prompts/chat/versions/2").json()
        self.assertEqual(v2["messages"], chat)
        self.assertEqual([d["name"] for d in v2["variables"]], ["name", "topic"])
        r = c.post_form("/prompts/chat/versions", {"messages_json": "[{\"role\": \"user\"",
                                                   "model": "openai/gpt-4o-mini"})
        self.assertEqual(r.status, 422)
        self.assertIn("Messages must be a non-empty list", r.text)
        self.assertIn('name="messages_json"', r.text)
        self.assertEqual(api(c, "GET", "/api/v1/prompts/chat").json()["latest_version"], 2)

    def test_form_flow_shows_detected_variables(self):
        c = new_user(self.stack)
        r = c.post_form("/prompts", {"name": "Form prompt", "model": "openai/gpt-4o-mini",
                                     "system": "Be {{style}}", "user_template": "Write about {{topic}}",
                                     "temperature": "0.5", "commit_message": "start"})
        self.assertEqual((r.status, r.header("location")), (303, "/prompts/form-prompt"))
        page = c.get("/prompts/form-prompt/edit").text
        self.assertIn('name="var.style.type"', page)
        self.assertIn('name="var.topic.type"', page)
        r = c.post_form("/prompts/form-prompt/versions", {
            "system": "Be {{style}}", "user_template": "Write {{count}} lines about {{topic}}",
            "model": "openai/gpt-4o-mini", "temperature": "0.7",
            "var.style.type": "enum", "var.style.choices": "short, long", "var.style.default": "short",
            "var.topic.type": "string", "var.topic.required": "1", "commit_message": "count"})
        self.assertEqual((r.status, r.header("location")), (303, "/prompts/form-prompt/versions/2"))
        v2 = api(c, "GET", "/api/v1/prompts/form-prompt/versions/2").json()
        self.assertEqual([d["name"] for d in v2["variables"]], ["style", "count", "topic"])
        self.assertEqual(v2["variables"][0], {"name": "style", "type": "enum", "required": False,
                                              "default": "short", "choices": ["short", "long"]})
        self.assertEqual(v2["params"], {"temperature": 0.7})
        r = c.post_form("/prompts/form-prompt/versions", {
            "user_template": "x", "model": "openai/gpt-4o-mini", "temperature": "hot"})
        self.assertEqual(r.status, 422)
        self.assertIn("The temperature must be a number from 0 to 2.", r.text)


class OwnershipTest(unittest.TestCase):
    """Another user's prompt or category is 404 on every route, and
    nothing of it changes."""

    def test_every_route_is_404_for_others(self):
        stack = get_stack()
        owner, other = new_user(stack), new_user(stack)
        cat = api(owner, "POST", "/api/v1/categories", {"name": "Private"}).json()["id"]
        p = prompt(owner, "Secret", slug="secret", category_id=cat,
                   user_template="s {{x}}", model="openai/gpt-4o-mini")
        api(owner, "POST", "/api/v1/prompts/secret/versions", {"user_template": "t {{x}}"})
        before = stack.sql("SELECT name, slug, category_id, latest_version, production_version, "
                           "deleted_at FROM prompts WHERE id = %d" % p["id"])
        before_v = stack.sql("SELECT number, status FROM prompt_versions WHERE prompt_id = %d "
                             "ORDER BY number" % p["id"])
        api_calls = [
            ("GET", "/api/v1/prompts/secret", None),
            ("PATCH", "/api/v1/prompts/secret", {"name": "mine"}),
            ("DELETE", "/api/v1/prompts/secret", None),
            ("GET", "/api/v1/prompts/secret/versions", None),
            ("POST", "/api/v1/prompts/secret/versions", {"user_template": "hijack"}),
            ("GET", "/api/v1/prompts/secret/versions/1", None),
            ("POST", "/api/v1/prompts/secret/versions/1/promote", None),
            ("POST", "/api/v1/prompts/secret/versions/2/archive", None),
            ("POST", "/api/v1/prompts/secret/render", {"variables": {"x": "1"}}),
            ("GET", "/api/v1/prompts/secret/export", None),
            ("POST", "/api/v1/prompts/secret/execute", {"variables": {"x": "1"}}),
            ("PATCH", "/api/v1/categories/%d" % cat, {"name": "mine"}),
            ("DELETE", "/api/v1/categories/%d" % cat, None),
        ]
        for method, path, body in api_calls:
            r = api(other, method, path, body)
            self.assertEqual(r.status, 404, (method, path, r.text))
            self.assertEqual(r.json()["error"], {"type": "not_found_error",
                                                  "message": "There is nothing at this address."})
        pages = [("GET", "/prompts/secret"), ("GET", "/prompts/secret/edit"),
                 ("GET", "/prompts/secret/settings"), ("GET", "/prompts/secret/delete"),
                 ("GET", "/prompts/secret/versions/1"), ("GET", "/prompts/secret/diff?a=1&b=2"),
                 ("GET", "/prompts/secret/export"), ("GET", "/prompts/secret/run"),
                 ("POST", "/prompts/secret/run"),
                 ("POST", "/prompts/secret/settings"), ("POST", "/prompts/secret/delete"),
                 ("POST", "/prompts/secret/versions"), ("POST", "/prompts/secret/versions/1/promote"),
                 ("POST", "/prompts/secret/versions/2/archive"),
                 ("POST", "/categories/%d/rename" % cat), ("POST", "/categories/%d/delete" % cat)]
        for method, path in pages:
            if method == "GET":
                r = other.get(path)
            else:
                r = other.post_form(path, {"name": "mine", "slug": "mine", "user_template": "x",
                                           "model": "openai/gpt-4o-mini"})
            self.assertEqual(r.status, 404, (method, path))
            self.assertIn("There is nothing at this address.", r.text)
            self.assertNotIn("Secret", r.text)
        # the other user's list and categories do not show it
        self.assertEqual(api(other, "GET", "/api/v1/prompts").json()["items"], [])
        self.assertEqual(api(other, "GET", "/api/v1/categories").json()["items"], [])
        self.assertEqual(api(other, "GET", "/api/v1/prompts?category=%d" % cat).json()["items"], [])
        # another user's category cannot be used either
        r = api(other, "POST", "/api/v1/prompts", {"name": "Mine", "category_id": cat})
        self.assertEqual((r.status, r.json()["error"]["message"]), (400, "That category does not exist."))
        self.assertEqual(before, stack.sql("SELECT name, slug, category_id, latest_version, "
                                           "production_version, deleted_at FROM prompts WHERE id = %d" % p["id"]))
        self.assertEqual(before_v, stack.sql("SELECT number, status FROM prompt_versions WHERE "
                                             "prompt_id = %d ORDER BY number" % p["id"]))
        self.assertEqual(stack.sql("SELECT COUNT(*) FROM executions WHERE prompt_id = %d"
                                   % p["id"]), [("0",)])     # nothing was run


class ImportErrorsTest(unittest.TestCase):
    def test_malformed_or_oversized_documents_create_nothing(self):
        stack = get_stack()
        c = new_user(stack)
        good = {"format": "prompt-manager/prompt", "format_version": 1,
                "prompt": {"name": "Imp", "slug": "imp", "description": "", "category": "NewCat"},
                "versions": [{"number": 1, "status": "DRAFT", "model": "openai/gpt-4o-mini",
                              "messages": [{"role": "user", "content": "a {{x}}"}],
                              "params": {}, "variables": [], "commit_message": ""}]}

        def counts():
            return stack.sql("SELECT (SELECT COUNT(*) FROM prompts), (SELECT COUNT(*) FROM "
                             "categories), (SELECT COUNT(*) FROM prompt_versions)")

        start = counts()
        cases = []
        d = json.loads(json.dumps(good)); d["format"] = "other"
        cases.append((d, 400, 'This is not a prompt export document: "format" must be "prompt-manager/prompt".'))
        d = json.loads(json.dumps(good)); d["versions"] = []
        cases.append((d, 400, 'This is not a prompt export document: "versions" must be a non-empty array.'))
        d = json.loads(json.dumps(good)); d["versions"].append(dict(d["versions"][0], number=2))
        d["versions"][0]["status"] = d["versions"][1]["status"] = "PRODUCTION"
        cases.append((d, 400, "This is not a prompt export document: at most one version may be PRODUCTION."))
        d = json.loads(json.dumps(good)); d["versions"].append(dict(d["versions"][0], number=2))
        d["versions"][1]["messages"] = [{"role": "user", "content": "broken {{"}]
        cases.append((d, 400, 'Message 1, line 1, column 8: "{{" is not closed by "}}" on the same'
                              ' line (write {{{{ for a literal "{{").'))
        d = json.loads(json.dumps(good)); d["versions"][0]["number"] = 3
        cases.append((d, 400, "This is not a prompt export document: versions must be numbered 1, 2, 3... in order."))
        d = json.loads(json.dumps(good)); d["prompt"]["slug"] = "Bad Slug"
        cases.append((d, 400, "The slug may only hold lower-case letters, digits and dashes"
                              " (1 to 64, not starting with a dash)."))
        cases.append(([1, 2], 400, "The request body must be a JSON object."))
        d = json.loads(json.dumps(good)); d["origin"] = "elsewhere"
        cases.append((d, 400, 'The field "origin" is not accepted here; send only: format,'
                              ' format_version, exported_at, prompt, versions.'))
        d = json.loads(json.dumps(good)); d["versions"] = {"1": d["versions"][0]}
        cases.append((d, 400, 'The field "versions" must be an array.'))
        d = json.loads(json.dumps(good)); del d["prompt"]
        cases.append((d, 400, 'The field "prompt" is required.'))
        for doc, status, msg in cases:
            r = api(c, "POST", "/api/v1/prompts/import", doc)
            self.assertEqual(r.status, status, r.text)
            self.assertEqual(r.json()["error"]["message"], msg)
        r = api(c, "POST", "/api/v1/prompts/import", raw=b'{"format": ')
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["message"],
                         'Invalid JSON body: unexpected end of data at byte 11.')
        big = json.loads(json.dumps(good))
        big["versions"][0]["messages"][0]["content"] = "z" * (150 * 1024)
        r = api(c, "POST", "/api/v1/prompts/import", big)     # a version over 100 KB
        self.assertEqual((r.status, r.json()["error"]["message"]),
                         (413, "The messages are larger than the limit of 100 KB."))
        big["versions"][0]["messages"][0]["content"] = "z" * (1100 * 1024)
        r = api(c, "POST", "/api/v1/prompts/import", big)
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["message"],
                         'The request body is larger than the limit of 1048576 bytes.')
        for bad in ("{not json", json.dumps(good) + " trailing", json.dumps(good).replace(
                '"content": "', '"content": "\\u0000', 1)):
            r = c.post_form("/prompts/import", {"document": bad})
            self.assertEqual(r.status, 422, bad[:60])
            self.assertIn("This is not a prompt export document: it is not valid JSON.", r.text)
        self.assertEqual(counts(), start)
        # a slug clash is refused after the category would have been made:
        # the whole import rolls back
        prompt(c, "Imp", slug="imp")
        mid = counts()
        r = api(c, "POST", "/api/v1/prompts/import", good)
        self.assertEqual(r.status, 409)
        self.assertEqual(r.json()["error"]["message"],
                         'You already have a prompt with this slug; choose another one.')
        self.assertEqual(counts(), mid)
        r = api(c, "POST", "/api/v1/prompts/import?slug=imp-2", good)
        self.assertEqual(r.status, 201, r.text)


if __name__ == "__main__":
    unittest.main()
