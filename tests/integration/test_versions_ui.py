"""Versions as people use them on the site and through the API: saving
with no change, the compare page's defaults, the word-level diff and the
table of changed settings and variables, promote / roll back with
confirmations that say what will happen, the version page's actions, and
the versions table's cells labelled for a phone."""
import html
import html.parser
import re
import unittest

from tests.integration.stack import api, get_stack, new_user


def prompt(c, name, **kw):
    body = {"name": name, "model": "openai/gpt-4o-mini"}
    body.update(kw)
    r = api(c, "POST", "/api/v1/prompts", body)
    assert r.status == 201, r.text
    return r.json()["slug"]


def version(c, slug, **kw):
    r = api(c, "POST", "/api/v1/prompts/%s/versions" % slug, kw)
    assert r.status == 201, r.text
    return r.json()["number"]


class FormFields(html.parser.HTMLParser):
    """The fields a browser would submit from the first form posting to
    action: inputs (checked boxes only), textareas (CRLF line ends, as
    browsers send them) and selects (the selected option, else the
    first)."""

    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.done = action, False, False
        self.fields, self._textarea, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and a.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
        elif tag == "select":
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            if self._select[2] is None:
                self._select[2] = a.get("value")
            if "selected" in a:
                self._select[1] = a.get("value")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea[1]
            if text.startswith("\n"):
                text = text[1:]
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            self.fields.append((self._textarea[0], text.replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, chosen, first = self._select
            self.fields.append((name, chosen if chosen is not None else first or ""))
            self._select = None


def form_fields(page, action):
    p = FormFields(action)
    p.feed(page)
    return p.fields


def versions_count(stack, slug):
    return int(stack.sql("SELECT COUNT(*) FROM prompt_versions v JOIN prompts p ON "
                         "p.id = v.prompt_id WHERE p.slug = '%s'" % slug)[0][0])


class NoChangeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def test_api_save_without_change_is_refused_and_writes_nothing(self):
        c = new_user(self.stack)
        slug = prompt(c, "Same api", system="Be brief.", user_template="Hello {{who}}\nbye",
                      params={"temperature": 0.7, "max_tokens": 100},
                      variables=[{"name": "who", "type": "string", "default": "you"}])
        before = api(c, "GET", "/api/v1/prompts/" + slug).json()
        url = "/api/v1/prompts/%s/versions" % slug
        # the same content: by omission (every field carried over), given
        # again in full (numbers by value, CRLF line ends, keys in another
        # order), and with only a new commit message
        bodies = [{},
                  {"commit_message": "only the message"},
                  {"system": "Be brief.", "user_template": "Hello {{who}}\r\nbye",
                   "model": "openai/gpt-4o-mini",
                   "params": {"max_tokens": 100, "temperature": 0.70},
                   "variables": [{"name": "who", "type": "string", "default": "you"}]},
                  {"messages": [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Hello {{who}}\nbye"}]}]
        for body in bodies:
            r = api(c, "POST", url, body)
            self.assertEqual(r.status, 409, (body, r.text))
            self.assertEqual(r.json()["error"]["type"], "conflict_error")
            self.assertEqual(r.json()["error"]["message"],
                             "No change: nothing saved. v1 already has this content.")
            self.assertIsNone(r.header("location"))
        after = api(c, "GET", "/api/v1/prompts/" + slug).json()
        self.assertEqual(after["latest_version"], 1)
        self.assertEqual(after["updated_at"], before["updated_at"])
        self.assertEqual(versions_count(self.stack, slug), 1)
        self.assertEqual(len(api(c, "GET", url).json()["items"]), 1)
        # any real change is saved: a parameter, a default, a word
        for body in ({"params": {"temperature": 0.7, "max_tokens": 101}},
                     {"variables": [{"name": "who", "type": "string", "default": "me"}]},
                     {"user_template": "Hello {{who}}\nbye!"}):
            self.assertEqual(api(c, "POST", url, body).status, 201, body)
        self.assertEqual(versions_count(self.stack, slug), 4)
        # the check is against the latest version, not any older one
        r = api(c, "POST", url, {"user_template": "Hello {{who}}\nbye!"})
        self.assertEqual(r.status, 409)
        self.assertIn("v4 already has this content", r.json()["error"]["message"])

    def test_site_form_save_without_change_says_so(self):
        c = new_user(self.stack)
        slug = prompt(c, "Same form", system="You sum up.",
                      user_template="Sum up {{text}}\nin {{count}} lines.",
                      params={"temperature": 0.3, "stop": ["END"]},
                      variables=[{"name": "count", "type": "number", "default": 3,
                                  "description": "How many"},
                                 {"name": "text", "type": "string", "required": True}])
        action = "/prompts/%s/versions" % slug
        page = c.get("/prompts/%s/edit" % slug).text
        fields = form_fields(page, action)
        self.assertIn(("user_template", "Sum up {{text}}\r\nin {{count}} lines."), fields)
        r = c.post_form(action, fields)
        self.assertEqual(r.status, 409, r.text)
        self.assertIn("No change: nothing saved. v1 already has this content.", r.text)
        # the form is shown again with what was typed
        self.assertIn("Sum up {{text}}", r.text)
        self.assertEqual(versions_count(self.stack, slug), 1)
        # a change in the form is saved as v2
        changed = [(k, "0.4" if k == "temperature" else v) for k, v in fields]
        r = c.post_form(action, changed)
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.header("location"), "/prompts/%s/versions/2" % slug)
        # and saving that form again is no change either
        r = c.post_form(action, form_fields(c.get("/prompts/%s/edit" % slug).text, action))
        self.assertEqual(r.status, 409)
        self.assertIn("v2 already has this content", r.text)
        self.assertEqual(versions_count(self.stack, slug), 2)



def selected(page, name):
    """The selected option's value of the <select name=name> of page."""
    m = re.search(r'<select id="%s" name="%s">(.*?)</select>' % (name, name), page, re.S)
    assert m, page
    chosen = re.findall(r'<option value="(\d+)" selected>', m.group(1))
    assert len(chosen) == 1, m.group(1)
    return int(chosen[0])


def confirms(page):
    """The confirmation sentences of page's forms, by their action."""
    return {html.unescape(a): html.unescape(t) for a, t in
            re.findall(r'<form method="post" action="([^"]+)" data-confirm="([^"]*)"', page)}


class Nesting(html.parser.HTMLParser):
    """For each <form>, <a class="button"> and <button>: the classes of its
    ancestors."""

    def __init__(self):
        super().__init__()
        self.stack, self.found = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("form", "button") or (tag == "a" and "button" in (a.get("class") or "")):
            self.found.append((tag, a, [c for _, c in self.stack]))
        if tag not in ("input", "br", "img", "meta", "link"):
            self.stack.append((tag, a.get("class") or ""))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


class CompareDefaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def defaults(self, c, slug):
        """The compare form's default pair on the prompt page and what the
        diff page compares when given no pair."""
        page = c.get("/prompts/" + slug).text
        r = c.get("/prompts/%s/diff" % slug)
        self.assertEqual(r.status, 200, r.text)
        title = re.search(r"<h1>Compare v(\d+) and v(\d+)</h1>", r.text)
        self.assertEqual((selected(r.text, "a"), selected(r.text, "b")),
                         (int(title.group(1)), int(title.group(2))))
        return (selected(page, "a"), selected(page, "b")), (int(title.group(1)), int(title.group(2)))

    def test_defaults_production_against_latest_or_the_two_newest(self):
        c = new_user(self.stack)
        slug = prompt(c, "Pairs", user_template="one")
        # one version: no compare form; the diff page compares it with itself
        self.assertNotIn('<select id="a" name="a">', c.get("/prompts/" + slug).text)
        r = c.get("/prompts/%s/diff" % slug)
        self.assertIn("<h1>Compare v1 and v1</h1>", r.text)
        self.assertIn("v1 and v1 have the same messages, model, parameters and variables.", r.text)
        # no production version: the two newest
        version(c, slug, user_template="two")
        self.assertEqual(self.defaults(c, slug), ((1, 2), (1, 2)))
        version(c, slug, user_template="three")
        self.assertEqual(self.defaults(c, slug), ((2, 3), (2, 3)))
        # production (v1) against the latest
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug).status, 200)
        self.assertEqual(self.defaults(c, slug), ((1, 3), (1, 3)))
        # production is the latest: the two newest again
        self.assertEqual(api(c, "POST", "/api/v1/prompts/%s/versions/3/promote" % slug).status, 200)
        self.assertEqual(self.defaults(c, slug), ((2, 3), (2, 3)))
        # a pair given, or one side of it, is kept
        r = c.get("/prompts/%s/diff?a=1&b=2" % slug)
        self.assertEqual((selected(r.text, "a"), selected(r.text, "b")), (1, 2))
        r = c.get("/prompts/%s/diff?a=1" % slug)
        self.assertEqual((selected(r.text, "a"), selected(r.text, "b")), (1, 3))
        # a version that is not one answers 404
        for q in ("a=9&b=1", "a=x", "b=0", "a=-1"):
            self.assertEqual(c.get("/prompts/%s/diff?%s" % (slug, q)).status, 404, q)

    def test_prompt_without_versions_has_nothing_to_compare(self):
        c = new_user(self.stack)
        r = api(c, "POST", "/api/v1/prompts", {"name": "Empty one"})
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(r.json()["latest_version"], 0)
        r = c.get("/prompts/empty-one/diff")
        self.assertEqual(r.status, 200)
        self.assertIn("has no versions yet, so there is nothing to compare.", r.text)


class DiffPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def test_changed_words_and_tables_of_changes(self):
        c = new_user(self.stack)
        slug = prompt(c, "Words", system="You are <b>kind</b>.",
                      user_template="Answer {{question}} in a {{tone}} tone.\nSign {{count}} times.",
                      model="openai/gpt-4o-mini",
                      params={"temperature": 0.7, "stop": ["END", "STOP"]},
                      variables=[{"name": "tone", "type": "enum", "choices": ["warm", "formal"],
                                  "default": "warm", "required": False},
                                 {"name": "count", "type": "number", "default": 3}])
        version(c, slug, system="You are <b>kind</b>.",
                user_template="Answer {{question}} in a {{tone}} voice.\nSign as {{name}}.",
                model="anthropic/claude-3-opus",
                params={"temperature": 0.3, "max_tokens": 100},
                variables=[{"name": "tone", "type": "enum", "choices": ["warm", "formal", "casual"],
                            "default": "warm", "required": False}])
        r = c.get("/prompts/%s/diff?a=1&b=2" % slug)
        self.assertEqual(r.status, 200, r.text)
        page = r.text
        # the messages: whole changed lines paired, the changed words marked
        self.assertIn("<pre>Answer {{question}} in a {{tone}} <del>tone</del>.</pre>", page)
        self.assertIn("<pre>Answer {{question}} in a {{tone}} <ins>voice</ins>.</pre>", page)
        self.assertIn("<pre>Sign <del>{{count}} times</del>.</pre>", page)
        self.assertIn("<pre>Sign <ins>as {{name}}</ins>.</pre>", page)
        self.assertIn("<pre>You are &lt;b&gt;kind&lt;/b&gt;.</pre>", page)   # same line, escaped
        self.assertIn('<span class="diff-add-count">+2</span> <span class="diff-del-count">'
                      '−2</span> lines', page)
        # no raw JSON of parameters or variables any more
        self.assertNotIn('{"', html.unescape(page))
        self.assertNotIn("## params", page)
        # the settings: a table of changes, old and new values
        rows = re.findall(r'<tr class="(added|removed|changed)">\s*<td data-label="(Setting|Variable)"'
                          r' class="mono">([^<]*)</td>\s*<td data-label="Change">([^<]*)</td>'
                          r'\s*<td data-label="v1" class="old">(.*?)</td>\s*'
                          r'<td data-label="v2" class="new">(.*?)</td>', page, re.S)
        got = [(kind, what, name, words, html.unescape(old), html.unescape(new))
               for kind, what, name, words, old, new in rows]
        self.assertEqual(got, [
            ("changed", "Setting", "Model", "changed", "<del>openai/gpt-4o-mini</del>",
             "<ins>anthropic/claude-3-opus</ins>"),
            ("changed", "Setting", "temperature", "changed", "<del>0.7</del>", "<ins>0.3</ins>"),
            ("removed", "Setting", "stop", "removed", '<del>"END", "STOP"</del>', "—"),
            ("added", "Setting", "max_tokens", "added", "—", "<ins>100</ins>"),
            ("changed", "Variable", "tone", "changed",
             "<div>Choices: <del>warm, formal</del></div>",
             "<div>Choices: <ins>warm, formal, casual</ins></div>"),
            ("removed", "Variable", "count", "removed",
             "<div>Type: <del>number</del></div><div>Required: <del>yes</del></div>"
             "<div>Default: <del>3</del></div>", ""),
            ("added", "Variable", "name", "added", "",
             "<div>Type: <ins>string</ins></div><div>Required: <ins>yes</ins></div>"),
        ])
        # compared the other way round, removed and added swap
        page = c.get("/prompts/%s/diff?a=2&b=1" % slug).text
        self.assertIn('<tr class="added">\n      <td data-label="Variable" class="mono">count</td>', page)
        self.assertIn('<tr class="removed">\n      <td data-label="Variable" class="mono">name</td>', page)

    def test_only_settings_changed(self):
        c = new_user(self.stack)
        slug = prompt(c, "Settings only", user_template="Same text", params={"temperature": 1})
        version(c, slug, params={"temperature": 1.5})
        page = c.get("/prompts/%s/diff" % slug).text
        self.assertIn("The messages are the same.", page)
        self.assertNotIn('<table class="diff">', page)
        self.assertIn("The variables are the same.", page)
        self.assertIn("<del>1</del>", page)
        self.assertIn("<ins>1.5</ins>", page)


class PromoteWordsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = get_stack()

    def test_buttons_and_confirmations_say_what_happens(self):
        c = new_user(self.stack)
        slug = prompt(c, "Lifecycle", user_template="one")
        version(c, slug, user_template="two")
        base = "/prompts/%s/versions/" % slug
        # nothing in production: the first promotion archives nothing
        page = c.get("/prompts/" + slug).text
        self.assertNotIn("The current production version will be archived", page)
        self.assertEqual(confirms(page), {
            base + "1/promote": "Put v1 in production? No version is in production yet: "
                                "v1 will be the first, and nothing is archived.",
            base + "2/promote": "Put v2 in production? No version is in production yet: "
                                "v2 will be the first, and nothing is archived.",
            base + "1/archive": "Archive draft v1? It stays readable, and can still be put "
                                "in production later.",
            base + "2/archive": "Archive draft v2? It stays readable, and can still be put "
                                "in production later."})
        self.assertNotIn("Roll back", page)
        page = c.get(base + "1").text
        self.assertIn("Promote to production</button>", page)
        self.assertIn("No version is in production yet", confirms(page)[base + "1/promote"])
        # v2 in production, v3 drafted: v1 is a roll back, v3 a promotion
        r = c.post_form(base + "2/promote", {})
        self.assertEqual(r.status, 303)
        version(c, slug, user_template="three")
        page = c.get("/prompts/" + slug).text
        got = confirms(page)
        self.assertEqual(got[base + "1/promote"], "Roll back to v1? v1 replaces the newer v2 in "
                         "production, and v2 will be archived.")
        self.assertEqual(got[base + "3/promote"], "Put v3 in production? It replaces v2, which "
                         "will be archived.")
        self.assertNotIn(base + "2/promote", got)
        self.assertNotIn(base + "2/archive", got)
        self.assertIn(">Roll back to v1</button>", page)
        self.assertEqual(page.count(">Promote</button>"), 1)
        self.assertIn("Roll back to v1</button>", c.get(base + "1").text)
        self.assertIn("Promote to production</button>", c.get(base + "3").text)
        # back to v1, then the newer, archived v2 is a promotion, not a
        # roll back
        self.assertEqual(c.post_form(base + "1/promote", {}).status, 303)
        page = c.get("/prompts/" + slug).text
        self.assertNotIn("Roll back to v2", page)
        self.assertEqual(confirms(page)[base + "2/promote"],
                         "Put v2 in production? It replaces v1, which will be archived.")
        self.assertEqual(page.count(">Promote</button>"), 2)      # v2 and v3
        # the buttons do what they say
        self.assertEqual(c.post_form(base + "2/promote", {}).status, 303)
        self.assertEqual(api(c, "GET", "/api/v1/prompts/" + slug).json()["production_version"], 2)
        statuses = {x["number"]: x["status"] for x in
                    api(c, "GET", "/api/v1/prompts/%s/versions" % slug).json()["items"]}
        self.assertEqual(statuses, {1: "ARCHIVED", 2: "PRODUCTION", 3: "DRAFT"})

    def test_version_page_runs_compares_and_aligns_its_actions(self):
        c = new_user(self.stack)
        slug = prompt(c, "Header", user_template="one")
        for t in ("two", "three", "four"):
            version(c, slug, user_template=t)
        api(c, "POST", "/api/v1/prompts/%s/versions/1/promote" % slug)
        page = c.get("/prompts/%s/versions/3" % slug).text
        self.assertIn('<a class="button" href="/prompts/%s/run?version=3">Run v3</a>' % slug, page)
        self.assertIn('href="/prompts/%s/diff?a=2&amp;b=3">Compare with v2</a>' % slug, page)
        self.assertIn('href="/prompts/%s/diff?a=1&amp;b=3">Compare with production (v1)</a>' % slug,
                      page)
        # the run page it links to runs that version
        r = c.get("/prompts/%s/run?version=3" % slug)
        self.assertEqual(r.status, 200)
        self.assertIn('<option value="3" selected>', r.text)
        # every header action (links, forms, their buttons) is inside one
        # actions box of the page head, never a <p> (a <form> would close it)
        n = Nesting()
        n.feed(page)
        head = [(tag, a, anc) for tag, a, anc in n.found
                if "page-head" in " ".join(anc) or "page-head" in (a.get("class") or "")]
        # Run, Run regression (a form), the two comparisons, Promote, Archive
        self.assertEqual([tag for tag, _, _ in head],
                         ["a", "form", "button", "a", "a", "form", "button", "form", "button"])
        for tag, a, anc in head:
            self.assertIn("actions", anc, (tag, a))
        self.assertNotRegex(page, r'<p class="actions">')
        # the production version offers no promotion nor comparison with itself
        page = c.get("/prompts/%s/versions/1" % slug).text
        self.assertNotIn("/promote", page)
        self.assertNotIn("Compare with", page)
        self.assertIn("Run v1</a>", page)
        # the version after production compares with it once
        page = c.get("/prompts/%s/versions/2" % slug).text
        self.assertIn("Compare with v1</a>", page)
        self.assertNotIn("Compare with production", page)

    def test_versions_table_cells_are_labelled_for_phones(self):
        c = new_user(self.stack)
        slug = prompt(c, "Phone", user_template="one")
        version(c, slug, user_template="two")
        page = c.get("/prompts/" + slug).text
        table = re.search(r'<table class="list versions">(.*?)</table>', page, re.S)
        self.assertIsNotNone(table)
        # every cell but the actions is labelled (a phone shows each row as
        # a card, a cell a line with its label); the actions take a line
        cells = re.findall(r"<td[^>]*>", table.group(1))
        self.assertEqual(len(cells), 12)
        for cell in cells:
            if "row-actions" not in cell:
                self.assertIn("data-label=", cell)
        self.assertEqual(table.group(1).count('<td class="row-actions">'), 2)
        self.assertIn('href="/prompts/%s/run?version=2">Run</a>' % slug, table.group(1))


if __name__ == "__main__":
    unittest.main()
