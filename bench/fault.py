#!/usr/bin/env python3
"""Fault and load tests for ztagent, on loopback only, bounded in time.

Run by bench/fault (which installs the peers and finds the binaries); see docs/performance.md.

Cases:
  kill      load at half the measured maximum forwarded rate (unique names, every query goes
            over DoT) while the DoT server is SIGKILLed and restarted every --kill-interval
            seconds, for --duration seconds.
  tcp       --tcp-clients concurrent TCP clients (each connects, then asks --tcp-queries
            questions one after another on its connection) plus --slowloris clients that trickle
            one byte of a query a second and --slowloris silent ones that send nothing, with a
            UDP probe beside them.
  upstream  the agent's only DoT server is a fake that answers garbage, a frame that stops
            half way, a frame holding a cut DNS message, an answer with the wrong ID, or never
            answers; UDP load meanwhile.

Every query of every case is accounted for: answered (by RCODE) or hung (no answer within
--hung-after seconds, far beyond the agent's 3 s upstream timeout). Hung must be 0, memory
(VmRSS) at the end must be where it was after warm-up.
"""

import argparse
import json
import os
import random
import re
import resource
import selectors
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

# ------------------------------------------------------------------------------------------------
# Small helpers


def log(message):
    print("== " + message, flush=True)


def rss_kib(pid):
    """VmRSS of a process in KiB (None when it is gone)."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def udp_socket_drops(ports):
    """Datagrams the kernel dropped at the UDP sockets bound to these local ports (the last
    column of /proc/net/udp), summed."""
    drops = 0
    with open("/proc/net/udp") as table:
        next(table)
        for line in table:
            fields = line.split()
            port = int(fields[1].split(":")[1], 16)
            if port in ports:
                drops += int(fields[-1])
    return drops


def udp_rcvbuf_errors():
    """The kernel's count of UDP datagrams dropped because a receive buffer was full."""
    with open("/proc/net/snmp") as snmp:
        lines = [line.split() for line in snmp if line.startswith("Udp:")]
    header, values = lines[0], lines[1]
    return int(values[header.index("RcvbufErrors")])


def cpu_times():
    """(busy, total) jiffies of each CPU, from /proc/stat."""
    times = {}
    with open("/proc/stat") as stat:
        for line in stat:
            fields = line.split()
            if fields[0].startswith("cpu") and fields[0] != "cpu":
                values = [int(v) for v in fields[1:]]
                idle = values[3] + (values[4] if len(values) > 4 else 0)
                times[fields[0]] = (sum(values) - idle, sum(values))
    return times


def cpu_busy(before, after):
    """Percent busy per CPU between two cpu_times() readings."""
    return {cpu: round(100 * (after[cpu][0] - before[cpu][0]) / max(1, after[cpu][1] - before[cpu][1]))
            for cpu in after if cpu in before}


def process_cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[index]


def ms(value):
    return None if value is None else round(value * 1000, 2)


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def make_query(query_id, name, qtype=1):
    header = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, 1)


def rcode_of(answer):
    if len(answer) < 12:
        return "SHORT"
    flags = struct.unpack("!H", answer[2:4])[0]
    return {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}.get(flags & 0xF, "RCODE%d" % (flags & 0xF))


class Processes:
    """Every process started here, stopped on exit."""

    def __init__(self, work, cores):
        self.work = work
        self.cores = cores
        self.children = {}
        self.offsets = {}

    def start(self, name, core, argv, **kwargs):
        if self.cores > 1 and core is not None:
            argv = ["taskset", "-c", str(core)] + argv
        out = open(os.path.join(self.work, name + ".out"), "ab")
        err = open(os.path.join(self.work, name + ".log"), "ab")
        # Restarted processes append to the same files: wait_line reads what came after this start.
        self.offsets[name] = out.tell()
        child = subprocess.Popen(argv, stdout=out, stderr=err, **kwargs)
        self.children[name] = child
        return child

    def wait_line(self, name, prefix, timeout=30):
        deadline = time.monotonic() + timeout
        path = os.path.join(self.work, name + ".out")
        while time.monotonic() < deadline:
            with open(path, "rb") as out:
                out.seek(self.offsets.get(name, 0))
                for line in out.read().decode(errors="replace").splitlines():
                    if line.startswith(prefix):
                        return line
            if self.children[name].poll() is not None:
                raise SystemExit("fault: %s exited (%s); see %s.log" % (name, self.children[name].returncode, name))
            time.sleep(0.02)
        raise SystemExit("fault: %s never printed %r" % (name, prefix))

    def kill(self, name, sig=signal.SIGTERM):
        child = self.children.pop(name, None)
        if child is None:
            return
        if child.poll() is None:
            child.send_signal(sig)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def stop_all(self):
        for name in list(self.children):
            self.kill(name)


def wait_udp_answer(port, name, expect_rcode="NOERROR", timeout=30):
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.5)
    try:
        while time.monotonic() < deadline:
            sock.sendto(make_query(4242, name), ("127.0.0.1", port))
            try:
                answer, _ = sock.recvfrom(4096)
                if rcode_of(answer) == expect_rcode:
                    return answer
            except socket.timeout:
                pass
            time.sleep(0.1)
    finally:
        sock.close()
    raise SystemExit("fault: no %s answer for %s from port %d" % (expect_rcode, name, port))


