"""Every page of the site in a real browser, on a phone (390x844) and on a
desktop (1280x900): anonymous, a FREE and a PRO account with prompts,
versions in every status, executions and categories, and an admin. No
page scrolls sideways, every link and button is within reach (not cut off
by a table that scrolls), no word of the text is broken in the middle, and
no page logs a console error or throws.

The pages are found by following the links of each account's pages from a
few starting points; every GET page of app/routes.c must have been seen
(a new page nobody links to fails here until it is added to START, or to
ERROR_PAGES when it is only seen with a bad link, such as an expired
token)."""
import urllib.parse

from tests.browser.cdp import PHONE
from tests.browser.site import (WIDTHS, BrowserCase, make_admin, page_routes, route_of,
                                seed_account, sign_in)

# Where each visitor starts; "{slug}" is the account's main prompt. The
# crawl adds every page these link to.
START = {
    "anonymous": ["/", "/pricing", "/signup", "/login", "/demo/mail", "/upgrade"],
    "free": ["/dashboard", "/prompts/{slug}/diff?a=1&b=3"],
    "pro": ["/dashboard", "/prompts/{slug}/diff?a=1&b=3"],
    "admin": ["/admin", "/dashboard"],
}
# Pages answered with an error on purpose, and the status each must have:
# the error page itself must fit too. The browser logs the status of such
# a document as a console error, which is expected here.
ERROR_PAGES = {
    "anonymous": [("/no-such-page", 404), ("/static/error.html", 200),
                  # the links of mails, seen here with a token nobody made
                  ("/reset-password?token=" + "A" * 43, 404),
                  ("/confirm-email?token=" + "A" * 43, 404)],
    "free": [("/prompts/no-such-prompt", 404), ("/admin", 403),
             ("/settings/byok/delete?provider=openrouter", 404),
             # without a subscription or a checkout (with them: test_billing_walk)
             ("/billing/cancel-now", 404), ("/billing/success", 400)],
    "pro": [("/executions/999999999", 404), ("/billing/cancel-now", 404),
            ("/billing/success", 400)],
    "admin": [],
}
# Forms sent with mistakes, and the status of the page that shows them:
# (page, {field: text typed}, the submit button, status). The errors next
# to the fields must fit too.
FORMS = {
    "anonymous": [
        ("/signup", {"#email": "not-an-email", "#password": "short",
                     "#password_confirm": "other"}, "main form button[type=submit]", 422),
        ("/login", {"#email": "nobody@example.com", "#password": "not-the-password"},
         "main form button[type=submit]", None),
    ],
    "free": [
        ("/prompts/new", {"#name": "", "#user_template": ""},
         "main form button[type=submit]", 422),
        ("/prompts/import", {"#document": "{ this is not JSON"},
         "main form button[type=submit]", 422),
        ("/settings", {"#current_password": "not-the-password", "#new_password": "short",
                       "#new_password_confirm": "other"},
         'form[action="/settings/password"] button[type=submit]', 422),
    ],
    "pro": [
        ("/settings/byok?provider=openrouter", {"#key": "not an OpenRouter key"},
         'form[action="/settings/byok/test"] button[type=submit]', 400),
    ],
    "admin": [],
}
# Which visitors must have seen a page of each authentication level.
MUST_SEE = {"AUTH_NONE": ("anonymous",), "AUTH_USER": ("free", "pro"),
            "AUTH_ADMIN": ("admin",)}
# A page whose links are followed at most this many times per pattern and
# set of query keys (two prompts, two versions, ... not all of them).
PER_PATTERN = 3


def mark_seen(seen, routes, url, role):
    """Note in seen ({pattern: {role}}) that role saw url's page."""
    pattern = route_of(urllib.parse.urlsplit(url).path, routes)
    if pattern:
        seen.setdefault(pattern, set()).add(role)


