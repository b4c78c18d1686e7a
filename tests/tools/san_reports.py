#!/usr/bin/env python3
"""Fail when the sanitizer builds wrote any report: print each one.

usage: san_reports.py DIR   (the log_path directory of ASAN/UBSAN_OPTIONS)"""
import os
import sys


def main(d):
    reports = sorted(n for n in os.listdir(d) if n.startswith(("asan", "ubsan")))
    for n in reports:
        with open(os.path.join(d, n), errors="replace") as f:
            print("==== %s\n%s" % (n, f.read()), file=sys.stderr)
    if reports:
        print("sanitizers: %d report(s) in %s" % (len(reports), d), file=sys.stderr)
        return 1
    print("sanitizers: no report")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