# ------------------------------------------------------------------------------------------------
# UDP load: paced, every query tracked


class UDPLoad:
    """Sends `rate` queries a second (names from `name_for(seq)`) over `lanes` sockets and tracks
    each one until its answer comes or `hung_after` passes. Runs on its own thread."""

    def __init__(self, port, rate, name_for, hung_after, lanes=16):
        self.port = port
        self.rate = rate
        self.name_for = name_for
        self.hung_after = hung_after
        self.sockets = []
        for _ in range(lanes):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.setblocking(False)
            sock.connect(("127.0.0.1", port))
            self.sockets.append(sock)
        self.pending = {}       # (lane, id) -> send time
        self.next_id = [random.randrange(65536) for _ in range(lanes)]
        self.events = []        # (send time, answer time or None, rcode or "HUNG")
        self.stopping = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.started = time.monotonic()
        self.thread.start()

    def stop(self):
        """Stops sending, waits for the answers (or hung_after), returns the events."""
        self.stopping.set()
        self.thread.join()
        return self.events

    def run(self):
        selector = selectors.DefaultSelector()
        for lane, sock in enumerate(self.sockets):
            selector.register(sock, selectors.EVENT_READ, lane)
        interval = 1.0 / self.rate
        next_send = time.monotonic()
        seq = 0
        lanes = len(self.sockets)
        while True:
            now = time.monotonic()
            sending = not self.stopping.is_set()
            if sending:
                # Catch up in bursts of at most 64 when the loop fell behind.
                burst = 0
                while next_send <= now and burst < 64:
                    lane = seq % lanes
                    query_id = self.next_id[lane]
                    self.next_id[lane] = (query_id + 1) & 0xFFFF
                    key = (lane, query_id)
                    if key in self.pending:        # 65536 queries in flight on one lane: skip the id
                        next_send += interval
                        continue
                    try:
                        self.sockets[lane].send(make_query(query_id, self.name_for(seq)))
                        self.pending[key] = now
                        self.sent += 1
                    except BlockingIOError:
                        pass
                    seq += 1
                    burst += 1
                    next_send += interval
            elif not self.pending:
                break
            timeout = max(0.0, min(next_send - time.monotonic(), 0.05)) if sending else 0.05
            for key, _ in selector.select(timeout):
                sock = key.fileobj
                while True:
                    try:
                        answer = sock.recv(65535)
                    except BlockingIOError:
                        break
                    if len(answer) < 12:
                        continue
                    query_id = struct.unpack("!H", answer[:2])[0]
                    sent_at = self.pending.pop((key.data, query_id), None)
                    if sent_at is not None:
                        self.events.append((sent_at, time.monotonic(), rcode_of(answer)))
            # Expire the hung ones (checked a few times a second).
            now = time.monotonic()
            if int(now * 4) != int((now - 0.05) * 4) or not sending:
                expired = [key for key, sent_at in self.pending.items() if now - sent_at > self.hung_after]
                for key in expired:
                    self.events.append((self.pending.pop(key), None, "HUNG"))
        # Where datagrams were lost, if any were: at this generator's own sockets.
        self.generator_drops = udp_socket_drops({sock.getsockname()[1] for sock in self.sockets})
        for sock in self.sockets:
            sock.close()


