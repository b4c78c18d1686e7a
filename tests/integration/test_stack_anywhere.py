"""The private stack runs from a checkout wherever it is: in a folder only
its owner can enter (as under /root or made by mktemp -d), with spaces and
quotes in its path, and with its stack directory elsewhere at a length no
unix socket address holds. Both web servers still run as www-data when the
stack is started as root. A path the web servers' configuration cannot
hold is refused in one sentence before anything starts."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from tests.integration.stack import (ROOT, Client, Stack, _clean_env, _free_ports, _proc_stat,
                                     pid_alive)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def copy_checkout(dest):
    """Copy the files git tracks, as the working tree has them (what a
    clone would hold, with the changes not committed yet), to dest."""
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = os.path.join(ROOT, name)
        if not os.path.isfile(src):         # deleted in the working tree
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, name))


def processes_under(path):
    """Pids of live processes whose command line names something under path."""
    found = []
    needle = path.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        st = _proc_stat(int(name))
        if needle in cmdline and st and st[1] not in ("Z", "X"):
            found.append(int(name))
    return found


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1))


def children_of(pid):
    return [int(n) for n in os.listdir("/proc")
            if n.isdigit() and (_proc_stat(int(n)) or (0, 0, 0))[2] == pid]


class StackAnywhereTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # mkdtemp makes the folder 0700: www-data cannot enter it.
        cls.top = tempfile.mkdtemp(prefix="pm-anywhere-")
        cls.addClassCleanup(shutil.rmtree, cls.top, ignore_errors=True)
        cls.checkout = os.path.join(cls.top, "my projects", "Bob's pm (copy)")
        copy_checkout(cls.checkout)

    def start(self, dir):
        stack = Stack(server="both", workers=2, root=self.checkout, dir=dir)
        self.addCleanup(stack.stop)
        stack.start()
        return stack

    def assert_serves(self, stack):
        with open(os.path.join(self.checkout, "static", "css", "app.css"), "rb") as f:
            css = f.read()
        for server in ("lighttpd", "apache"):
            with self.subTest(server=server):
                c = Client(stack, server=server)
                r = c.get("/api/health")
                self.assertEqual(r.status, 200, r.text)
                self.assertEqual(r.json(), {"status": "ok", "db": "ok"})
                r = c.get("/static/css/app.css")
                self.assertEqual(r.status, 200, r.text)
                self.assertEqual(r.body, css)
                self.assertEqual(r.header("content-security-policy"), CSP)
                self.assertEqual(r.header("x-content-type-options"), "nosniff")
                r = c.get("/login")
                self.assertEqual(r.status, 200, r.text)
                self.assertTrue(r.header("content-type").startswith("text/html"))
                self.assertIn('name="password"', r.text)

    def assert_stops_clean(self, stack):
        """stop ends every process of the stack and removes its public
        directory; lighttpd's access log is back in DIR/log."""
        public = os.readlink(stack.path("run", "public"))
        self.assertTrue(os.path.isdir(public))
        procs = set(processes_under(self.top) + stack.worker_pids())
        # MariaDB, pm-fcgi and its 2 workers, the fake OpenRouter, lighttpd,
        # Apache and at least one child of it
        self.assertGreaterEqual(len(procs), 8, procs)
        stack._stack_sh("stop")
        deadline = time.time() + 10
        while time.time() < deadline and any(pid_alive(p) for p in procs):
            time.sleep(0.1)
        self.assertEqual([p for p in procs if pid_alive(p)], [])
        self.assertEqual(processes_under(self.top), [])
        self.assertFalse(os.path.exists(public))
        access = stack.path("log", "lighttpd-access.log")
        self.assertFalse(os.path.islink(access))
        with open(access) as f:
            self.assertIn('"GET /static/css/app.css HTTP/1.1" 200', f.read())

    def test_checkout_in_a_private_folder_with_spaces(self):
        # as make run does: the stack directory is var/ in the checkout
        stack = self.start(os.path.join(self.checkout, "var"))
        self.assert_serves(stack)
        if os.geteuid() == 0:
            # www-data cannot read the checkout: a copy of static/ is served
            with open(stack.path("run", "stack.env")) as f:
                env = dict(line.rstrip("\n").split("=", 1) for line in f)
            self.assertEqual(env["static"], env["public"] + "/static")
            self.assertTrue(env["public"].startswith("/run/pm-stack-"), env)
            # the web servers still run unprivileged
            pids = stack.pids()
            self.assertEqual(uid_of(pids["lighttpd"]), 33)
            kids = children_of(pids["apache"])
            self.assertTrue(kids)
            self.assertEqual({uid_of(p) for p in kids}, {33})
        self.assert_stops_clean(stack)

    def test_stack_dir_elsewhere_too_long_for_a_socket_address(self):
        dir = os.path.join(self.top, "state", "a stack dir " + "x" * 100)
        self.assertGreater(len(os.path.join(dir, "run", "mysqld.sock")), 108)
        stack = self.start(dir)
        self.assert_serves(stack)
        self.assert_stops_clean(stack)

    def refused(self, root, dir):
        """Run stack.sh start from root with dir; returns its output after
        checking that it failed and started nothing."""
        port = _free_ports(1)[0]
        p = subprocess.run([os.path.join(root, "scripts", "stack.sh"), "start", "--dir", dir,
                            "--port", str(port), "--server", "both"],
                           cwd=root, env=_clean_env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, "")
        self.assertFalse(os.path.exists(dir))
        self.assertEqual(processes_under(self.top), [])
        return p.stderr

    def test_checkout_path_the_configuration_cannot_hold(self):
        # a name as file managers make them
        checkout = os.path.join(self.top, "pm [old]")
        copy_checkout(checkout)
        dir = os.path.join(self.top, "stack")
        self.assertEqual(
            self.refused(checkout, dir),
            "stack: the checkout %s has a character in its path that the web servers'"
            " configuration cannot hold (\" \\ $ * ? [ ] { } or a control character):"
            " clone or move it to a path without them.\n" % checkout)

    def test_stack_dir_the_configuration_cannot_hold(self):
        dir = os.path.join(self.top, 'the "new" stack')
        self.assertEqual(
            self.refused(self.checkout, dir),
            "stack: --dir %s has a character in its path that the web servers'"
            " configuration cannot hold (\" \\ $ * ? [ ] { } or a control character):"
            " choose a --dir without them.\n" % dir)


if __name__ == "__main__":
    unittest.main()
