#!/usr/bin/env python3
"""A DoT client that pipelines queries and never reads its answers (for admission-exhaustion.sh).

    dot-pipeline.py HOST PORT SERVER_NAME CA IDENTITY_PEM QNAME COUNT SECONDS

Writes up to COUNT queries for QNAME TXT on one mutually authenticated TLS connection, reads
nothing, for at most SECONDS, and prints how many queries the connection took.
"""
import socket, ssl, struct, sys, time

host, port, server_name, ca, identity, qname, count, seconds = sys.argv[1:9]
count, seconds = int(count), float(seconds)
context = ssl.create_default_context(cafile=ca)
context.load_cert_chain(identity)
raw = socket.create_connection((host, int(port)), timeout=5)
tls = context.wrap_socket(raw, server_hostname=server_name)
question = b"".join(bytes([len(label)]) + label.encode() for label in qname.rstrip(".").split(".")) + b"\x00" + struct.pack("!HH", 16, 1)
written, batch = 0, []
deadline = time.monotonic() + seconds
tls.settimeout(0.5)
pending = b""
while written < count and time.monotonic() < deadline:
    if not pending:
        chunk = []
        for i in range(written, min(written + 500, count)):
            message = struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + question
            chunk.append(struct.pack("!H", len(message)) + message)
        pending = b"".join(chunk)
        queued = len(chunk)
    try:
        sent = tls.send(pending)
        pending = pending[sent:]
        if not pending:
            written += queued
    except (socket.timeout, ssl.SSLWantWriteError):
        continue  # the server stopped reading: keep trying until the deadline
    except OSError:
        break
print(f"queries written: {written}", flush=True)
time.sleep(max(0.0, deadline - time.monotonic()))
tls.close()
