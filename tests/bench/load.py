"""A small HTTP/1.1 load generator on asyncio, for what wrk cannot do: a
thousand keep-alive connections, each signed in as one of many accounts,
and pages timed on their own connections meanwhile.

    result = run_load(port, requests, connections, seconds, probes)

requests(k) gives connection k's (method, path, headers, body bytes); each
connection sends it again as soon as the answer is in. probes is a list of
(name, method, path, headers) requested one after the other, every 50 ms,
on connections of their own. Python standard library only."""
import asyncio
import time


class Stats:
    """What completed inside the measured window [t0, t1]."""

    def __init__(self):
        self.latencies = []         # seconds, completed requests
        self.statuses = {}          # status -> count
        self.errors = 0             # connection errors, timeouts
        self.kinds = {}             # error kind -> count
        self.t0 = self.t1 = None

    def add(self, status, seconds):
        now = time.monotonic()
        if self.t0 is None or now < self.t0 or (self.t1 is not None and now > self.t1):
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status:
            self.latencies.append(seconds)

    def error(self, e=None):
        now = time.monotonic()
        if self.t0 is not None and now >= self.t0 and (self.t1 is None or now <= self.t1):
            self.errors += 1
            k = type(e).__name__ if e is not None else "?"
            self.kinds[k] = self.kinds.get(k, 0) + 1

    def pct(self, p):
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(len(s) * p / 100.0))]


async def _read_response(reader):
    """Status, body and whether the server closes the connection after one
    response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length, chunked, close = None, False, False
    for line in lines[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        if k == "content-length":
            length = int(v.strip())
        elif k == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
        elif k == "connection" and "close" in v.lower():
            close = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return status, body, close
    return status, (await reader.readexactly(length)) if length else b"", close


def _request_bytes(method, path, headers, body):
    h = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    for k, v in headers.items():
        h.append("%s: %s" % (k, v))
    if body is not None:
        h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + (body or b"")


async def _worker(port, k, requests, stop_at, stats, start_gate):
    method, path, headers, body = requests(k)
    raw = _request_bytes(method, path, headers, body)
    reader = writer = None
    await start_gate.wait()
    while time.monotonic() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            t0 = time.monotonic()
            writer.write(raw)
            await writer.drain()
            status, _, close = await asyncio.wait_for(_read_response(reader), 120)
            stats.add(status, time.monotonic() - t0)
            if close:                   # the server ends keep-alive: reconnect
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError,
                asyncio.LimitOverrunError, ValueError, IndexError) as e:
            if isinstance(e, asyncio.IncompleteReadError) and not e.partial:
                e = ConnectionAbortedError("closed before any byte of the answer")
            stats.error(e)
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def _probe(port, probes, stop_at, results, start_gate):
    await start_gate.wait()
    conns = {}
    while time.monotonic() < stop_at:
        for name, method, path, headers in probes:
            if name not in results:
                results[name] = Stats()
                results[name].t0 = time.monotonic()
            st = results[name]
            try:
                if name not in conns:
                    conns[name] = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = conns[name]
                t0 = time.monotonic()
                writer.write(_request_bytes(method, path, headers, None))
                await writer.drain()
                status, _, close = await asyncio.wait_for(_read_response(reader), 30)
                st.add(status, time.monotonic() - t0)
                if close:
                    writer.close()
                    conns.pop(name, None)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                st.error(e)
                conns.pop(name, None)
        await asyncio.sleep(0.05)
    for reader, writer in conns.values():
        writer.close()


async def _main(port, requests, connections, seconds, probes, warmup, on_steady):
    stats, probe_stats = Stats(), {}
    gate = asyncio.Event()
    t_start = time.monotonic()
    stop_at = t_start + warmup + seconds
    tasks = [asyncio.ensure_future(_worker(port, k, requests, stop_at, stats, gate))
             for k in range(connections)]
    gate.set()
    await asyncio.sleep(warmup)
    # measure from here: what completes during the steady period
    measured_from = stats.t0 = time.monotonic()
    stats.t1 = stop_at
    probe_gate = asyncio.Event()
    ptask = asyncio.ensure_future(_probe(port, probes, stop_at, probe_stats, probe_gate))
    probe_gate.set()
    if on_steady is not None:
        await asyncio.sleep(min(1.0, seconds / 2))
        await asyncio.get_event_loop().run_in_executor(None, on_steady)
    await asyncio.gather(*tasks, ptask)
    return stats, probe_stats, stop_at - measured_from


def run_load(port, requests, connections, seconds, probes=(), warmup=3.0,
             on_steady=None):
    """Load port for warmup + seconds; returns (stats, {probe: stats},
    measured seconds). on_steady() runs once (in a thread) during the
    measured period, e.g. to read memory."""
    return asyncio.run(_main(port, requests, connections, seconds, list(probes),
                             warmup, on_steady))