def summarize(events, start=None, end=None):
    """Counts by RCODE and latency percentiles of `events` sent in [start, end)."""
    chosen = [e for e in events if (start is None or e[0] >= start) and (end is None or e[0] < end)]
    counts = {}
    for _, _, rcode in chosen:
        counts[rcode] = counts.get(rcode, 0) + 1
    latencies = sorted(answered - sent for sent, answered, _ in chosen if answered is not None)
    return {
        "queries": len(chosen),
        "rcodes": counts,
        "hung": counts.get("HUNG", 0),
        "p50_ms": ms(percentile(latencies, 0.5)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "max_ms": ms(latencies[-1] if latencies else None),
    }


# ------------------------------------------------------------------------------------------------
# The stack: dnsmasq -> ztserver (DoT, mutual TLS) -> ztagent


class Stack:
    def __init__(self, args, procs):
        self.args = args
        self.procs = procs
        base = args.port_base
        self.p_dnsmasq, self.p_dot, self.p_api, self.p_agent, self.p_metrics = base, base + 1, base + 2, base + 3, base + 4
        self.p_fake, self.p_agent2, self.p_metrics2 = base + 5, base + 6, base + 7
        self.work = args.work
        self.server_state = os.path.join(self.work, "server")
        self.agent_state = os.path.join(self.work, "agent")

    def binary(self, name):
        return os.path.join(self.args.bin, name)

    def start(self):
        procs, work = self.procs, self.work
        log("upstream: dnsmasq (*.pub.test, no cache) -> ztserver (DoT, mutual TLS) on core %s" % self.args.up_core)
        procs.start("dnsmasq", self.args.up_core, [
            "dnsmasq", "-k", "-p", str(self.p_dnsmasq), "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--address=/pub.test/198.18.0.1", "--local-ttl=3600",
            "--cache-size=0", "--dns-forward-max=10000", "--pid-file=", "--log-facility=" + os.path.join(work, "dnsmasq.log")])
        wait_udp_answer(self.p_dnsmasq, "probe.pub.test")
        run = lambda *argv: subprocess.run(list(argv), check=True, capture_output=True, text=True).stdout
        run(self.binary("ztserver"), "init", "--state", self.server_state, "--server-name", "ztserver.fault",
            "--dot-listen", "127.0.0.1:%d" % self.p_dot, "--api-listen", "127.0.0.1:%d" % self.p_api,
            "--upstream", "dns", "--upstream-server", "127.0.0.1:%d" % self.p_dnsmasq)
        run(self.binary("ztserver"), "zone", "add", "fault.test", "--state", self.server_state,
            "--record", "private A 198.51.100.7", "--allow", "fault")
        token = run(self.binary("ztserver"), "token", "create", "--state", self.server_state, "--name", "fault")
        token_path = os.path.join(work, "token")
        with open(token_path, "w") as out:
            out.write(token)
        os.chmod(token_path, 0o600)
        self.start_server()
        run(self.binary("ztagent"), "enroll", "--token", token_path, "--state", self.agent_state)
        config = {"listen": ["127.0.0.1:%d" % self.p_agent], "state": self.agent_state,
                  "metricsListen": "127.0.0.1:%d" % self.p_metrics}
        self.agent_config = os.path.join(work, "agent.json")
        with open(self.agent_config, "w") as out:
            json.dump(config, out, indent=2)
        self.start_agent()

    def start_server(self):
        self.server = self.procs.start("ztserver", self.args.up_core, [self.binary("ztserver"), "run", "--state", self.server_state])
        return self.procs.wait_line("ztserver", "ztserver listening", timeout=30)

    def start_agent(self):
        log("ztagent: enrolled, stub on 127.0.0.1:%d (UDP and TCP), metrics on 127.0.0.1:%d, core %s, product defaults"
            % (self.p_agent, self.p_metrics, self.args.sut_core))
        self.agent = self.procs.start("ztagent", self.args.sut_core, [self.binary("ztagent"), "run", "--config", self.agent_config])
        self.procs.wait_line("ztagent", "ztagent listening")
        wait_udp_answer(self.p_agent, "private.fault.test")
        wait_udp_answer(self.p_agent, "probe.pub.test")


def metric_values(port, names):
    """Sums of the given metric families from a Prometheus endpoint."""
    try:
        text = subprocess.run(["curl", "-s", "--max-time", "3", "http://127.0.0.1:%d/metrics" % port],
                              capture_output=True, text=True).stdout
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if match and match.group(1) in names:
            try:
                values[match.group(1)] = values.get(match.group(1), 0) + float(match.group(3))
            except ValueError:
                pass
    return values


# ------------------------------------------------------------------------------------------------
# Case 1: the DoT server killed and restarted under load


def measure_max_rate(stack, seconds):
    names = os.path.join(stack.work, "max.names")
    with open(names, "w") as out:
        for index in range(400_000):
            out.write("m%d.pub.test A\n" % index)
    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(stack.p_agent), "-d", names, "-l", str(seconds),
            "-c", "4", "-q", "2000", "-t", "5", "-n", "1"]
    if stack.args.cores > 1:
        # dnsperf apart from the agent, as in bench/run (on 2 cores: beside the upstream chain).
        argv = ["taskset", "-c", str(stack.args.perf_core)] + argv
    output = subprocess.run(argv, capture_output=True, text=True).stdout
    os.unlink(names)
    match = re.search(r"Queries per second:\s+([0-9.]+)", output)
    if not match:
        raise SystemExit("fault: dnsperf printed no rate:\n" + output)
    return float(match.group(1))


