#!/usr/bin/env python3
"""A local SMTP server that catches every message (standard library only).

Usage
-----
    python3 tests/fakes/smtp_sink.py --host 127.0.0.1 --port 0 \\
        --port-file FILE --dir DIR [--auth USER:PASSWORD] [--require-auth]
        [--tls-cert CERT.pem --tls-key KEY.pem] [--require-tls | --smtps]
        [--mode normal|refuse|tempfail|reject-data] [--mode-file FILE] [--quiet]

--port 0 picks a free port; the chosen port is written (atomically, as
"<port>\\n") to --port-file once the socket listens. The sink runs until
SIGTERM or SIGINT and then exits with status 0. Point the application at
it with  smtp_url = smtp://HOST:PORT  and  smtp_starttls = off  (or, with
--tls-cert, required and smtp_ca_file = CERT.pem).

It speaks SMTP as a real server does (RFC 5321): a 220 greeting, EHLO (or
HELO) listing its extensions, STARTTLS when --tls-cert is given (without
it the sink is STARTTLS-less: EHLO does not offer it and the command is
refused), AUTH PLAIN and AUTH LOGIN when --auth is given (required for MAIL
with --require-auth), MAIL FROM, RCPT TO (several), DATA with dot-unstuffing,
RSET, NOOP, VRFY, QUIT. --require-tls refuses MAIL before STARTTLS. With
--smtps the connection is TLS from its first byte (smtps://, port 465 style)
and STARTTLS is not offered.

Every message accepted is written to DIR as NNNNNN.eml (the bytes received)
and then NNNNNN.json (its presence means the message is complete):
{"id", "received_at" (epoch seconds), "peer", "helo", "tls", "auth_user",
"mail_from", "rcpt_to" [..], "size", "subject", "from", "to", "date",
"message_id", "text" (the decoded text/plain body), "links" [every http(s)
URL of the text], "eml" (the file name)}. Numbering goes on from the files
already there. DIR/.pm-smtp-sink marks the directory as the sink's (the
application's /demo/mail page reads only such a directory).

Simulating an outage
--------------------
The mode is read from --mode-file (default DIR/.mode; a missing or empty
file means --mode) ten times a second, so a test changes it at run time:
  normal       accept mail
  refuse       close the listening socket: connections are refused, as with
               a server that is down; the same port listens again when the
               mode changes
  tempfail     greet with "421 4.3.2" and close (a server that is overloaded)
  reject-data  answer "451 4.3.0" to the end of DATA (nothing is stored)
"""
import argparse
import base64
import email
import email.policy
import json
import os
import re
import select
import signal
import socket
import ssl
import sys
import threading
import time

MODES = ("normal", "refuse", "tempfail", "reject-data")
MAX_LINE = 4096
MAX_MESSAGE = 10 * 1024 * 1024
LINK_RE = re.compile(r"https?://[^\s<>\"']+")


