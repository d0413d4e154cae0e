#!/usr/bin/env python3
"""Bounded connection flood for admission-exhaustion.sh: half-open TLS handshakes and silent TCP.

    admission-flood.py SOURCE_IP SECONDS NAME=HOST:PORT:KIND:COUNT ...

KIND is "hello" (a real TLS ClientHello, then silence) or "silent" (TCP connect, nothing sent).
Every socket is bound to SOURCE_IP, so the whole flood comes from one address. It opens every
connection, then watches them for at most SECONDS and prints one JSON line per NAME: how many
were opened, closed by the server at once (< 0.5 s), closed later, the longest a connection
was held, and how many were still open at the end (the server never closed them).
"""
import json, select, socket, ssl, sys, time

def client_hello(server_name):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()

def watch(poller, sockets, stats, wait):
    """Records the connections the server closed (waiting at most `wait` seconds for one)."""
    for fd, _ in poller.poll(wait):
        entry = sockets.get(fd)
        if entry is None:
            continue
        s, name, opened = entry
        try:
            data = s.recv(65536)
            if data:
                continue  # the server's TLS flight; wait for the close
        except BlockingIOError:
            continue
        except OSError:
            pass
        held = time.monotonic() - opened
        record = stats[name]
        record["closed_at_once" if held < 0.5 else "closed_later"] += 1
        record["max_held_seconds"] = round(max(record["max_held_seconds"], held), 2)
        poller.unregister(fd)
        s.close()
        del sockets[fd]

def main():
    source, seconds, specs = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    hello = client_hello("db.svc.corp.test")
    poller = select.epoll()
    sockets, stats = {}, {}
    for spec in specs:
        name, rest = spec.split("=", 1)
        host, port, kind, count = rest.split(":")
        stats[name] = {"opened": 0, "max_connect_seconds": 0.0, "connect_failed": 0, "closed_at_once": 0, "closed_later": 0, "max_held_seconds": 0.0, "still_open": 0}
        for _ in range(int(count)):
            started = time.monotonic()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((source, 0))
                s.settimeout(3)
                s.connect((host, int(port)))
                stats[name]["max_connect_seconds"] = round(max(stats[name]["max_connect_seconds"], time.monotonic() - started), 2)
                if kind == "hello":
                    s.sendall(hello)
            except OSError:
                stats[name]["connect_failed"] += 1
                s.close()
                continue
            s.setblocking(False)
            stats[name]["opened"] += 1
            # Held from the moment connect() returned (time the connection then waits in the
            # server's accept queue counts).
            sockets[s.fileno()] = (s, name, time.monotonic())
            poller.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR)
            # Closes are seen as they happen, not after the last connect.
            watch(poller, sockets, stats, 0)
    deadline = time.monotonic() + seconds
    while sockets and time.monotonic() < deadline:
        watch(poller, sockets, stats, 0.2)
    for s, name, _ in sockets.values():
        stats[name]["still_open"] += 1
        s.close()
    for name, record in stats.items():
        print(json.dumps({"target": name, **record}), flush=True)

main()