def case_kill(stack, args, report):
    log("case kill: measuring the maximum forwarded rate (dnsperf, unique names, %d s)" % args.max_seconds)
    maximum = measure_max_rate(stack, args.max_seconds)
    rate = args.rate or max(50, int(maximum / 2))
    log("maximum %.0f QPS forwarded; load at %d QPS for %d s, server SIGKILLed every %d s and restarted at once"
        % (maximum, rate, args.duration, args.kill_interval))
    agent_pid = stack.agent.pid
    drops_before = udp_rcvbuf_errors()
    agent_drops_before = udp_socket_drops({stack.p_agent})   # dnsperf's maximum run may have left some
    prefix = "k%d" % random.randrange(1 << 30)
    # Names of one length (zero-padded): cache entries must not grow with the sequence number,
    # or memory would climb for a reason that is not a leak.
    load = UDPLoad(stack.p_agent, rate, lambda seq: "%s-%09d.pub.test" % (prefix, seq), args.hung_after)
    memory = [(0.0, rss_kib(agent_pid), open_fds(agent_pid))]
    cpu_before = cpu_times()
    agent_cpu_before, generator_cpu_before = process_cpu_seconds(agent_pid), process_cpu_seconds(os.getpid())
    load.start()
    t0 = load.started
    kills = []
    next_kill = t0 + args.kill_interval
    next_sample = t0 + 5
    end = t0 + args.duration
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_sample:
            memory.append((round(now - t0, 1), rss_kib(agent_pid), open_fds(agent_pid)))
            next_sample += 5
        if now >= next_kill and now + 5 < end:
            killed_at = time.monotonic()
            stack.procs.kill("ztserver", signal.SIGKILL)
            stack.start_server()
            kills.append({"killed": killed_at, "listening": time.monotonic()})
            next_kill += args.kill_interval
        time.sleep(0.05)
    busy = cpu_busy(cpu_before, cpu_times())
    loaded_seconds = time.monotonic() - t0
    agent_cpu = (process_cpu_seconds(agent_pid) - agent_cpu_before) / loaded_seconds
    generator_cpu = (process_cpu_seconds(os.getpid()) - generator_cpu_before) / loaded_seconds
    events = load.stop()
    memory.append((round(time.monotonic() - t0, 1), rss_kib(agent_pid), open_fds(agent_pid)))
    drops = udp_rcvbuf_errors() - drops_before
    agent_drops = udp_socket_drops({stack.p_agent}) - agent_drops_before

    # Recovery: from each kill to the first NOERROR for a query sent after it.
    answered_ok = sorted(e for e in events if e[2] == "NOERROR")
    import bisect
    sends = [e[0] for e in answered_ok]
    windows = []
    for kill in kills:
        index = bisect.bisect_right(sends, kill["killed"])
        # The first success sent after the kill; answers come back in about send order.
        first = min((e[1] for e in answered_ok[index:index + 2000]), default=None)
        kill["recovered"] = first
        windows.append((kill["killed"] - args.upstream_timeout, first if first is not None else kill["killed"] + args.kill_interval))
    def in_window(sent):
        return any(start <= sent < stop for start, stop in windows)
    # Steady state: sent at least 5 s after a recovery and before the next kill window opens.
    quiet = []
    for index, kill in enumerate(kills + [None]):
        start = t0 if index == 0 else ((kills[index - 1]["recovered"] or kills[index - 1]["killed"]) + 5)
        stop = (kill["killed"] - args.upstream_timeout) if kill else float("inf")
        quiet.append((start, stop))
    steady = [e for e in events if any(a <= e[0] < b for a, b in quiet) and e[0] >= t0 + 5]
    inside = [e for e in events if in_window(e[0])]
    outside = [e for e in events if not in_window(e[0])]
    recovery = [k["recovered"] - k["listening"] for k in kills if k["recovered"] is not None]
    outage = [k["recovered"] - k["killed"] for k in kills if k["recovered"] is not None]
    outside_summary = summarize(outside)
    errors_outside = outside_summary["queries"] - outside_summary["rcodes"].get("NOERROR", 0)
    start_rss = memory[0][1]
    warm = [m for m in memory if m[0] >= min(60, args.duration / 4)]
    warm_rss = warm[0][1] if warm else start_rss
    result = {
        "max_qps": round(maximum), "rate_qps": rate, "duration_s": args.duration, "kill_interval_s": args.kill_interval,
        "kills": len(kills), "recovered": len(recovery),
        "restart_to_first_answer_ms": {"median": ms(percentile(sorted(recovery), 0.5)), "max": ms(max(recovery) if recovery else None)},
        "kill_to_first_answer_ms": {"median": ms(percentile(sorted(outage), 0.5)), "max": ms(max(outage) if outage else None)},
        "all": summarize(events),
        "inside_kill_windows": summarize(inside),
        "outside_kill_windows": outside_summary,
        "steady_state": summarize(steady),
        "error_rate_outside": round(errors_outside / max(1, outside_summary["queries"]), 6),
        "udp_rcvbuf_drops": drops,
        "udp_drops_at_agent_sockets": agent_drops, "udp_drops_at_generator_sockets": load.generator_drops,
        "cpu_busy_percent": busy,
        "agent_cpu_percent": round(100 * agent_cpu), "generator_cpu_percent": round(100 * generator_cpu),
        "agent_rss_kib": {"start": start_rss, "after_warmup": warm_rss, "end": memory[-1][1], "max": max(m[1] or 0 for m in memory)},
        "agent_fds": {"start": memory[0][2], "end": memory[-1][2]},
        "memory_samples": memory,
    }
    report["kill"] = result
    s = result
    log("kill: %d queries, %d hung; %d kills, %d recovered: restart->first answer median %s ms, max %s ms; kill->first answer median %s ms"
        % (s["all"]["queries"], s["all"]["hung"], s["kills"], s["recovered"], s["restart_to_first_answer_ms"]["median"],
           s["restart_to_first_answer_ms"]["max"], s["kill_to_first_answer_ms"]["median"]))
    log("kill: CPU busy %s; the agent used %d%% of a core, this load generator %d%%; UDP drops: %d in all, %d at the agent's sockets, %d at the generator's"
        % (busy, s["agent_cpu_percent"], s["generator_cpu_percent"], drops, agent_drops, load.generator_drops))
    log("kill: steady state (5 s after recovery until the next kill) %d queries, %s, p50 %s ms, p99 %s ms"
        % (s["steady_state"]["queries"], s["steady_state"]["rcodes"], s["steady_state"]["p50_ms"], s["steady_state"]["p99_ms"]))
    log("kill: outside the kill windows %d queries, error rate %.4f%% %s; p99 %s ms; agent RSS %s -> %s KiB (after warm-up %s), fds %s -> %s"
        % (outside_summary["queries"], 100 * s["error_rate_outside"], outside_summary["rcodes"], outside_summary["p99_ms"],
           start_rss, memory[-1][1], warm_rss, memory[0][2], memory[-1][2]))