def write_atomic(path, data):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Store:
    """The directory of caught messages."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, ".pm-smtp-sink"), "w") as f:
            f.write("messages caught by tests/fakes/smtp_sink.py\n")
        self.lock = threading.Lock()
        self.next = 1
        for name in os.listdir(directory):
            m = re.match(r"^(\d+)\.(eml|json)$", name)
            if m:
                self.next = max(self.next, int(m.group(1)) + 1)

    def save(self, raw, envelope):
        with self.lock:
            n = self.next
            self.next += 1
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        try:
            text = body.get_content() if body is not None else ""
        except (LookupError, ValueError):
            text = ""
        text = text.replace("\r\n", "\n")
        record = dict(envelope)
        record.update({
            "id": n,
            "received_at": int(time.time()),
            "size": len(raw),
            "subject": str(msg.get("Subject", "")),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "date": str(msg.get("Date", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "text": text,
            "links": LINK_RE.findall(text),
            "eml": "%06d.eml" % n,
        })
        write_atomic(os.path.join(self.dir, "%06d.eml" % n), raw)
        write_atomic(os.path.join(self.dir, "%06d.json" % n),
                     (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return record


class Session:
    """One SMTP connection."""

    def __init__(self, sink, sock, peer):
        self.sink = sink
        self.sock = sock
        self.peer = "%s:%d" % peer[:2]
        self.rfile = sock.makefile("rb")
        self.tls = False
        self.auth_user = None
        self.helo = None
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt = []

    def send(self, line):
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def readline(self):
        line = self.rfile.readline(MAX_LINE + 2)
        if not line:
            raise EOFError
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            raise ValueError("line too long")
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def run(self):
        if self.sink.mode() == "tempfail":
            self.send("421 4.3.2 pm-smtp-sink: service not available, try again later")
            return
        self.send("220 pm-smtp-sink ESMTP ready")
        while True:
            line = self.readline()
            verb, _, arg = line.partition(" ")
            handler = getattr(self, "smtp_" + verb.upper(), None)
            if handler is None:
                self.send("500 5.5.2 Command not recognised")
                continue
            if handler(arg.strip()) is False:
                return

    # -- commands
    def extensions(self):
        ext = ["SIZE %d" % MAX_MESSAGE, "8BITMIME", "ENHANCEDSTATUSCODES"]
        if self.sink.tls_context is not None and not self.tls:
            ext.append("STARTTLS")
        if self.sink.auth is not None and (self.tls or not self.sink.require_tls):
            ext.append("AUTH PLAIN LOGIN")
        return ext

    def smtp_EHLO(self, arg):
        if not arg:
            self.send("501 5.5.4 EHLO needs a domain")
            return
        self.helo = arg
        self.reset()
        lines = ["pm-smtp-sink greets " + arg] + self.extensions()
        for i, text in enumerate(lines):
            self.send("250%s%s" % ("-" if i < len(lines) - 1 else " ", text))

    def smtp_HELO(self, arg):
        if not arg:
            self.send("501 5.5.4 HELO needs a domain")
            return
        self.helo = arg
        self.reset()
        self.send("250 pm-smtp-sink")

    def smtp_STARTTLS(self, arg):
        if self.sink.tls_context is None:
            self.send("502 5.5.1 STARTTLS not available on this server")
            return
        if self.tls:
            self.send("503 5.5.1 TLS already active")
            return
        self.send("220 2.0.0 Ready to start TLS")
        self.sock = self.sink.tls_context.wrap_socket(self.sock, server_side=True)
        self.rfile = self.sock.makefile("rb")
        self.tls = True
        self.helo = None
        self.auth_user = None
        self.reset()

    def smtp_AUTH(self, arg):
        if self.sink.auth is None:
            self.send("502 5.5.1 AUTH not available on this server")
            return
        if self.sink.require_tls and not self.tls:
            self.send("538 5.7.11 Encryption required for requested authentication mechanism")
            return
        mech, _, initial = arg.partition(" ")
        mech = mech.upper()
        try:
            if mech == "PLAIN":
                if not initial:
                    self.send("334 ")
                    initial = self.readline()
                parts = base64.b64decode(initial, validate=True).split(b"\0")
                if len(parts) != 3:
                    raise ValueError
                user, password = parts[1].decode(), parts[2].decode()
            elif mech == "LOGIN":
                if not initial:
                    self.send("334 " + base64.b64encode(b"Username:").decode())
                    initial = self.readline()
                user = base64.b64decode(initial, validate=True).decode()
                self.send("334 " + base64.b64encode(b"Password:").decode())
                password = base64.b64decode(self.readline(), validate=True).decode()
            else:
                self.send("504 5.5.4 Unrecognized authentication type")
                return
        except (ValueError, UnicodeDecodeError):
            self.send("501 5.5.2 Cannot decode the response")
            return
        if (user, password) == self.sink.auth:
            self.auth_user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send("535 5.7.8 Authentication credentials invalid")

    def smtp_MAIL(self, arg):
        m = re.match(r"(?i)^FROM:\s*<([^>]*)>", arg)
        if self.helo is None:
            self.send("503 5.5.1 Send EHLO first")
        elif self.sink.require_tls and not self.tls:
            self.send("530 5.7.0 Must issue a STARTTLS command first")
        elif self.sink.require_auth and self.auth_user is None:
            self.send("530 5.7.0 Authentication required")
        elif m is None:
            self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
        else:
            self.reset()
            self.mail_from = m.group(1)
            self.send("250 2.1.0 Sender OK")

    def smtp_RCPT(self, arg):
        m = re.match(r"(?i)^TO:\s*<([^>]+)>", arg)
        if self.mail_from is None:
            self.send("503 5.5.1 Need MAIL before RCPT")
        elif m is None:
            self.send("501 5.5.4 Syntax: RCPT TO:<address>")
        else:
            self.rcpt.append(m.group(1))
            self.send("250 2.1.5 Recipient OK")

    def smtp_DATA(self, arg):
        if not self.rcpt:
            self.send("503 5.5.1 Need RCPT before DATA")
            return
        self.send("354 End data with <CR><LF>.<CR><LF>")
        chunks, size = [], 0
        while True:
            line = self.rfile.readline(MAX_LINE + 2)
            if not line:
                raise EOFError
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size <= MAX_MESSAGE:
                chunks.append(line)
        if size > MAX_MESSAGE:
            self.send("552 5.3.4 Message too big")
        elif self.sink.mode() == "reject-data":
            self.send("451 4.3.0 pm-smtp-sink: temporary failure, try again later")
        else:
            record = self.sink.store.save(b"".join(chunks), {
                "peer": self.peer, "helo": self.helo, "tls": self.tls,
                "auth_user": self.auth_user, "mail_from": self.mail_from,
                "rcpt_to": list(self.rcpt)})
            self.sink.log("message %d from <%s> to %s: %s" % (
                record["id"], self.mail_from, ", ".join("<%s>" % r for r in self.rcpt),
                record["subject"]))
            self.send("250 2.0.0 OK: queued as %d" % record["id"])
        self.reset()

    def smtp_RSET(self, arg):
        self.reset()
        self.send("250 2.0.0 OK")

    def smtp_NOOP(self, arg):
        self.send("250 2.0.0 OK")

    def smtp_VRFY(self, arg):
        self.send("252 2.5.2 Cannot VRFY user, but will accept message")

    def smtp_QUIT(self, arg):
        self.send("221 2.0.0 Bye")
        return False


class Sink:
    def __init__(self, args):
        self.args = args
        self.store = Store(args.dir)
        self.mode_file = args.mode_file or os.path.join(args.dir, ".mode")
        self.auth = tuple(args.auth.split(":", 1)) if args.auth else None
        if self.auth is not None and len(self.auth) != 2:
            sys.exit("--auth expects USER:PASSWORD")
        self.require_auth = args.require_auth
        self.require_tls = args.require_tls
        self.tls_context = None
        if args.tls_cert:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(args.tls_cert, args.tls_key)
        self.port = args.port
        self.lsock = None
        self.stopping = False

    def log(self, text):
        if not self.args.quiet:
            print("smtp-sink: " + text, file=sys.stderr, flush=True)

    def mode(self):
        try:
            with open(self.mode_file) as f:
                m = f.read().strip()
        except OSError:
            m = ""
        return m if m in MODES else self.args.mode

    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.args.host, self.port))
        s.listen(64)
        self.port = s.getsockname()[1]
        return s

    def serve(self):
        first = True
        while not self.stopping:
            if self.mode() == "refuse" and not first:
                if self.lsock is not None:
                    self.log("mode refuse: not listening")
                    self.lsock.close()
                    self.lsock = None
                time.sleep(0.1)
                continue
            if self.lsock is None:
                try:
                    self.lsock = self.listen()
                except OSError as e:
                    self.log("cannot listen on %d yet: %s" % (self.port, e))
                    time.sleep(0.1)
                    continue
                if first:
                    first = False
                    if self.args.port_file:
                        write_atomic(self.args.port_file, b"%d\n" % self.port)
                    self.log("listening on %s:%d" % (self.args.host, self.port))
                    continue
                self.log("listening again on %d" % self.port)
            r, _, _ = select.select([self.lsock], [], [], 0.1)
            if not r:
                continue
            try:
                conn, peer = self.lsock.accept()
            except OSError:
                continue
            threading.Thread(target=self.handle, args=(conn, peer), daemon=True).start()

    def handle(self, conn, peer):
        conn.settimeout(60)
        session = None
        try:
            if self.args.smtps:
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            session = Session(self, conn, peer)
            session.tls = self.args.smtps
            session.run()
        except (EOFError, OSError, ValueError, ssl.SSLError):
            pass
        finally:
            # after STARTTLS the session holds the wrapped socket
            for sock in {conn, session.sock if session else conn}:
                try:
                    sock.close()
                except OSError:
                    pass


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local SMTP sink for tests and demo stacks.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--dir", required=True, help="where caught messages are written")
    ap.add_argument("--auth", help="USER:PASSWORD accepted by AUTH PLAIN and LOGIN")
    ap.add_argument("--require-auth", action="store_true", help="refuse MAIL before AUTH")
    ap.add_argument("--tls-cert", help="certificate (PEM): offer STARTTLS")
    ap.add_argument("--tls-key", help="its private key (PEM)")
    ap.add_argument("--require-tls", action="store_true", help="refuse MAIL before STARTTLS")
    ap.add_argument("--smtps", action="store_true", help="TLS from the first byte (needs --tls-cert)")
    ap.add_argument("--mode", choices=MODES, default="normal")
    ap.add_argument("--mode-file", help="file holding the mode (default DIR/.mode)")
    ap.add_argument("--quiet", action="store_true", help="no log on stderr")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if (args.require_tls or args.smtps) and not args.tls_cert:
        ap.error("--require-tls and --smtps need --tls-cert")
    if args.require_auth and not args.auth:
        ap.error("--require-auth needs --auth")
    sink = Sink(args)

    def stop(signum, frame):
        sink.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sink.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
