#!/usr/bin/env python3
"""New mutual-TLS connections per second against one TLS terminator (bench/run, scenario 5).

    tlsload.py --connect IP:PORT --ca CA.pem --name SERVER-NAME [--cert PEM [--key KEY]]
               [--sni NAME] [--expect TEXT] (--seconds S | --count N) [--procs P]

Each of P processes opens one connection after another, and every connection is new: TCP
connect, a full TLS 1.3 handshake (no session resumption: no session is ever offered), the
client certificate when --cert is given, SNI when --sni is given, the server's certificate
verified against CA.pem and required to carry SERVER-NAME as a DNS name. Then it reads until the
server closes. A connection counts as made only when the server closed it cleanly after the
handshake and sent exactly TEXT (--expect; nothing at all without it). In TLS 1.3 the client's
side of the handshake ends before the server has checked the client certificate; a server that
refuses the certificate says so with an alert on that read, so a refused certificate is a
failure here, never a connection (openssl s_time cannot tell the two apart).

Prints one JSON object: connections made, failures by reason (and the first one in full),
seconds, connections per second, processes, and the CPU seconds the processes used.
"""
import argparse
import json
import os
import resource
import socket
import ssl
import sys
import time


def context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False          # SNI (a route's name) and the certificate's name differ
    ctx.verify_mode = ssl.CERT_REQUIRED  # the chain is verified; the name is checked below
    ctx.load_verify_locations(a.ca)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key or None)
    return ctx


def names(cert):
    return {v for k, v in cert.get("subjectAltName", ()) if k == "DNS"}


def one(ctx, a, host, port, expect):
    s = socket.create_connection((host, port), timeout=a.timeout)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = ctx.wrap_socket(s, server_hostname=a.sni)
        s = t
        if a.name not in names(t.getpeercert()):
            raise ValueError("server certificate does not name %s" % a.name)
        got = b""
        while True:
            d = t.recv(4096)
            if not d:
                break
            got += d
            if len(got) > len(expect) + 4096:
                break
        if got != expect:
            raise ValueError("unexpected data from the server: %r" % got[:64])
    finally:
        s.close()


def reason(e):
    if isinstance(e, ssl.SSLError):
        return "tls:" + (e.reason or type(e).__name__)
    if isinstance(e, OSError):
        return "os:" + (type(e).__name__ if e.errno is None else os.strerror(e.errno))
    return type(e).__name__


def worker(a, start, out):
    ctx = context(a)
    host, port = a.connect.rsplit(":", 1)
    port = int(port)
    expect = a.expect.encode() if a.expect else b""
    ok, failed, first = 0, {}, None
    while time.time() < start:
        time.sleep(0.001)
    deadline = start + a.seconds if a.seconds else None
    budget = a.count
    while True:
        if deadline is not None and time.time() >= deadline:
            break
        if budget is not None:
            if budget <= 0:
                break
            budget -= 1
        try:
            one(ctx, a, host, port, expect)
            ok += 1
        except Exception as e:  # every failure is counted, by reason
            r = reason(e)
            failed[r] = failed.get(r, 0) + 1
            if first is None:
                first = "%s: %s" % (type(e).__name__, e)
    os.write(out, (json.dumps({"ok": ok, "failed": failed, "first": first, "end": time.time()}) + "\n").encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connect", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--name", required=True, help="DNS name the server's certificate must carry")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--sni")
    ap.add_argument("--expect", default="")
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--count", type=int, help="connections per process instead of --seconds")
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    if (a.seconds is None) == (a.count is None):
        ap.error("give --seconds or --count")
    context(a)  # fail here, once, on unreadable files
    start = time.time() + 0.2
    pipes, pids = [], []
    for _ in range(a.procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                worker(a, start, w)
            except BaseException as e:  # a worker that dies reports it
                os.write(w, (json.dumps({"ok": 0, "failed": {"worker": 1}, "first": repr(e), "end": time.time()}) + "\n").encode())
                code = 1
            os._exit(code)
        os.close(w)
        pipes.append(r)
        pids.append(pid)
    results = []
    for r in pipes:
        data = b""
        while True:
            d = os.read(r, 65536)
            if not d:
                break
            data += d
        os.close(r)
        results.append(json.loads(data) if data.strip() else {"ok": 0, "failed": {"worker": 1}, "first": "no result", "end": time.time()})
    for pid in pids:
        os.waitpid(pid, 0)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    ok = sum(x["ok"] for x in results)
    failed = {}
    for x in results:
        for k, v in x["failed"].items():
            failed[k] = failed.get(k, 0) + v
    seconds = max(x["end"] for x in results) - start
    first = next((x["first"] for x in results if x["first"]), None)
    print(json.dumps({"connections": ok, "failed": failed, "first_failure": first, "seconds": round(seconds, 3),
                      "rate": round(ok / seconds, 1) if seconds > 0 else 0, "procs": a.procs,
                      "sni": a.sni, "client_certificate": bool(a.cert), "expect": a.expect,
                      "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3)}))


if __name__ == "__main__":
    main()