# ------------------------------------------------------------------------------------------------
# Case 2: 10,000 concurrent TCP clients and slowloris


def tcp_round(stack, args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.tcp_clients + 2 * args.slowloris + 1000
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(want, soft), hard), hard))
    agent_pid = stack.agent.pid
    names = ["private.fault.test"] + ["c%d.pub.test" % i for i in range(99)]
    for name in names:   # cached: the test is the stub's TCP side, not the upstream
        wait_udp_answer(stack.p_agent, name)
    rss_before, fds_before = rss_kib(agent_pid), open_fds(agent_pid)
    log("case tcp: %d slowloris (a byte a second) + %d silent connections, then %d TCP clients x %d queries; UDP probe at 20/s"
        % (args.slowloris, args.slowloris, args.tcp_clients, args.tcp_queries))
    selector = selectors.DefaultSelector()
    address = ("127.0.0.1", stack.p_agent)
    t0 = time.monotonic()

    # Slowloris and silent connections first.
    slow = {}
    for index in range(2 * args.slowloris):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(address)
        query = make_query(index & 0xFFFF, names[index % len(names)])
        trickle = (struct.pack("!H", len(query)) + query) if index % 2 == 0 else b""
        slow[sock] = {"opened": time.monotonic(), "closed": None, "bytes": trickle, "kind": "slowloris" if trickle else "silent"}
        selector.register(sock, selectors.EVENT_READ, ("slow", sock))
    probe = UDPLoad(stack.p_agent, 20, lambda seq: names[seq % len(names)], args.hung_after, lanes=2)
    probe.start()

    clients = {}
    connect_failed = 0
    for index in range(args.tcp_clients):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code not in (0, 115):  # EINPROGRESS
            connect_failed += 1
            sock.close()
            continue
        clients[sock] = {"state": "connecting", "asked": 0, "sent_at": None, "buffer": b"", "latencies": [], "result": None, "index": index}
        selector.register(sock, selectors.EVENT_WRITE, ("client", sock))
    log("tcp: %d client sockets opened in %.1f s (%d failed at once)" % (len(clients), time.monotonic() - t0, connect_failed))

    def ask(sock, client):
        query = make_query((client["index"] * 7 + client["asked"]) & 0xFFFF, names[(client["index"] + client["asked"]) % len(names)])
        client["sent_at"] = time.monotonic()
        client["asked"] += 1
        try:
            sock.send(struct.pack("!H", len(query)) + query)
        except OSError as error:
            finish(sock, client, "send failed: %s" % error.__class__.__name__)

    def finish(sock, client, result):
        client["result"] = result
        try:
            selector.unregister(sock)
        except (KeyError, ValueError):
            pass

    deadline = time.monotonic() + args.tcp_seconds
    open_clients = len(clients)
    peak_rss = rss_before
    next_trickle = time.monotonic() + 1
    while time.monotonic() < deadline:
        for key, mask in selector.select(0.05):
            kind, sock = key.data
            if kind == "slow":
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data and slow[sock]["closed"] is None:
                    slow[sock]["closed"] = time.monotonic()
                    selector.unregister(sock)
                continue
            client = clients[sock]
            if client["state"] == "connecting":
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    finish(sock, client, "connect error %d" % error)
                    continue
                client["state"] = "asking"
                selector.modify(sock, selectors.EVENT_READ, ("client", sock))
                ask(sock, client)
                continue
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as error:
                finish(sock, client, "reset")
                continue
            if not data:
                finish(sock, client, "closed by the stub after %d answers" % len(client["latencies"]))
                continue
            client["buffer"] += data
            while len(client["buffer"]) >= 2:
                length = struct.unpack("!H", client["buffer"][:2])[0]
                if len(client["buffer"]) < 2 + length:
                    break
                answer, client["buffer"] = client["buffer"][2:2 + length], client["buffer"][2 + length:]
                client["latencies"].append((time.monotonic() - client["sent_at"], rcode_of(answer)))
                if client["asked"] < args.tcp_queries:
                    ask(sock, client)
                else:
                    finish(sock, client, "done")
        now = time.monotonic()
        if now >= next_trickle:
            next_trickle = now + 1
            peak_rss = max(peak_rss, rss_kib(agent_pid) or 0)
            for sock, info in slow.items():
                if info["closed"] is None and info["bytes"]:
                    try:
                        sock.send(info["bytes"][:1])
                        info["bytes"] = info["bytes"][1:]
                    except OSError:
                        pass
        done = sum(1 for c in clients.values() if c["result"] is not None)
        slow_open = sum(1 for info in slow.values() if info["closed"] is None)
        if done == len(clients) and slow_open == 0:
            break
    elapsed = time.monotonic() - t0
    fds_peak = open_fds(agent_pid)
    probe_events = probe.stop()
    for sock in list(clients) + list(slow):
        sock.close()
    time.sleep(2)
    rss_after, fds_after = rss_kib(agent_pid), open_fds(agent_pid)

    outcomes = {}
    latencies = []
    rcodes = {}
    for client in clients.values():
        result = client["result"] or ("hung after %d answers" % len(client["latencies"]))
        outcomes[result] = outcomes.get(result, 0) + 1
        for latency, rcode in client["latencies"]:
            latencies.append(latency)
            rcodes[rcode] = rcodes.get(rcode, 0) + 1
    latencies.sort()
    hung_clients = sum(count for result, count in outcomes.items() if result.startswith("hung"))
    closes = sorted(info["closed"] - info["opened"] for info in slow.values() if info["closed"] is not None)
    result = {
        "tcp_clients": args.tcp_clients, "queries_per_client": args.tcp_queries, "slowloris": args.slowloris, "silent": args.slowloris,
        "outcomes": outcomes, "answers": len(latencies), "rcodes": rcodes, "hung_clients": hung_clients,
        "latency_ms": {"p50": ms(percentile(latencies, 0.5)), "p99": ms(percentile(latencies, 0.99)), "max": ms(latencies[-1] if latencies else None)},
        "slow_closed_by_stub": len(closes), "slow_still_open": 2 * args.slowloris - len(closes),
        "slow_closed_after_s": {"min": round(closes[0], 1) if closes else None, "max": round(closes[-1], 1) if closes else None},
        "udp_probe": summarize(probe_events),
        "elapsed_s": round(elapsed, 1),
        "agent_rss_kib": {"before": rss_before, "peak": peak_rss, "after": rss_after},
        "agent_fds": {"before": fds_before, "at_end_of_load": fds_peak, "after": fds_after},
    }
    log("tcp: clients %s; %d answers %s, p50 %s ms, p99 %s ms, max %s ms; %d hung"
        % (outcomes, len(latencies), rcodes, result["latency_ms"]["p50"], result["latency_ms"]["p99"], result["latency_ms"]["max"], hung_clients))
    log("tcp: slowloris/silent closed by the stub %d of %d, after %s-%s s; UDP probe %s; agent RSS %s -> peak %s -> %s KiB, fds %s -> %s"
        % (len(closes), 2 * args.slowloris, result["slow_closed_after_s"]["min"], result["slow_closed_after_s"]["max"],
           result["udp_probe"], rss_before, peak_rss, rss_after, fds_before, fds_after))
    return result


