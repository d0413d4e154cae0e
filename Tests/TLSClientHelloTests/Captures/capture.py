#!/usr/bin/env python3
"""Regenerates the real TLS ClientHello captures in this directory.

Needs (Debian/Ubuntu): apt-get install -y openssl curl knot-dnsutils gnutls-bin openjdk-17-jdk-headless
  openssl s_client (OpenSSL), curl (libcurl + OpenSSL, nghttp2 for ALPN h2), kdig (Knot, GnuTLS),
  gnutls-cli (GnuTLS), java (the JDK's own TLS stack, JSSE; the JDK, not only the JRE, since the
  client is run as a single source file). A client that is missing is skipped.

How it works: for each capture a TCP listener bound to 127.0.0.1 (loopback only) on an ephemeral
port accepts one connection, reads until it holds the complete ClientHello (the handshake records
whose payload covers the 4-byte handshake header's length) or 1 s has passed, writes exactly those
record bytes to NAME.bin and closes the connection, so the client fails right after its hello.
Nothing is ever answered and no other host is contacted.

Captures (PORT is the listener's port):
  openssl-s_client-tls13.bin   openssl s_client -connect 127.0.0.1:PORT -servername db.corp.test -tls1_3
  openssl-tls12-no-sni.bin     openssl s_client -connect 127.0.0.1:PORT -noservername -tls1_2
  openssl-mixed-case-sni.bin   openssl s_client -connect 127.0.0.1:PORT -servername Mixed.Corp.TEST -alpn dot
  openssl-large-ffdhe.bin      openssl s_client -connect 127.0.0.1:PORT -servername big.corp.test
                                 -groups ffdhe8192:ffdhe6144:ffdhe4096:ffdhe3072:ffdhe2048:X25519:X448:P-256:P-384:P-521
                                 -cipher ALL -alpn h2,http/1.1,spdy/3.1,acme-tls/1 (first key share: 1024-byte ffdhe8192)
  openssl-resumption-psk.bin   openssl s_client -connect 127.0.0.1:PORT -servername psk.corp.test -sess_in SESSION
                                 (SESSION saved by a first s_client against a local `openssl s_server` on 127.0.0.1,
                                 so the hello carries pre_shared_key and psk_key_exchange_modes)
  curl-https.bin               curl -sk https://svc.corp.test:PORT/ --resolve svc.corp.test:PORT:127.0.0.1   (ALPN h2, http/1.1)
  curl-http11.bin              curl -sk --http1.1 https://web.corp.test:PORT/ --resolve web.corp.test:PORT:127.0.0.1
  kdig-dot.bin                 kdig @127.0.0.1 -p PORT +tls +tls-hostname=dns.corp.test +timeout=2 +retry=0 example.com
                                 (GnuTLS; kdig offers ALPN "dot")
  gnutls-cli.bin               gnutls-cli --insecure --sni-hostname=mail.corp.test --alpn=imap -p PORT 127.0.0.1
  java-jsse.bin                java JsseHello.java 127.0.0.1 PORT jdk.corp.test   (SSLSocket, SNI, ALPN h2 + http/1.1)

The tests only read the committed .bin files; no TLS tool is needed at test time. What each file
must parse to is listed in ../CaptureExpectation.swift (a test fails for a file without an entry
there). The same files are the seed corpus of the ClientHello fuzzer (Fuzz/corpus/tls/).
Usage: python3 capture.py [output-dir]   (default: the directory of this script)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

JAVA_CLIENT = r"""
import javax.net.ssl.*;
import java.security.cert.X509Certificate;
import java.util.List;

