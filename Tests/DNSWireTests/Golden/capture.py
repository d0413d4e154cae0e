#!/usr/bin/env python3
"""Regenerates the golden DNS packets in this directory from real peers.

Needs (Debian/Ubuntu): apt-get install -y bind9-dnsutils knot-dnsutils knot
  dig (BIND 9), kdig (Knot) as clients, knotd as a local authoritative server.

How it works: knotd serves two small zones on 127.0.0.1:SERVER_PORT. A relay in this script
listens on 127.0.0.1:RELAY_PORT (UDP and TCP), forwards each message verbatim to knotd and
records the exact bytes in both directions. Every capture runs one dig/kdig command against
the relay and saves the query as NAME.query.bin and the answer as NAME.response.bin.
manifest.tsv lists each capture with the command used and a short description.

The tests only read the committed .bin files; no network tool is needed at test time.
Usage: python3 capture.py [output-dir]   (default: the directory of this script)
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SERVER_PORT = 53531
RELAY_PORT = 53532

ZONE = """$ORIGIN example.test.
$TTL 3600
@         SOA   ns1 hostmaster 2024010101 7200 3600 1209600 300
@         NS    ns1
@         NS    ns2
ns1       A     192.0.2.53
ns1       AAAA  2001:db8::53
ns2       A     192.0.2.54
www       A     192.0.2.1
www       AAAA  2001:db8::1
Mixed     A     192.0.2.2
alias     CNAME alias2
alias2    CNAME www
@         MX    10 mail
@         MX    20 mail2.other.test.
mail      A     192.0.2.25
txt       TXT   "hello world" "second string" "" "tab\\009and\\\\backslash"
_sip._tcp SRV   10 60 5060 sipserver
sipserver A     192.0.2.60
caa       CAA   0 issue "letsencrypt.org"
svc       HTTPS 1 . alpn=h2 port=8443
sub       NS    ns.sub
ns.sub    A     192.0.2.99
"""

REVERSE_ZONE = """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@   SOA  ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@   NS   ns1.example.test.
1   PTR  www.example.test.
"""


def big_txt():
    strings = ['"%s"' % (("chunk%02d-" % i) + "x" * 200) for i in range(12)]
    return "big       TXT   " + " ".join(strings) + "\n"


KNOT_CONF = """server:
    listen: 127.0.0.1@{port}
    rundir: {dir}
log:
  - target: stderr
    any: warning
database:
    storage: {dir}/db
template:
  - id: default
    storage: {dir}
    semantic-checks: off
    module: mod-cookies
zone:
  - domain: example.test
    file: example.test.zone
  - domain: 2.0.192.in-addr.arpa
    file: reverse.zone