def case_tcp(stack, args, report):
    """Runs the TCP round --tcp-rounds times: the agent's memory must come back to the same peak
    (freed and reused, not leaked), and is read again 10 s after the last round."""
    rounds = []
    for index in range(args.tcp_rounds):
        log("tcp round %d of %d" % (index + 1, args.tcp_rounds))
        rounds.append(tcp_round(stack, args))
    time.sleep(10)
    settled = rss_kib(stack.agent.pid)
    result = dict(rounds[-1])
    result["rounds"] = rounds
    result["hung_clients"] = sum(r["hung_clients"] for r in rounds)
    result["slow_still_open"] = sum(r["slow_still_open"] for r in rounds)
    result["udp_probe"] = {"hung": sum(r["udp_probe"]["hung"] for r in rounds)}
    result["agent_rss_kib_by_round"] = [r["agent_rss_kib"] for r in rounds]
    result["agent_rss_kib_10s_after"] = settled
    report["tcp"] = result
    log("tcp: agent RSS by round %s; 10 s after the last %s KiB" % (result["agent_rss_kib_by_round"], settled))


# ------------------------------------------------------------------------------------------------
# Case 3: an upstream that misbehaves


class FakeDoTServer:
    """A TLS server speaking RFC 7858 framing badly, one behaviour at a time."""

    def __init__(self, port, certificate, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_3
        self.context.load_cert_chain(certificate, key)
        self.context.verify_mode = ssl.CERT_NONE
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(128)
        self.mode = "silent"
        self.connections = 0
        self.frames = 0
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,), daemon=True).start()

    def serve(self, raw):
        self.connections += 1
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        buffer = b""
        try:
            while True:
                data = conn.recv(65535)
                if not data:
                    return
                buffer += data
                while len(buffer) >= 2 and len(buffer) >= 2 + struct.unpack("!H", buffer[:2])[0]:
                    length = struct.unpack("!H", buffer[:2])[0]
                    query, buffer = buffer[2:2 + length], buffer[2 + length:]
                    self.frames += 1
                    self.answer(conn, query)
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def answer(self, conn, query):
        mode = self.mode
        if mode == "silent":
            return
        question_end = 12
        while question_end < len(query) and query[question_end] != 0:
            question_end += query[question_end] + 1
        question = query[12:question_end + 5]
        # A correct answer: the question, one A record pointing at it.
        good = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + question + struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + bytes([192, 0, 2, 1])
        if mode == "garbage":
            body = os.urandom(random.randrange(1, 300))
            conn.sendall(struct.pack("!H", len(body)) + body)
        elif mode == "short-frame":
            # The length says the whole answer, half of it comes, then nothing.
            conn.sendall(struct.pack("!H", len(good)) + good[: len(good) // 2])
        elif mode == "cut-message":
            # A complete frame whose DNS message stops in the middle of its answer record.
            cut = good[: len(good) - 7]
            conn.sendall(struct.pack("!H", len(cut)) + cut)
        elif mode == "wrong-id":
            wrong = struct.pack("!H", (struct.unpack("!H", good[:2])[0] ^ 0x5A5A)) + good[2:]
            conn.sendall(struct.pack("!H", len(wrong)) + wrong)


def case_upstream(stack, args, report):
    work = stack.work
    ca_key, ca_pem = os.path.join(work, "fake-ca.key"), os.path.join(work, "fake-ca.pem")
    key, csr, pem = os.path.join(work, "fake.key"), os.path.join(work, "fake.csr"), os.path.join(work, "fake.pem")
    client_key, client_pem = os.path.join(work, "client.key"), os.path.join(work, "client.pem")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=fault CA", "-keyout", ca_key, "-out", ca_pem], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=fake.fault",
                    "-keyout", key, "-out", csr], **quiet)
    extensions = os.path.join(work, "fake.ext")
    with open(extensions, "w") as out:
        out.write("subjectAltName=DNS:fake.fault\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
                    "-extfile", extensions, "-out", pem], **quiet)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=fault-client", "-keyout", client_key, "-out", client_pem], **quiet)
    fake = FakeDoTServer(stack.p_fake, pem, key)
    config = {"listen": ["127.0.0.1:%d" % stack.p_agent2], "identity": {"certificate": client_pem, "key": client_key},
              "ca": ca_pem, "servers": [{"address": "127.0.0.1:%d" % stack.p_fake, "name": "fake.fault"}],
              "metricsListen": "127.0.0.1:%d" % stack.p_metrics2}
    config_path = os.path.join(work, "agent-fake.json")
    with open(config_path, "w") as out:
        json.dump(config, out, indent=2)
    log("case upstream: a second ztagent whose only DoT server is a fake (Python ssl, TLS 1.3) on 127.0.0.1:%d" % stack.p_fake)
    agent = stack.procs.start("ztagent-fake", args.sut_core, [stack.binary("ztagent"), "run", "--config", config_path])
    stack.procs.wait_line("ztagent-fake", "ztagent listening")
    results = {}
    for mode in ["garbage", "short-frame", "cut-message", "wrong-id", "silent"]:
        fake.mode = mode
        frames_before, connections_before = fake.frames, fake.connections
        rss_start, fds_start = rss_kib(agent.pid), open_fds(agent.pid)
        prefix = "%s-%d" % (mode, random.randrange(1 << 30))
        load = UDPLoad(stack.p_agent2, args.upstream_rate, lambda seq: "%s-%d.pub.test" % (prefix, seq), args.hung_after, lanes=4)
        load.start()
        time.sleep(args.upstream_seconds)
        events = load.stop()
        summary = summarize(events)
        summary.update({
            "frames_at_fake": fake.frames - frames_before, "connections_at_fake": fake.connections - connections_before,
            "agent_alive": agent.poll() is None,
            "agent_rss_kib": {"start": rss_start, "end": rss_kib(agent.pid)},
            "agent_fds": {"start": fds_start, "end": open_fds(agent.pid)},
        })
        results[mode] = summary
        log("upstream %-11s: %d queries %s, %d hung, p50 %s ms, max %s ms; fake saw %d queries on %d new connections; RSS %s -> %s KiB, fds %s -> %s"
            % (mode, summary["queries"], summary["rcodes"], summary["hung"], summary["p50_ms"], summary["max_ms"],
               summary["frames_at_fake"], summary["connections_at_fake"], rss_start, summary["agent_rss_kib"]["end"], fds_start, summary["agent_fds"]["end"]))
    results["metrics"] = metric_values(stack.p_metrics2, {"ztagent_upstream_failures_total", "ztagent_received_queries_total", "ztagent_servfail_answers_total", "ztagent_malformed_queries_total"})
    stack.procs.kill("ztagent-fake")
    report["upstream"] = results