class EveryPageTest(BrowserCase):
    def test_every_page_fits_a_phone_and_a_desktop(self):
        routes = page_routes()
        accounts = {"anonymous": None, "free": seed_account(self.stack),
                    "pro": seed_account(self.stack, plan="PRO"),
                    "admin": make_admin(self.stack)}
        failures, seen = [], {}
        for role, client in accounts.items():
            page = self.browser.new_page()
            try:
                if client is not None:
                    sign_in(page, self.stack, client.email)
                slug = getattr(client, "slug", "")
                urls = self.crawl(page, role, [u.format(slug=slug) for u in START[role]],
                                  routes, seen, failures)
                for name, device in WIDTHS:
                    page.set_viewport(*device)
                    for url in urls:
                        failures += self.visit(page, "%s %s %s" % (role, name, url), url, 200)
                    for url, status in ERROR_PAGES[role]:
                        mark_seen(seen, routes, url, role)
                        failures += self.visit(page, "%s %s %s" % (role, name, url), url,
                                               status, allow=("status of %d" % status,))
                    for url, fields, submit, status in FORMS[role]:
                        mark_seen(seen, routes, url, role)
                        failures += self.send_form(page, "%s %s %s with mistakes"
                                                   % (role, name, url), url, fields, submit,
                                                   status)
                    if device == PHONE:
                        failures += self.menu_checks(page, "%s %s menu" % (role, name))
            finally:
                page.close()
        for pattern, auth in routes:
            for role in MUST_SEE.get(auth, ()):
                if role not in seen.get(pattern, ()):
                    failures.append("%s was never visited as %s: link to it from a page, "
                                    "or add it to START in %s" % (pattern, role, __file__))
        if failures:
            self.fail("%d problems:\n%s" % (len(failures), "\n".join(failures)))

    def visit(self, page, what, url, status, allow=()):
        """The failures of one page at the page's current width."""
        got = page.navigate(self.stack.url(url))
        out = []
        if got != status:
            out.append("%s: answered %s, not %s" % (what, got, status))
        return out + self.page_checks(page, what, allow)

    def send_form(self, page, what, url, fields, submit, status):
        """The failures of a form page sent with mistakes: it must answer
        status (any 4xx when None) and fit."""
        page.navigate(self.stack.url(url))
        for field, text in fields.items():
            page.type(field, text)
        got = page.click_and_wait(submit)
        out = []
        if (got != status) if status else not 400 <= (got or 0) < 500:
            out.append("%s: answered %s, not %s" % (what, got, status or "4xx"))
        return out + self.page_checks(page, what, allow=("status of %s" % got,))

    def menu_checks(self, page, what):
        """On a phone the menu opens from its button, and every entry of it
        is within reach."""
        page.navigate(self.stack.url("/"))
        page.clear_problems()
        page.click("label.nav-burger")
        page.wait_for("getComputedStyle(document.querySelector('nav.nav')).display !== 'none'",
                      what="the menu to open")
        return self.page_checks(page, what)

    def crawl(self, page, role, start, routes, seen, failures):
        """The pages of role reachable from start by links, at most
        PER_PATTERN of each route pattern and set of query keys, in the
        order found. Records each pattern's visitors in seen."""
        origin = self.stack.url("")
        queue, urls, counts, done = list(start), [], {}, set()
        page.set_viewport(*WIDTHS[-1][1])
        while queue:
            url = queue.pop(0)
            parts = urllib.parse.urlsplit(url)
            pattern = route_of(parts.path, routes)
            key = (pattern, tuple(sorted(k for k, _ in urllib.parse.parse_qsl(
                parts.query, keep_blank_values=True))))
            if url in done or pattern is None or counts.get(key, 0) >= PER_PATTERN:
                continue
            done.add(url)
            status = page.navigate(self.stack.url(url))
            page.clear_problems()
            if status != 200:
                failures.append("%s %s: a link leads to a page answered %s"
                                % (role, url, status))
                continue
            counts[key] = counts.get(key, 0) + 1
            mark_seen(seen, routes, url, role)
            urls.append(url)
            links = page.evaluate("""Array.prototype.map.call(
                document.querySelectorAll("a[href]:not([download])"), function (a) {
                  return a.href; })""")
            for href in links:
                if not href.startswith(origin + "/"):
                    continue
                rel = href[len(origin):].split("#")[0]
                if rel.startswith("/static/") or rel in done:
                    continue
                queue.append(rel)
        return urls
