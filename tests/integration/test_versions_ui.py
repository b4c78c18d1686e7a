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


if __name__ == "__main__":
    unittest.main()