# ------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory holding ztagent and ztserver")
    parser.add_argument("--work", required=True, help="work directory (logs, report.json)")
    parser.add_argument("--cases", default="kill,tcp,upstream")
    parser.add_argument("--duration", type=int, default=600, help="seconds of load in the kill case")
    parser.add_argument("--kill-interval", type=int, default=30)
    parser.add_argument("--rate", type=int, default=0, help="QPS in the kill case (default: half the measured maximum)")
    parser.add_argument("--max-seconds", type=int, default=10, help="seconds of dnsperf to measure the maximum")
    parser.add_argument("--hung-after", type=float, default=10.0, help="a query unanswered this long is hung")
    parser.add_argument("--upstream-timeout", type=float, default=3.0, help="the agent's upstream timeout (kill windows start this early)")
    parser.add_argument("--tcp-clients", type=int, default=10_000)
    parser.add_argument("--tcp-queries", type=int, default=3)
    parser.add_argument("--slowloris", type=int, default=500, help="slowloris connections, and as many silent ones")
    parser.add_argument("--tcp-seconds", type=int, default=60, help="longest one tcp round runs")
    parser.add_argument("--tcp-rounds", type=int, default=2, help="tcp rounds (memory must not climb from one to the next)")
    parser.add_argument("--upstream-rate", type=int, default=200)
    parser.add_argument("--upstream-seconds", type=int, default=20)
    parser.add_argument("--port-base", type=int, default=25500)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    # The agent on core 0, the upstream chain (ztserver, dnsmasq) on its own core. With 3 cores
    # or more the load generators (dnsperf, this script) get the third; with 2 they share core 0
    # with the agent: on core 1 beside ztserver they would saturate it at half the maximum rate
    # (measured: 96% busy, replies dropped at the generator's sockets), and what is tested here
    # is the agent's behaviour under faults, not its throughput (bench/run measures that).
    args.sut_core = 0 if args.cores > 1 else None
    args.up_core = 1 if args.cores > 1 else None
    args.gen_core = (2 if args.cores > 2 else 0) if args.cores > 1 else None
    args.perf_core = (2 if args.cores > 2 else 1) if args.cores > 1 else None
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    for case in cases:
        if case not in ("kill", "tcp", "upstream"):
            raise SystemExit("fault: unknown case %r (kill, tcp, upstream)" % case)
    if args.cores > 1:   # this script (the load generator) runs beside dnsperf, off the agent's core
        os.sched_setaffinity(0, {args.gen_core})
    procs = Processes(args.work, args.cores)
    report = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cases": cases,
              "arguments": {k: v for k, v in vars(args).items() if k not in ("bin", "work")}}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        stack = Stack(args, procs)
        stack.start()
        report["agent_rss_kib_at_start"] = rss_kib(stack.agent.pid)
        if "kill" in cases:
            case_kill(stack, args, report)
        if "tcp" in cases:
            case_tcp(stack, args, report)
        if "upstream" in cases:
            case_upstream(stack, args, report)
        report["agent_alive_at_end"] = stack.agent.poll() is None
        report["agent_metrics"] = metric_values(stack.p_metrics, {
            "ztagent_received_queries_total", "ztagent_answered_queries_total", "ztagent_servfail_answers_total", "ztagent_upstream_failures_total",
            "ztagent_cache_hits_total", "ztagent_cache_misses_total", "ztagent_tcp_connections_refused_total"})
    finally:
        procs.stop_all()
        with open(os.path.join(args.work, "report.json"), "w") as out:
            json.dump(report, out, indent=2, default=str)
    verdict(report)