public class JsseHello {
    public static void main(String[] args) throws Exception {
        TrustManager[] trustAll = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustAll, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(args[0], Integer.parseInt(args[1]))) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(args[2])));
            parameters.setApplicationProtocols(new String[] { "h2", "http/1.1" });
            socket.setSSLParameters(parameters);
            socket.startHandshake();
        } catch (Exception expected) {
            // The listener closes the connection after the hello.
        }
    }
}
"""


def hello_end(data):
    """Length of the records holding a complete ClientHello at the start of data, or None."""
    position = 0
    handshake = b""
    while position + 5 <= len(data):
        length = int.from_bytes(data[position + 3:position + 5], "big")
        if position + 5 + length > len(data):
            return None
        handshake += data[position + 5:position + 5 + length]
        position += 5 + length
        if len(handshake) >= 4 and len(handshake) >= 4 + int.from_bytes(handshake[1:4], "big"):
            return position
    return None


def listen_once(server, out, done):
    """Accepts one connection, reads its ClientHello records, stores them in out['bytes']."""
    try:
        server.settimeout(15)
        connection, _ = server.accept()
    except OSError:
        done.set()
        return
    with connection:
        data = b""
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            connection.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = connection.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            end = hello_end(data)
            if end is not None:
                data = data[:end]
                break
        out["bytes"] = data
    done.set()


def capture(name, command, outdir, env=None):
    """Runs command (with {port} filled in) against a one-shot loopback listener; saves NAME.bin."""
    tool = command[0]
    if shutil.which(tool) is None:
        print(f"skip {name}: {tool} not installed")
        return
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    out, done = {}, threading.Event()
    thread = threading.Thread(target=listen_once, args=(server, out, done), daemon=True)
    thread.start()
    argv = [part.replace("{port}", str(port)) for part in command]
    try:
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30, env=env)
    except subprocess.TimeoutExpired:
        pass
    done.wait(5)
    server.close()
    data = out.get("bytes", b"")
    if hello_end(data) != len(data) or not data:
        print(f"FAILED {name}: got {len(data)} bytes without a complete hello")
        return
    with open(os.path.join(outdir, name + ".bin"), "wb") as f:
        f.write(data)
    print(f"{name}.bin: {len(data)} bytes")


def resumption_session(workdir):
    """Gets a TLS 1.3 session from a local openssl s_server on 127.0.0.1; returns the session file."""
    key, cert, session = (os.path.join(workdir, n) for n in ("key.pem", "cert.pem", "session.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=psk.corp.test"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-key", key, "-cert", cert,
                               "-tls1_3", "-naccept", "1", "-quiet"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        # Keep stdin open a moment so the client reads the NewSessionTicket messages.
        client = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                                   "psk.corp.test", "-tls1_3", "-sess_out", session],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        client.stdin.close()
        client.wait(10)
    finally:
        server.kill()
        server.wait()
    return session if os.path.exists(session) and os.path.getsize(session) > 0 else None


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    s_client = ["openssl", "s_client", "-connect", "127.0.0.1:{port}"]
    capture("openssl-s_client-tls13", s_client + ["-servername", "db.corp.test", "-tls1_3"], outdir)
    capture("openssl-tls12-no-sni", s_client + ["-noservername", "-tls1_2"], outdir)
    capture("openssl-mixed-case-sni", s_client + ["-servername", "Mixed.Corp.TEST", "-alpn", "dot"], outdir)
    capture("openssl-large-ffdhe", s_client + [
        "-servername", "big.corp.test",
        "-groups", "ffdhe8192:ffdhe6144:ffdhe4096:ffdhe3072:ffdhe2048:X25519:X448:P-256:P-384:P-521",
        "-cipher", "ALL", "-alpn", "h2,http/1.1,spdy/3.1,acme-tls/1"], outdir)
    with tempfile.TemporaryDirectory() as workdir:
        session = resumption_session(workdir) if shutil.which("openssl") else None
        if session:
            capture("openssl-resumption-psk", s_client + ["-servername", "psk.corp.test", "-sess_in", session],
                    outdir)
        else:
            print("skip openssl-resumption-psk: no session from the local s_server")
        capture("curl-https", ["curl", "-sk", "https://svc.corp.test:{port}/",
                               "--resolve", "svc.corp.test:{port}:127.0.0.1"], outdir)
        capture("curl-http11", ["curl", "-sk", "--http1.1", "https://web.corp.test:{port}/",
                                "--resolve", "web.corp.test:{port}:127.0.0.1"], outdir)
        capture("kdig-dot", ["kdig", "@127.0.0.1", "-p", "{port}", "+tls", "+tls-hostname=dns.corp.test",
                             "+timeout=2", "+retry=0", "example.com"], outdir)
        capture("gnutls-cli", ["gnutls-cli", "--insecure", "--sni-hostname=mail.corp.test", "--alpn=imap",
                               "-p", "{port}", "127.0.0.1"], outdir)
        java_source = os.path.join(workdir, "JsseHello.java")
        with open(java_source, "w") as f:
            f.write(JAVA_CLIENT)
        capture("java-jsse", ["java", java_source, "127.0.0.1", "{port}", "jdk.corp.test"], outdir)


if __name__ == "__main__":
    main()