"""

# (name, client command after the server arguments are added, transport, description)
CAPTURES = [
    ("dig-a", ["dig", "www.example.test", "A"], "udp",
     "dig default query (RD, EDNS 1232, COOKIE) for an A record and knot's answer"),
    ("dig-noedns-aaaa", ["dig", "+noedns", "www.example.test", "AAAA"], "udp",
     "dig query without EDNS for AAAA"),
    ("dig-dnssec-soa", ["dig", "+dnssec", "+nocookie", "example.test", "SOA"], "udp",
     "dig +dnssec (DO bit) SOA query at the apex"),
    ("dig-cname-chain", ["dig", "+nocookie", "alias.example.test", "A"], "udp",
     "CNAME chain alias -> alias2 -> www with the final A"),
    ("dig-mx", ["dig", "+nocookie", "example.test", "MX"], "udp",
     "two MX records, one in zone (with additional A) and one out of zone"),
    ("dig-txt", ["dig", "+nocookie", "txt.example.test", "TXT"], "udp",
     "TXT with several character-strings, including an empty one and escapes"),
    ("dig-srv", ["dig", "+nocookie", "_sip._tcp.example.test", "SRV"], "udp",
     "SRV record with additional A for the target"),
    ("dig-nxdomain", ["dig", "+nocookie", "nope.example.test", "A"], "udp",
     "NXDOMAIN with the SOA in the authority section"),
    ("dig-ns-glue", ["dig", "+nocookie", "example.test", "NS"], "udp",
     "apex NS with glue A/AAAA in the additional section"),
    ("dig-referral", ["dig", "+nocookie", "+norecurse", "www.sub.example.test", "A"], "udp",
     "referral to a delegated child: AA clear, NS in authority, glue in additional"),
    ("dig-ptr", ["dig", "+nocookie", "-x", "192.0.2.1"], "udp",
     "reverse PTR lookup"),
    ("dig-big-txt-udp", ["dig", "+nocookie", "+ignore", "big.example.test", "TXT"], "udp",
     "large TXT over UDP: knot answers with TC=1"),
    ("dig-big-txt-tcp", ["dig", "+nocookie", "+tcp", "big.example.test", "TXT"], "tcp",
     "large TXT over TCP (about 2.5 KB)"),
    ("dig-caa", ["dig", "+nocookie", "caa.example.test", "CAA"], "udp",
     "CAA (TYPE257), kept raw as an unknown type"),
    ("dig-https", ["dig", "+nocookie", "svc.example.test", "TYPE65"], "udp",
     "HTTPS (TYPE65), kept raw as an unknown type"),
    ("dig-case", ["dig", "+nocookie", "MiXeD.ExAmPlE.TeSt", "A"], "udp",
     "mixed-case query name echoed by the server"),
    ("dig-chaos", ["dig", "+nocookie", "version.server", "CH", "TXT"], "udp",
     "CHAOS class query answered by knotd"),
    ("kdig-alignment", ["kdig", "+alignment=128", "www.example.test", "A"], "udp",
     "kdig query padded with the EDNS padding option to a multiple of 128 bytes"),
    ("kdig-keepalive", ["kdig", "+tcp", "+ednsopt=11", "www.example.test", "AAAA"], "tcp",
     "kdig TCP query with an empty edns-tcp-keepalive option (code 11) and knot's answer"),
    ("kdig-cookie-nsid", ["kdig", "+cookie", "+nsid", "+dnssec", "example.test", "NS"], "udp",
     "kdig with COOKIE, NSID and DO"),
    ("kdig-noedns", ["kdig", "+noedns", "+norecurse", "mail.example.test", "A"], "udp",
     "kdig without EDNS and without RD"),
]


class Relay:
    def __init__(self):
        self.lock = threading.Lock()
        self.query = None
        self.response = None
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", RELAY_PORT))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", RELAY_PORT))
        self.tcp.listen(4)
        threading.Thread(target=self.serve_udp, daemon=True).start()
        threading.Thread(target=self.serve_tcp, daemon=True).start()

    def record(self, query, response):
        with self.lock:
            if self.query is None:
                self.query, self.response = query, response

    def serve_udp(self):
        while True:
            query, client = self.udp.recvfrom(65535)
            upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            upstream.settimeout(3)
            upstream.sendto(query, ("127.0.0.1", SERVER_PORT))
            response, _ = upstream.recvfrom(65535)
            upstream.close()
            self.record(query, response)
            self.udp.sendto(response, client)

    @staticmethod
    def read_frame(sock):
        header = b""
        while len(header) < 2:
            chunk = sock.recv(2 - len(header))
            if not chunk:
                return None
            header += chunk
        (length,) = struct.unpack("!H", header)
        data = b""
        while len(data) < length:
            chunk = sock.recv(length - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def serve_tcp(self):
        while True:
            client, _ = self.tcp.accept()
            upstream = socket.create_connection(("127.0.0.1", SERVER_PORT), timeout=3)
            while True:
                query = self.read_frame(client)
                if query is None:
                    break
                upstream.sendall(struct.pack("!H", len(query)) + query)
                response = self.read_frame(upstream)
                if response is None:
                    break
                self.record(query, response)
                client.sendall(struct.pack("!H", len(response)) + response)
            upstream.close()
            client.close()

    def take(self):
        with self.lock:
            pair = (self.query, self.response)
            self.query = self.response = None
            return pair


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for tool in ("dig", "kdig", "knotd"):
        if shutil.which(tool) is None:
            sys.exit("missing %s: apt-get install -y bind9-dnsutils knot-dnsutils knot" % tool)
    work = tempfile.mkdtemp(prefix="dnswire-golden-")
    with open(os.path.join(work, "example.test.zone"), "w") as f:
        f.write(ZONE + big_txt())
    with open(os.path.join(work, "reverse.zone"), "w") as f:
        f.write(REVERSE_ZONE)
    conf = os.path.join(work, "knot.conf")
    with open(conf, "w") as f:
        f.write(KNOT_CONF.format(port=SERVER_PORT, dir=work))
    server = subprocess.Popen(["knotd", "-c", conf])
    try:
        time.sleep(1.5)
        relay = Relay()
        manifest = ["# name\ttransport\tcommand\tdescription"]
        for name, command, transport, description in CAPTURES:
            relay.take()
            args = [command[0], "@127.0.0.1", "-p", str(RELAY_PORT)] + command[1:]
            args.insert(1, "+time=2" if command[0] == "dig" else "+timeout=2")
            args.insert(2, "+retry=0")
            result = subprocess.run(args, capture_output=True, text=True)
            query, response = relay.take()
            if query is None or response is None:
                sys.exit("capture %s failed:\n%s\n%s" % (name, result.stdout, result.stderr))
            with open(os.path.join(out_dir, name + ".query.bin"), "wb") as f:
                f.write(query)
            with open(os.path.join(out_dir, name + ".response.bin"), "wb") as f:
                f.write(response)
            manifest.append("\t".join([name, transport, " ".join(command), description]))
            print("captured %-20s query %4d bytes, response %5d bytes" % (name, len(query), len(response)))
        with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
            f.write("\n".join(manifest) + "\n")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