def verdict(report):
    """Prints the acceptance lines and exits non-zero when one fails."""
    failures = []
    lines = []
    if "kill" in report:
        k = report["kill"]
        rss = k["agent_rss_kib"]
        growth = (rss["end"] or 0) - (rss["after_warmup"] or 0)
        lines.append("kill: hung %d, error rate outside kill windows %.4f%%, recovery after restart median %s ms (max %s), RSS after warm-up %s KiB -> end %s KiB (%+d)"
                     % (k["all"]["hung"], 100 * k["error_rate_outside"], k["restart_to_first_answer_ms"]["median"],
                        k["restart_to_first_answer_ms"]["max"], rss["after_warmup"], rss["end"], growth))
        if k["all"]["hung"]:
            failures.append("kill: %d hung queries" % k["all"]["hung"])
        if k["recovered"] != k["kills"]:
            failures.append("kill: %d of %d kills never recovered" % (k["kills"] - k["recovered"], k["kills"]))
        if growth > max(4096, 0.1 * (rss["after_warmup"] or 0)):
            failures.append("kill: RSS grew %d KiB after warm-up" % growth)
    if "tcp" in report:
        t = report["tcp"]
        peaks = [r["peak"] for r in t["agent_rss_kib_by_round"]]
        lines.append("tcp: %d rounds of %d clients, %d hung; slowloris/silent still open %d; UDP probe hung %d; agent RSS peak by round %s KiB"
                     % (len(t["rounds"]), t["tcp_clients"], t["hung_clients"], t["slow_still_open"], t["udp_probe"]["hung"], peaks))
        if len(peaks) > 1 and peaks[-1] - peaks[0] > max(4096, 0.1 * peaks[0]):
            failures.append("tcp: RSS peak grew from round to round %s" % peaks)
        if t["hung_clients"] or t["udp_probe"]["hung"]:
            failures.append("tcp: hung clients or probes")
        if t["slow_still_open"]:
            failures.append("tcp: %d slowloris/silent connections never closed" % t["slow_still_open"])
    if "upstream" in report:
        for mode, summary in report["upstream"].items():
            if mode == "metrics":
                continue
            lines.append("upstream %s: hung %d, agent alive %s" % (mode, summary["hung"], summary["agent_alive"]))
            if summary["hung"] or not summary["agent_alive"]:
                failures.append("upstream %s: hung %d, agent alive %s" % (mode, summary["hung"], summary["agent_alive"]))
    print()
    print("fault report (%s)" % report["date"])
    for line in lines:
        print("  " + line)
    if failures:
        print("FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("PASSED: no hung query, memory flat, every fault survived")


if __name__ == "__main__":
    main()
