#!/usr/bin/env python3
"""The layers of app/ and what each may include (docs/ARCHITECTURE.md).

    core      buffers, configuration, database, crypto, text and JSON
              helpers, the message catalog, templates, the error kinds
    domain    prompts, versions, variables, plans, models, admission,
              executions, the upstream client, users
    web       the HTTP layer: requests, responses, router and routes,
              sessions, answers, page helpers, the server processes
    handlers  page_*.c (HTML) and api_*.c (JSON)
    cli       cli_*.c, the pm-admin commands
    programs  main_*.c

A layer may include its own headers and those of the layers it stands on:
core < domain < web < handlers, and core < domain < cli. Above all, no
core or domain file includes a header of the HTTP layer. Exits 1 naming
every include that breaks the rule, and every file no layer claims."""
import os
import re
import sys

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "app")

CORE = {"buf", "util", "config", "log", "clock", "crypto", "db", "escape",
        "jsonx", "msg", "tmpl", "sse", "diff", "migrate", "money", "fields", "timefmt",
        "error", "runner", "catalog_cache", "vault", "mail_smtp", "stripe_form", "stripe_sig",
        "text_metrics", "json_schema"}
WEB = {"http", "request", "response", "router", "routes", "session", "key_auth",
       "answer", "pages", "event_stream", "app", "worker", "master", "server",
       "model_picker", "mail_sender", "billing_offer"}
DOMAIN = {"prompts", "categories", "versions", "keys", "version_rules", "prompt_io",
          "vars", "plans", "plan_catalog", "plan_keys", "models", "admission",
          "execute", "executions", "upstream", "users", "dashboard", "mail_outbox", "byok", "usage",
          "mail_tokens", "byok_providers", "byok_pick", "stripe", "stripe_objects",
          "billing", "billing_refund", "billing_prices", "billing_checkout",
          "billing_changes", "billing_events", "billing_sync",
          "checks", "check_eval", "check_json", "judge", "samples", "sample_rules"}

MAY_USE = {
    "core": {"core"},
    "domain": {"core", "domain"},
    "web": {"core", "domain", "web", "handlers"},   # routes.c names the handlers
    "handlers": {"core", "domain", "web", "handlers"},
    "cli": {"core", "domain", "cli"},
    "programs": {"core", "domain", "web", "cli"},
}


def layer(module):
    if module.startswith(("page_", "api_")) or module == "handlers":
        return "handlers"
    if module.startswith("cli"):
        return "cli"
    if module.startswith("main_"):
        return "programs"
    for name, members in (("core", CORE), ("web", WEB), ("domain", DOMAIN)):
        if module in members:
            return name
    return None


def main(app=APP):
    problems = []
    for name in sorted(os.listdir(app)):
        if not name.endswith((".c", ".h")):
            continue
        module = name[:-2]
        mine = layer(module)
        if mine is None:
            problems.append("app/%s: in no layer (add it to tests/tools/layers.py"
                            " and docs/ARCHITECTURE.md)" % name)
            continue
        with open(os.path.join(app, name), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
                if not m:
                    continue
                theirs = layer(m.group(1))
                if theirs is None:
                    problems.append("app/%s:%d: includes %s.h, in no layer"
                                    % (name, lineno, m.group(1)))
                elif theirs not in MAY_USE[mine]:
                    problems.append("app/%s:%d: a %s file includes %s.h of the %s layer"
                                    % (name, lineno, mine, m.group(1), theirs))
    for p in problems:
        print("layers: " + p, file=sys.stderr)
    if problems:
        return 1
    print("layers: every include of app/ respects the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
