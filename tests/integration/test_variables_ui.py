"""Variables as people set them: typed as the prompt is created (detected
live by static/js/version_form.js; without script by "Detect variables"),
the server checking every declaration; "Choices" only for "one of a
list"; the run page filling in defaults and showing input errors next to
their field, with and without script."""
import html
import re
import unittest

from tests.integration.stack import Stack, api, new_user

FREE_MODEL = "meta-llama/llama-3.1-8b-instruct:free"
TEMPLATE = "Write {{count}} lines about {{ topic }} in a {{style}} style{{{{x}}, loud={{loud}}"


def blocks(page):
    """The names of the variable blocks of a form, in order (not the
    script's template)."""
    page = re.sub(r'<template id="var-template">.*?</template>', "", page, flags=re.S)
    return re.findall(r'<div class="var" id="var-(\w+)-block" data-var="\w+">', page)


def block(page, name):
    m = re.search(r'<div class="var" id="var-%s-block".*?\n</div>' % name, page, re.S)
    return m.group(0)


class VariablesUiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(server="both", workers=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def prompts(self, c):
        return int(self.stack.sql(
            "SELECT COUNT(*) FROM prompts p JOIN users u ON u.id = p.user_id"
            " WHERE u.email = '%s'" % c.email)[0][0])

    def typed_form(self, **over):
        form = {"name": "Typed", "slug": "typed", "user_template": TEMPLATE, "model": FREE_MODEL,
                "var.count.type": "number", "var.count.default": "3",
                "var.count.description": "How many lines",
                "var.topic.type": "string", "var.topic.required": "1",
                "var.style.type": "enum", "var.style.choices": "plain, fancy",
                "var.style.default": "fancy",
                "var.loud.type": "boolean", "var.loud.default": "false"}
        form.update(over)
        return {k: v for k, v in form.items() if v is not None}

    def test_the_new_prompt_form_is_ready_for_live_detection(self):
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                page = new_user(self.stack, server=server).get("/prompts/new").text
                self.assertIn('<fieldset id="vars-fieldset" data-vars-live>', page)
                self.assertIn('<div id="vars-list">', page)
                self.assertIn('<p class="muted" id="vars-empty">No variables yet', page)
                # what the script clones for each placeholder typed
                tmpl = re.search(r'<template id="var-template">(.*?)</template>', page, re.S)
                self.assertIsNotNone(tmpl)
                self.assertIn('name="var.__VAR__.type"', tmpl.group(1))
                self.assertIn('name="var.__VAR__.required" value="1" checked', tmpl.group(1))
                self.assertIn('<div class="var-choices" data-var-choices hidden>', tmpl.group(1))
                # the script is a file (the CSP allows no inline script)
                self.assertEqual(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page), [])
                self.assertIn('<script src="/static/js/version_form.js" defer></script>', page)
                r = new_user(self.stack, server=server).get("/static/js/version_form.js")
                self.assertEqual(r.status, 200)
                self.assertIn("function scan(text, names)", r.text)
                # without script: the button that detects them
                self.assertIn('<button type="submit" name="detect" value="1"', page)

    def test_detect_without_script_shows_each_placeholder_and_saves_nothing(self):
        c = new_user(self.stack)
        r = c.post_form("/prompts", {"name": "D", "user_template": TEMPLATE,
                                     "system": "Be {{tone}}. {{bad name}}", "model": FREE_MODEL,
                                     "detect": "1"})
        self.assertEqual(r.status, 200)
        # in the order they first appear (system, then user), literal and
        # malformed ones left out
        self.assertEqual(blocks(r.text), ["tone", "count", "topic", "style", "loud"])
        self.assertIn('value="D"', r.text)
        self.assertIn("Write {{count}} lines", html.unescape(r.text))
        self.assertEqual(self.prompts(c), 0)
        # a new placeholder is a required text until told otherwise
        b = block(r.text, "count")
        self.assertIn('<option value="string" selected>text</option>', b)
        self.assertIn('name="var.count.required" value="1" checked', b)
        # the detect button is only on the new-prompt form
        api(c, "POST", "/api/v1/prompts", {"name": "E", "slug": "e", "user_template": "{{a}}",
                                           "model": FREE_MODEL})
        self.assertNotIn('name="detect"', c.get("/prompts/e/edit").text)

    def test_every_setting_is_set_as_the_prompt_is_created(self):
        c = new_user(self.stack)
        r = c.post_form("/prompts", self.typed_form())
        self.assertEqual((r.status, r.header("location")), (303, "/prompts/typed"), r.text)
        v = api(c, "GET", "/api/v1/prompts/typed/versions/1").json()
        self.assertEqual(v["variables"], [
            {"name": "count", "type": "number", "required": False, "default": 3,
             "description": "How many lines"},
            {"name": "topic", "type": "string", "required": True},
            {"name": "style", "type": "enum", "required": False, "default": "fancy",
             "choices": ["plain", "fancy"]},
            {"name": "loud", "type": "boolean", "required": False, "default": False}])

    def test_the_server_checks_every_declaration(self):
        c = new_user(self.stack)
        cases = (
            ({"var.style.choices": ""}, "style",
             'The variable "style" needs 1 to 50 different, non-empty choices (enum only).'),
            ({"var.count.default": "many"}, "count",
             'The variable "count" needs a default of its type (an optional variable must'
             ' have one; an enum default must be one of its choices).'),
            ({"var.loud.default": ""}, "loud",
             'The variable "loud" needs a default of its type (an optional variable must'
             ' have one; an enum default must be one of its choices).'),
            ({"var.style.default": "loud"}, "style",
             'The variable "style" needs a default of its type (an optional variable must'
             ' have one; an enum default must be one of its choices).'),
        )
        for over, name, msg in cases:
            with self.subTest(over=over):
                r = c.post_form("/prompts", self.typed_form(**over))
                self.assertEqual(r.status, 422, r.text)
                # next to the variable, and in the summary
                self.assertIn('<p class="field-error" id="var-%s-error">%s</p>'
                              % (name, html.escape(msg)), block(r.text, name))
                self.assertIn("<li>%s</li>" % html.escape(msg), r.text)
                # what was typed is kept
                self.assertIn('value="How many lines"', block(r.text, "count"))
                self.assertEqual(self.prompts(c), 0)

    def test_choices_only_for_one_of_a_list(self):
        c = new_user(self.stack)
        # choices typed for a text variable (hidden, then type changed) are
        # not part of its declaration
        r = c.post_form("/prompts", self.typed_form(**{"var.topic.choices": "a, b"}))
        self.assertEqual(r.status, 303, r.text)
        v = api(c, "GET", "/api/v1/prompts/typed/versions/1").json()
        self.assertNotIn("choices", v["variables"][1])
        page = c.get("/prompts/typed/edit").text
        for name in ("count", "topic", "loud"):
            self.assertIn('<div class="var-choices" data-var-choices hidden>', block(page, name))
        self.assertIn('<div class="var-choices" data-var-choices>', block(page, "style"))
        self.assertIn('value="plain, fancy"', block(page, "style"))

    def test_the_run_page_fills_in_the_defaults(self):
        c = new_user(self.stack)
        self.assertEqual(c.post_form("/prompts", self.typed_form()).status, 303)
        page = c.get("/prompts/typed/run").text
        self.assertIn('<input id="var-count" name="var.count" inputmode="decimal" value="3">',
                      page)
        self.assertIn('<option value="fancy" selected>fancy</option>', page)
        self.assertIn('<option value="false" selected>false</option>', page)
        self.assertIn('<textarea id="var-topic" name="var.topic" rows="2" required></textarea>',
                      page)
        self.assertIn('<p class="hint">How many lines</p>', page)
        # and a run with them as they are uses them
        r = c.post_form("/prompts/typed/run", {"var.count": "3", "var.topic": "tides",
                                               "var.style": "fancy", "var.loud": "false",
                                               "model": FREE_MODEL})
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("echo: Write 3 lines about tides in a fancy style{{x}}, loud=false",
                      html.unescape(r.text))

    def test_input_errors_show_next_to_their_field_without_script(self):
        c = new_user(self.stack)
        self.assertEqual(c.post_form("/prompts", self.typed_form()).status, 303)
        r = c.post_form("/prompts/typed/run", {"var.count": "lots", "var.topic": "",
                                               "var.style": "fancy", "model": FREE_MODEL})
        self.assertEqual(r.status, 400)
        self.assertIn('<p class="field-error" id="var-count-error">The variable &quot;count&quot;'
                      ' must be a number.</p>', r.text)
        self.assertIn('<p class="field-error" id="var-topic-error">The required variable'
                      ' &quot;topic&quot; has no value.</p>', r.text)
        self.assertIn('<p class="field-error" id="var-style-error" hidden></p>', r.text)
        self.assertIn('name="var.count" inputmode="decimal" value="lots" aria-invalid="true"',
                      r.text)
        # the output box stays hidden: nothing ran
        self.assertIn('<section class="card" id="run-output-card" hidden', r.text)
        self.assertEqual(len(self.stack.sql(
            "SELECT e.id FROM executions e JOIN users u ON u.id = e.user_id"
            " WHERE u.email = '%s'" % c.email)), 0)

    def test_input_errors_name_their_field_for_the_script(self):
        c = new_user(self.stack)
        self.assertEqual(c.post_form("/prompts", self.typed_form()).status, 303)
        r = c.request("POST", "/prompts/typed/run", form={
            "_csrf": c.api_token, "var.count": "lots", "var.topic": "", "model": FREE_MODEL},
            headers={"Accept": "text/event-stream"})
        self.assertEqual(r.status, 400)
        err = r.json()["error"]
        self.assertEqual(err["field"], "variables")
        self.assertEqual([(d["variable"], d["message"]) for d in err["details"]], [
            ("count", 'The variable "count" must be a number.'),
            ("topic", 'The required variable "topic" has no value.')])
        # the elements the script fills are on the page, empty and hidden
        page = c.get("/prompts/typed/run").text
        for name in ("count", "topic", "style", "loud"):
            self.assertIn('<p class="field-error" id="var-%s-error" hidden></p>' % name, page)
        self.assertIn('<p class="field-error" id="model-error" hidden></p>', page)
        self.assertIn('<p class="alert" id="run-alert" role="alert" hidden></p>', page)
        js = c.get("/static/js/run.js").text
        self.assertIn('fieldError("var-" + d.variable, d.message)', js)


if __name__ == "__main__":
    unittest.main()
