"""The browser tests' own tools, on pages made for them: the driver sees
console errors, exceptions and failed loads, and the page checks see each
fault they look for (so that a page passing them is known to be good), and
chromium is gone after close()."""
import os
import unittest
import urllib.parse

from tests.browser.cdp import DESKTOP, PHONE, Browser
from tests.browser.site import layout_problems


def data_url(body):
    return "data:text/html;charset=utf-8," + urllib.parse.quote(
        '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
        '<body style="margin:0;font:16px sans-serif">' + body)


class DriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.browser = Browser().start()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def setUp(self):
        self.page = self.browser.new_page()
        self.addCleanup(self.page.close)
        self.page.set_viewport(*PHONE)

    def faults(self, body):
        self.page.navigate(data_url(body))
        return layout_problems(self.page)

    def test_console_errors_exceptions_and_failed_loads_are_seen(self):
        p = self.page
        p.navigate(data_url('<script>console.error("boom", 42); console.log("fine");'
                            'setTimeout(function () { null.x; }, 0);</script>'
                            '<img src="http://127.0.0.1:9/missing.png">'))
        p.wait_for("true")
        p.wait_for("document.images[0].complete")
        text = "\n".join(p.problems)
        self.assertIn("console.error: boom 42", text)
        self.assertIn("exception: TypeError", text)
        self.assertIn("missing.png", text)
        self.assertFalse([x for x in p.problems if x.startswith("console.log")], text)
        p.clear_problems()
        self.assertEqual(p.problems, [])

    def test_typing_clicking_and_dialogs(self):
        p = self.page
        p.navigate(data_url('<input id="a" value="old"><form onsubmit="return confirm(\'Sure?\')"'
                            ' action="about:blank"><button id="b">Go</button></form>'
                            '<p id="out"></p><script>document.getElementById("a")'
                            '.addEventListener("input", function (e) { document.getElementById'
                            '("out").textContent += "."; });</script>'))
        p.type("#a", "new{x}", per_key=True)
        self.assertEqual(p.evaluate("document.getElementById('a').value"), "new{x}")
        self.assertGreaterEqual(len(p.text("#out")), 6)     # one input event a key
        p.click_and_wait("#b")
        self.assertEqual(p.dialogs, ["Sure?"])
        self.assertTrue(p.url().startswith("about:blank"), p.url())
        p.navigate(data_url('<div style="height:3000px"></div><button id="far">Far</button>'))
        p.click("#far")                                      # scrolled into view first
        p.navigate(data_url('<button id="c">C</button><div style="position:fixed;inset:0">'
                            '</div>'))
        with self.assertRaisesRegex(AssertionError, "covered"):
            p.click("#c")

    def test_a_page_that_fits(self):
        self.assertEqual(self.faults("<h1>Hello</h1><p style='overflow-wrap:break-word'>Short words that wrap well on any "
                                     "screen, and a hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
                                     "2b0b822cd15d6c15b0f00a08 that may break.</p>"
                                     '<p style="overflow-wrap:anywhere">9f86d081884c7d659a2feaa0'
                                     "c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</p>"
                                     "<button>Save</button>"), [])

    def test_each_fault_is_seen(self):
        f = self.faults('<div style="width:600px">wide</div>')
        self.assertRegex(f[0], r"the page scrolls sideways \(600px wide on a 390px screen\)")
        f = self.faults('<div style="overflow-x:auto"><table><tr><td style="white-space:nowrap">'
                        + "a cell far too wide for a phone " * 3 +
                        '</td><td><button>Delete</button></td></tr></table></div>')
        self.assertTrue(any("scrolls sideways inside" in x for x in f), f)
        self.assertTrue(any("“Delete” is out of the window" in x for x in f), f)
        f = self.faults('<div style="overflow:hidden;width:100px"><div style="width:300px">'
                        '<button style="margin-left:200px">Hidden</button></div></div>')
        self.assertTrue(any("“Hidden” is cut off by" in x for x in f), f)
        f = self.faults('<table style="width:100%;table-layout:fixed"><tr><td>1</td><td>2</td>'
                        '<td style="word-break:break-all">Summarise the ticket for the engineer'
                        '</td><td>4</td><td>5</td><td>6</td></tr></table>')
        self.assertTrue(any("words broken across lines" in x and "a column" in x for x in f), f)
        f = self.faults('<p style="word-break:break-all">Summarise the support ticket for the '
                        'on-call engineer and name the product area it concerns</p>')
        self.assertTrue(any("words broken across lines in p" in x for x in f), f)

    def test_desktop_width(self):
        self.page.set_viewport(*DESKTOP)
        self.assertEqual(self.faults('<div style="width:1200px">fits</div>'), [])
        self.assertTrue(self.faults('<div style="width:1400px">does not</div>'))


def live_in_group(pgid):
    """The pids of process group pgid that run (zombies do not)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    rest = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(rest[2]) == pgid and rest[0] not in "ZX":
                out.append(int(name))
    return out


class LifecycleTest(unittest.TestCase):
    def test_close_ends_every_process_of_chromium(self):
        b = Browser().start()
        pgid = b.proc.pid
        profile = b.profile
        b.new_page().navigate(data_url("<p>hi</p>"))
        b.close()
        self.assertEqual(live_in_group(pgid), [])
        self.assertFalse(os.path.exists(profile))
        b.close()                                       # idempotent
