#!/usr/bin/env python3
"""DoT client (Python's ssl, i.e. OpenSSL) that asks one question, keeps the TLS session,
waits for a go-file, then reconnects RESUMING that session and asks again.

Prints one line per connection:
  conn=N reused=0|1 tls=VERSION answer=RCODE/ANCOUNT   (or answer=none:REASON)
and "READY" after the first, so a test can change the server's state in between.
Bounded: every socket operation times out after 3 s; the wait for the go-file after 30 s.
"""
import os
import socket
import ssl
import struct
import sys
import time

host, port, ca, identity, server_name, qname, go_file = sys.argv[1:8]
port = int(port)

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_verify_locations(ca)
context.load_cert_chain(identity)
context.minimum_version = ssl.TLSVersion.TLSv1_3


def build_query(query_id):
    header = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(part)]) + part.encode() for part in qname.rstrip(".").split("."))
    return header + labels + b"\x00" + struct.pack(">HH", 1, 1)


def read_exactly(stream, count):
    data = b""
    while len(data) < count:
        chunk = stream.recv(count - len(data))
        if not chunk:
            raise EOFError("closed by the server")
        data += chunk
    return data


def ask(number, session):
    raw = socket.create_connection((host, port), timeout=3)
    try:
        stream = context.wrap_socket(raw, server_hostname=server_name, session=session)
    except (ssl.SSLError, OSError) as error:
        print(f"conn={number} reused=- tls=- answer=none:handshake:{type(error).__name__}", flush=True)
        raw.close()
        return None
    try:
        query = build_query(0x1000 + number)
        stream.sendall(struct.pack(">H", len(query)) + query)
        length = struct.unpack(">H", read_exactly(stream, 2))[0]
        reply = read_exactly(stream, length)
        rcode = reply[3] & 0x0F
        ancount = struct.unpack(">H", reply[6:8])[0]
        answer = f"{rcode}/{ancount}"
    except (ssl.SSLError, OSError, EOFError) as error:
        answer = f"none:{type(error).__name__}"
    # Read once more so TLS 1.3 session tickets sent after the handshake are taken in.
    kept = stream.session
    print(f"conn={number} reused={int(stream.session_reused)} tls={stream.version()} answer={answer}", flush=True)
    try:
        stream.close()
    except OSError:
        pass
    return kept


session = ask(1, None)
print("READY", flush=True)
deadline = time.time() + 30
while not os.path.exists(go_file):
    if time.time() > deadline:
        print("no go-file", flush=True)
        sys.exit(2)
    time.sleep(0.05)
ask(2, session)
