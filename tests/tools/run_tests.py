"""Run the test modules of a directory (tests/integration, tests/browser)
as separate processes, JOBS at a time: each module starts its own stack,
and most of a module's time is spent waiting (on slow stand-ins, on
timers), so two cores run several at once.

usage: run_tests.py DIR [MODULE ...]   (env TEST_JOBS, default 3; V=1 verbose)

Every module of DIR (test_*.py), or the named ones, runs as
`python3 -m unittest tests.DIR.MODULE`; a module's output is printed
whole when it fails, and its one-line result otherwise. Exit status 1 when
any module failed or could not run, 0 when all passed. The longest modules
start first (their last durations are kept in build/test-times.json), so
the run ends sooner."""
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TIMES = os.path.join(ROOT, "build", "test-times.json")


def modules(directory, named):
    """The dotted names of the test modules to run."""
    package = "tests." + os.path.basename(os.path.normpath(directory))
    if named:
        return ["%s.%s" % (package, n) for n in named]
    return sorted("%s.%s" % (package, f[:-3]) for f in os.listdir(directory)
                  if f.startswith("test_") and f.endswith(".py"))


def load_times():
    try:
        with open(TIMES) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_times(times):
    os.makedirs(os.path.dirname(TIMES), exist_ok=True)
    tmp = TIMES + ".tmp"
    with open(tmp, "w") as f:
        json.dump(times, f, indent=1, sort_keys=True)
    os.replace(tmp, TIMES)


def summary(output):
    """The "Ran N tests" and "OK"/"FAILED (...)" lines of unittest."""
    lines = [l for l in output.splitlines() if l.startswith("Ran ") or
             l.startswith("OK") or l.startswith("FAILED")]
    return " ".join(lines[-2:]) if lines else "(no unittest summary)"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    directory = argv[1]
    todo = modules(directory, argv[2:])
    count = len(todo)
    jobs = max(1, int(os.environ.get("TEST_JOBS", "3")))
    verbose = os.environ.get("V")
    times = load_times()
    todo.sort(key=lambda m: -times.get(m, 1e9))      # unknown ones first
    lock = threading.Lock()
    failed = []
    total = [0]
    start = time.time()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                mod = todo.pop(0)
            t0 = time.time()
            cmd = [sys.executable, "-m", "unittest", mod] + (["-v"] if verbose else [])
            p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            took = time.time() - t0
            with lock:
                times[mod] = round(took, 1)
                line = "%-52s %6.1f s  %s" % (mod, took, summary(p.stdout))
                if p.returncode != 0:
                    failed.append(mod)
                    print("=" * 70 + "\n" + p.stdout + "\n" + "=" * 70)
                    print("FAILED " + line, flush=True)
                else:
                    if verbose:
                        print(p.stdout)
                    print("ok     " + line, flush=True)
                for l in p.stdout.splitlines():
                    if l.startswith("Ran "):
                        total[0] += int(l.split()[1])

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    save_times(times)
    print("%d tests in %d modules, %.0f s, %d at a time: %s" % (
        total[0], count, time.time() - start, jobs,
        "FAILED: " + " ".join(failed) if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
