#!/usr/bin/env python3
"""bench/run's results: one JSON object a line in the run's work directory, and the table.

    report.py record --kind load|latency|memory|router [options] [OUTPUT]   one JSON line
    report.py brief < lines                                  one progress line per record
    report.py median RESULTS SCENARIO SUT TRANSPORT          median QPS of those runs
    report.py table RESULTS                                  the markdown table (medians, ratios, goals)
    report.py serverhello PCAP PORT... [--without-group]     TLS version, suite, group of the ServerHellos sent from PORT(s)

Kinds of lines: "meta" (key, value: how the run was made), "load" (one dnsperf run at full
speed: QPS, loss, rcodes, CPU of the system under test, its cache counters before and after),
"latency" (one dnsperf run at a fixed rate with -v: percentiles over every answer, lost queries
counted as infinitely late), "memory" (VmRSS of a fresh process idle and after the cache fill),
"router" (scenario 5: one iperf3 run, OUTPUT its -J output, or one bench/tlsload.py run, with the CPU
of the system under test and of both cores).
"""
import argparse
import json
import math
import os
import re
import statistics
import struct
import sys

# The goals the table checks (docs/performance.md).
GOAL_HIT_VS_UNBOUND = 1.5
GOAL_FWD_VS_UNBOUND = 2.0
GOAL_FWD_VS_STUBBY = 4.0
GOAL_RSS_IDLE_MB = 25
GOAL_RSS_FILLED_MB = 60
GOAL_ROUTER_VS_HAPROXY = 1.0  # throughput and new connections per second: at least haproxy's

NAMES = {"ztagent": "ztagent", "unbound": "Unbound", "stubby": "Stubby", "ztserver": "ztserver plain UDP (reference)",
         "ztrouter": "ztagent + ztserver", "haproxy": "haproxy x2", "direct": "direct (reference)"}
# A maximum-rate run where the system under test used less of its core than this was limited by
# something else (the upstream chain, the load generator, or other processes on the machine).
CPU_BOUND_PCT = 85


def parse_dnsperf(path):
    """The summary of one dnsperf run, plus latencies of every answer when it ran with -v."""
    out = {"latencies": [], "timeouts_seen": 0, "end": None, "rcodes": {}}
    if not path or not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("> "):
                parts = line.split()
                if parts[1] == "T" or len(parts) < 5:
                    out["timeouts_seen"] += 1
                    continue
                try:
                    out["latencies"].append(float(parts[-1]))
                except ValueError:
                    pass
                continue
            s = line.strip()
            m = re.match(r"Queries sent:\s+(\d+)", s)
            if m:
                out["sent"] = int(m.group(1))
            m = re.match(r"Queries completed:\s+(\d+)", s)
            if m:
                out["completed"] = int(m.group(1))
            m = re.match(r"Queries lost:\s+(\d+)", s)
            if m:
                out["lost"] = int(m.group(1))
            m = re.match(r"Response codes:\s+(.*)", s)
            if m:
                for code, count in re.findall(r"([A-Z]+) (\d+) \(", m.group(1)):
                    out["rcodes"][code] = int(count)
            m = re.match(r"Run time \(s\):\s+([\d.]+)", s)
            if m:
                out["runtime"] = float(m.group(1))
            m = re.match(r"Queries per second:\s+([\d.]+)", s)
            if m:
                out["qps"] = float(m.group(1))
            m = re.match(r"Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)", s)
            if m:
                out["avg_ms"] = float(m.group(1)) * 1000
                out["max_ms"] = float(m.group(3)) * 1000
            m = re.match(r"\[Status\] Testing complete \((.*)\)", s)
            if m:
                out["end"] = m.group(1)
            if s.startswith("Error") or s.startswith("[Fatal]"):
                out["error"] = s
    return out


def percentile(sorted_values, q):
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def cpu_usage(before, after):
    """bench/run's snapshots: wall, SUT cpu/wait ns, upstream cpu ns, core0 busy/total, core1 busy/total
    [, all cores' user + system + steal (scenario 5: for the load of the rest of the machine)]; /proc/stat
    in USER_HZ."""
    try:
        b = [float(x) for x in before.split()]
        e = [float(x) for x in after.split()]
    except (AttributeError, ValueError):
        return {}
    if len(b) not in (8, 9) or len(e) != len(b) or e[0] <= b[0]:
        return {}
    wall_ns = (e[0] - b[0]) * 1e9
    out = {
        "cpu_pct": round(100.0 * (e[1] - b[1]) / wall_ns, 1),
        "wait_pct": round(100.0 * (e[2] - b[2]) / wall_ns, 1),
        "upstream_cpu_pct": round(100.0 * (e[3] - b[3]) / wall_ns, 1),
    }
    for name, i in (("sut_core_busy_pct", 4), ("gen_core_busy_pct", 6)):
        total = e[i + 1] - b[i + 1]
        if total > 0:
            out[name] = round(100.0 * (e[i] - b[i]) / total, 1)
    if len(b) == 9:
        out["machine_busy_pct"] = round(100.0 * (e[8] - b[8]) / os.sysconf("SC_CLK_TCK") / (e[0] - b[0]), 1)
    return out


def counters(text):
    parts = (text or "- -").split()
    try:
        return int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None


def parse_router(path):
    """One iperf3 -J run (Gbit/s received, both directions' CPU) or one tlsload.py run."""
    try:
        with open(path) as f:
            text = f.read()
        d = json.loads(text)
    except (OSError, ValueError):
        first = text.strip().splitlines()[0] if "text" in locals() and text.strip() else "no output"
        return {"error": "unreadable output: " + first[:200]}
    if "connections" in d:  # tlsload.py
        out = {k: d[k] for k in ("connections", "failed", "first_failure", "seconds", "rate", "procs") if k in d}
        if d.get("cpu_seconds") is not None and d.get("seconds"):
            out["load_cpu_pct"] = round(100.0 * d["cpu_seconds"] / d["seconds"], 1)
        return out
    out = {}
    if d.get("error"):
        out["error"] = d["error"]
    end = d.get("end", {})
    received, sent = end.get("sum_received") or {}, end.get("sum_sent") or {}
    if received.get("bits_per_second"):
        out["gbps"] = received["bits_per_second"] / 1e9
        out["bytes"] = received.get("bytes")
        out["seconds"] = received.get("seconds")
    if "retransmits" in sent:
        out["retransmits"] = sent["retransmits"]
    out["streams"] = len(end.get("streams", [])) or None
    cpu = end.get("cpu_utilization_percent") or {}
    if cpu:
        out["load_cpu_pct"] = round(cpu.get("host_total", 0), 1)  # the iperf3 client (the server is a backend)
    return out


def record(a):
    rec = {"kind": a.kind, "sut": a.sut}
    for key in ("scenario", "run", "transport", "test", "names", "rate", "args", "phase", "rss_kb", "hwm_kb", "entries"):
        value = getattr(a, key, None)
        if value not in (None, "", "-"):
            rec[key] = value
    if a.kind == "router":
        rec["raw"] = a.dnsperf_output
        rec.update(parse_router(a.dnsperf_output))
        rec.update(cpu_usage(a.cpu_before, a.cpu_after))
        # What else the machine ran meanwhile at normal priority, in % of a core: all cores' user +
        # system time less what the benchmark's own processes ran.
        if "machine_busy_pct" in rec and "cpu_pct" in rec:
            rec["other_pct"] = round(max(0.0, rec["machine_busy_pct"] - rec["cpu_pct"] - rec.get("upstream_cpu_pct", 0)
                                         - rec.get("load_cpu_pct", 0)), 1)
        print(json.dumps(rec))
        return
    p = parse_dnsperf(a.dnsperf_output)
    if a.dnsperf_output:
        rec["raw"] = a.dnsperf_output
        for key in ("sent", "completed", "lost", "runtime", "qps", "avg_ms", "max_ms", "end", "error"):
            if key in p:
                rec[key] = p[key]
        rec["rcodes"] = p["rcodes"]
    if a.kind == "load":
        rec.update(cpu_usage(a.cpu_before, a.cpu_after))
        before, after = counters(a.counters_before), counters(a.counters_after)
        if before and after:
            rec["cache_hits"] = after[0] - before[0]
            rec["cache_misses"] = after[1] - before[1]
        # A forwarded run with more queries than names would have measured cache hits.
        if a.names and p.get("sent", 0) > a.names:
            rec["names_repeated"] = True
    if a.kind == "latency":
        lat = sorted(v * 1000 for v in p["latencies"])
        lost = max(p.get("lost", 0), p["timeouts_seen"])
        rec["answers"] = len(lat)
        samples = lat + [float("inf")] * lost
        for name, q in (("p50_ms", 0.50), ("p90_ms", 0.90), ("p99_ms", 0.99)):
            rec[name] = percentile(samples, q)
        rec["max_answered_ms"] = lat[-1] if lat else float("nan")
        for k in ("p50_ms", "p90_ms", "p99_ms", "max_answered_ms"):
            if math.isinf(rec[k]) or math.isnan(rec[k]):
                rec[k] = None  # JSON has no infinity: None means "beyond the timeout"
    print(json.dumps(rec))


def brief(_):
    for line in sys.stdin:
        r = json.loads(line)
        who = f"{r.get('scenario', r['kind'])} {r['sut']}"
        if r["kind"] == "load":
            extra = ""
            if "cache_hits" in r:
                extra = f", cache hits/misses {r['cache_hits']}/{r['cache_misses']}"
            print(f"  {who} {r.get('transport', '')} run {r.get('run')}: {r.get('qps', 0):,.0f} QPS, "
                  f"lost {r.get('lost', '?')}, {dict(r.get('rcodes', {}))}, SUT CPU {r.get('cpu_pct', '?')}%, "
                  f"upstream CPU {r.get('upstream_cpu_pct', '?')}%, cores busy {r.get('sut_core_busy_pct', '?')}%/"
                  f"{r.get('gen_core_busy_pct', '?')}%{extra}"
                  f"{', ' + r['error'] if 'error' in r else ''}")
        elif r["kind"] == "latency":
            f = lambda v: "timeout" if v is None else f"{v:.3f}"
            print(f"  {who} run {r.get('run')} at {r.get('rate')} QPS: p50 {f(r['p50_ms'])} p90 {f(r['p90_ms'])} "
                  f"p99 {f(r['p99_ms'])} ms, {r['answers']:,} answers, lost {r.get('lost', '?')}")
        elif r["kind"] == "memory":
            print(f"  memory {r['sut']} {r['phase']}: VmRSS {int(r['rss_kb']) / 1024:.1f} MB, cache entries {r.get('entries', '?')}"
                  + (f", fill: {r.get('completed', '?')} answered, lost {r.get('lost', '?')}" if r["phase"] == "filled" else ""))
        elif r["kind"] == "router":
            if r.get("scenario") == "tput":
                value = f"{r['gbps']:.2f} Gbit/s" if "gbps" in r else "no result"
            else:
                value = f"{r.get('rate', 0):,.0f} connections/s ({r.get('connections', 0):,} made, failed {r.get('failed', {})})"
            print(f"  router {r['scenario']} {r['test']} {r['sut']} run {r.get('run')}: {value}, SUT CPU {r.get('cpu_pct', '?')}%, "
                  f"cores busy {r.get('sut_core_busy_pct', '?')}%/{r.get('gen_core_busy_pct', '?')}%"
                  f"{', ' + r['error'] if 'error' in r else ''}")


def load_results(path):
    meta, rows = {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r["kind"] == "meta":
                meta[r["key"]] = r["value"]
            else:
                rows.append(r)
    return meta, rows


def qps_runs(rows, scenario, sut, transport):
    return [r["qps"] for r in rows if r["kind"] == "load" and r.get("scenario") == scenario
            and r["sut"] == sut and r.get("transport") == transport and "qps" in r]


def median_cmd(a):
    _, rows = load_results(a.results)
    values = qps_runs(rows, a.scenario, a.sut, a.transport)
    print(statistics.median(values) if values else 0)


def fmt_qps(values):
    if not values:
        return "-"
    m = statistics.median(values)
    if len(values) == 1:
        return f"{m:,.0f}"
    return f"{m:,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def ratio(a, b):
    if not a or not b:
        return None
    return a / b


def verdict(value, goal, higher_is_better=True):
    if value is None:
        return "n/a"
    ok = value >= goal if higher_is_better else value <= goal
    return "met" if ok else "**missed**"


def table(a):
    meta, rows = load_results(a.results)
    runs, seconds = meta.get("runs", "?"), meta.get("seconds", "?")
    build = meta.get("build", "?")
    out = []
    p = out.append
    release = build == "release" and meta.get("server_build") == "release"
    p(f"## ztagent benchmark, {meta.get('date', '?')}")
    p("")
    if not release:
        p(f"**{build} build of ztagent ({meta.get('server_build', '?')} ztserver): development numbers, not the product's speed.**")
        p("")
    if meta.get("prebuilt"):
        origin = (f"prebuilt binaries from ZT_BIN={meta.get('bin', '')} (their source is whatever they were built from); "
                  f"harness at commit {meta.get('commit', '?')}")
    else:
        origin = f"built here with swift build -c release from commit {meta.get('commit', '?')}"
    # Runs before scenario 5 existed did only the DNS scenarios and did not say so.
    scenarios = meta.get("scenarios", "dns").split(",")
    p(f"- build: ztagent {build}, ztserver {meta.get('server_build', '?')}; {origin}")
    p(f"- machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores; loopback only")
    p(f"- scenarios run: {', '.join({'dns': 'DNS (1-4)', 'router': 'router (5)'}.get(x, x) for x in scenarios)}")
    if "dns" in scenarios:
        up = meta.get("up_core")
        p(f"- pinning (taskset): system under test (ztagent, Unbound, Stubby) on core {meta.get('sut_core')}, "
          f"dnsperf on core {meta.get('gen_core')}, upstream chain (dnsmasq, ztserver, stunnel) on core {up}"
          + (" (shared with dnsperf: only 2 cores)" if up == meta.get("gen_core") else ""))
        p(f"- dnsperf {meta.get('dnsperf', '?')}: maximum-rate runs `dnsperf -m udp|tcp -l {seconds} {meta.get('load_args', '')}`; "
          f"forwarded runs add `-n 1` over {int(meta.get('fwd_names', 0)):,} unique names (no name repeats); "
          f"latency runs `-m udp -l {seconds} -c 4 -Q RATE -v`")
    p(f"- {runs} run(s) of {seconds} s per measurement, the systems under test interleaved within each run; "
      f"numbers are medians over the runs (range in brackets)")
    if "dns" in scenarios:
        p(f"- peers from Debian: Unbound {meta.get('version_unbound', '?')} (num-threads 1, module-config iterator), "
          f"Stubby {meta.get('version_stubby', '?')}, stunnel4 {meta.get('version_stunnel4', '?')}, "
          f"dnsmasq {meta.get('version_dnsmasq-base', '?')}; ztagent `threads: 1`, cacheSize 200000, other settings default")
        p("- names: every answer comes from dnsmasq (`--address=/pub.test/`, TTL 3600, no cache) behind ztserver; "
          "ztagent reaches ztserver's DoT port with mutual TLS (its enrolled P-256 identity)")
        p("- **the peers cannot present a client certificate**: Unbound and Stubby reach the same ztserver through "
          "stunnel (TLS, P-256 certificate, `requireCert = no`) in front of ztserver's plain TCP listener. "
          "Their path has one more hop (stunnel) and no client-certificate check.")
    p("")

    goals = []
    if "dns" in scenarios:
        dns_tables(meta, rows, p, goals)
    if "router" in scenarios:
        router_tables(meta, rows, p, goals)

    p("### Goals")
    p("")
    p("| goal | measured | target | |")
    p("| --- | --- | --- | --- |")
    for name, value, target, v in goals:
        p(f"| {name} | {value or '-'} | {target} | {v} |")
    if not release:
        p("")
        p(f"(Goals are for release builds; this was a {build} build.)")
    print("\n".join(out))


def dns_tables(meta, rows, p, goals):
    """Scenarios 1-4."""
    # 1. cache hits
    p("### 1. Stub cache hits (queries per second, 1000 names, all cached)")
    p("")
    p("| transport | ztagent QPS | Unbound QPS | ztagent / Unbound | goal | ztagent CPU | Unbound CPU | dnsperf core busy |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for transport in ("udp", "tcp"):
        z, u = qps_runs(rows, "hit", "ztagent", transport), qps_runs(rows, "hit", "unbound", transport)
        r = ratio(statistics.median(z) if z else None, statistics.median(u) if u else None)
        v = verdict(r, GOAL_HIT_VS_UNBOUND)
        goals.append((f"cache hits {transport.upper()}: ztagent / Unbound QPS", r and f"{r:.2f}x", f">= {GOAL_HIT_VS_UNBOUND}x",
                      v + caveat(rows, "hit", transport, ("ztagent", "unbound"))))
        p(f"| {transport.upper()} | {fmt_qps(z)} | {fmt_qps(u)} | {'-' if r is None else f'{r:.2f}x'} | "
          f">= {GOAL_HIT_VS_UNBOUND}x: {v} | {med_of(rows, 'hit', 'ztagent', transport, 'cpu_pct')} | "
          f"{med_of(rows, 'hit', 'unbound', transport, 'cpu_pct')} | "
          f"{med_of(rows, 'hit', 'ztagent', transport, 'gen_core_busy_pct')} / {med_of(rows, 'hit', 'unbound', transport, 'gen_core_busy_pct')} |")
    p("")
    p("CPU: share of one core the system under test ran during the runs (median; + time it waited for the core "
      "when that was over 5%%); dnsperf core busy: how busy core %s was (ztagent runs / Unbound runs)." % meta.get("gen_core", "1"))
    p("")
    for note in [check_hits(rows)] + limits(rows, "hit"):
        p(f"- {note}")
    p("")

    # 2. forwarded
    p("### 2. Every query forwarded over DoT, unique names (queries per second)")
    p("")
    p("| system under test | path to ztserver | QPS | ztagent / this | goal | SUT CPU | upstream chain CPU | lost |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- |")
    z = qps_runs(rows, "fwd", "ztagent", "udp")
    zm = statistics.median(z) if z else None
    for sut, path, goal in (
        ("ztagent", "DoT, mutual TLS (client certificate)", None),
        ("unbound", "forward-tls-upstream, forward-no-cache, via stunnel (no client certificate)", GOAL_FWD_VS_UNBOUND),
        ("stubby", "DoT via stunnel (no client certificate)", GOAL_FWD_VS_STUBBY),
        ("ztserver", "dnsperf straight at ztserver's plain UDP listener: what the shared upstream forwards at most", None),
    ):
        v = qps_runs(rows, "fwd", sut, "udp")
        r = ratio(zm, statistics.median(v) if v else None) if sut not in ("ztagent", "ztserver") else None
        if goal:
            g = verdict(r, goal)
            goals.append((f"forwarded: ztagent / {NAMES[sut]} QPS", r and f"{r:.2f}x", f">= {goal}x",
                          g + caveat(rows, "fwd", "udp", ("ztagent", sut))))
            gtext = f">= {goal}x: {g}"
        else:
            gtext = ""
        lost = [x.get("lost", 0) for x in rows if x["kind"] == "load" and x.get("scenario") == "fwd" and x["sut"] == sut]
        sut_cpu = med_of(rows, "fwd", sut, "udp", "cpu_pct") if sut != "ztserver" else ""
        p(f"| {NAMES[sut]} | {path} | {fmt_qps(v)} | {'' if r is None else f'{r:.2f}x'} | {gtext} | "
          f"{sut_cpu} | {med_of(rows, 'fwd', sut, 'udp', 'upstream_cpu_pct')} | {sum(lost):,} |")
    p("")
    p("Upstream chain CPU: dnsmasq + ztserver + stunnel together, in cores (100%% = one core), on core %s."
      % meta.get("up_core", "1"))
    p("")
    notes = [check_fwd(rows)]
    bound = {sut: cpu_bound(rows, "fwd", sut, "udp") for sut in ("ztagent", "unbound", "stubby")}
    gen = [r["gen_core_busy_pct"] for r in rows if r["kind"] == "load" and r.get("scenario") == "fwd" and "gen_core_busy_pct" in r]
    if all(b is False for b in bound.values()) and gen and statistics.median(gen) >= 90:
        notes.append(f"**None of the three was CPU-bound; core {meta.get('gen_core', '1')} (dnsperf and the upstream chain) "
                     f"was {statistics.median(gen):.0f}% busy: the shared upstream set the pace, so these ratios compare "
                     f"paths through it, not the forwarders' own speed.** A release ztserver, or a third core for the "
                     f"upstream chain (used automatically when present), raises that ceiling.")
    for note in notes + limits(rows, "fwd"):
        p(f"- {note}")
    p("")

    # 3. latency
    p("### 3. Latency at a fixed rate (milliseconds, UDP)")
    p("")
    p(f"The rate is half the lower of ztagent's and Unbound's median maximum QPS above (scenario 1 UDP for hits, "
      f"scenario 2 for misses), the same offered load for both. Percentiles are over every query of a run "
      f"(a lost query counts as later than any answer), then the median over the runs.")
    p("")
    p("| path | rate (QPS) | system under test | p50 | p90 | p99 | max answered | lost | p99 goal |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for scenario, label, rate_key in (("lat-hit", "cache hit", "hit_rate"), ("lat-miss", "cache miss, forwarded over DoT", "miss_rate")):
        med = {}
        for sut in ("ztagent", "unbound"):
            rs = [x for x in rows if x["kind"] == "latency" and x.get("scenario") == scenario and x["sut"] == sut]
            med[sut] = {k: median_none([x.get(k) for x in rs]) for k in ("p50_ms", "p90_ms", "p99_ms", "max_answered_ms")}
            med[sut]["lost"] = sum(x.get("lost", 0) for x in rs)
            med[sut]["n"] = len(rs)
        zp, up_ = med["ztagent"]["p99_ms"], med["unbound"]["p99_ms"]
        if zp is None or up_ is None:
            g = "n/a" if (zp is None and up_ is None) or not med["ztagent"]["n"] else ("met" if up_ is None else "**missed**")
        else:
            g = "met" if zp <= up_ else "**missed**"
        goals.append((f"p99 latency, {label}: ztagent vs Unbound",
                       f"{ms(zp)} vs {ms(up_)} ms", "no worse than Unbound", g))
        for sut in ("ztagent", "unbound"):
            m = med[sut]
            p(f"| {label} | {int(meta.get(rate_key, 0)):,} | {NAMES[sut]} | {ms(m['p50_ms'])} | {ms(m['p90_ms'])} | "
              f"{ms(m['p99_ms'])} | {ms(m['max_answered_ms'])} | {m['lost']:,} | {'<= Unbound: ' + g if sut == 'ztagent' else ''} |")
    p("")

    # 4. memory
    names = int(meta.get("cached_names", 0))
    p(f"### 4. Memory (VmRSS from /proc, MB; fresh processes)")
    p("")
    p(f"| system under test | idle (2 s after start) | with {names:,} names cached | cache entries after the fill | goal |")
    p("| --- | --- | --- | --- | --- |")
    for sut in ("ztagent", "unbound"):
        idle = next((x for x in rows if x["kind"] == "memory" and x["sut"] == sut and x["phase"] == "idle"), None)
        full = next((x for x in rows if x["kind"] == "memory" and x["sut"] == sut and x["phase"] == "filled"), None)
        i_mb = int(idle["rss_kb"]) / 1024 if idle and idle.get("rss_kb") else None
        f_mb = int(full["rss_kb"]) / 1024 if full and full.get("rss_kb") else None
        g = ""
        if sut == "ztagent":
            gi = verdict(i_mb, GOAL_RSS_IDLE_MB, higher_is_better=False)
            gf = verdict(f_mb, GOAL_RSS_FILLED_MB, higher_is_better=False)
            if names != 100_000:
                gf = "n/a (the goal is at 100,000 names)"
            goals.append(("ztagent RSS idle (MB)", mb(i_mb), f"<= {GOAL_RSS_IDLE_MB} MB", gi))
            goals.append((f"ztagent RSS with {names:,} names (MB)", mb(f_mb), f"<= {GOAL_RSS_FILLED_MB} MB at 100,000 names", gf))
            g = f"idle <= {GOAL_RSS_IDLE_MB} MB: {gi}; filled <= {GOAL_RSS_FILLED_MB} MB: {gf}"
        entries = full.get("entries", "?") if full else "?"
        extra = ""
        if full and full.get("lost"):
            extra = f" ({full['lost']:,} fill queries lost)"
        label = "Unbound (msg-cache 64m, rrset-cache 128m)" if sut == "unbound" else "ztagent (cacheSize 200000)"
        p(f"| {label} | {mb(i_mb)} | {mb(f_mb)} | {entries}{extra} | {g} |")
    p("")

ROUTER_TPUT_TESTS = (
    ("up", "1 stream, client to server (`iperf3 -c`)"),
    ("down", "1 stream, server to client (`-R`)"),
    ("p4", "4 streams, client to server (`-P 4`)"),
)
ROUTER_CONN_TESTS = (
    ("handshake", "mutual-TLS handshake, then closed by the terminator",
     "no SNI; the client certificate verified in the handshake; then ztserver refuses the connection (`no_sni`: "
     "no service named) and haproxy #2 rejects it (`tcp-request session reject`); no backend"),
    ("connect", "mutual-TLS handshake + route by SNI + backend + its greeting",
     "SNI `hello.bench.test`; the terminator checks the CN, picks the backend by SNI, connects to it and relays "
     "the greeting the backend sends before closing; the client checks it byte for byte"),
)


def router_runs(rows, scenario, sut, test, key):
    return [r[key] for r in rows if r["kind"] == "router" and r.get("scenario") == scenario and r["sut"] == sut
            and r.get("test") == test and key in r]


def med(values):
    return statistics.median(values) if values else None


def fmt_runs(values, digits):
    if not values:
        return "-"
    m = statistics.median(values)
    if len(values) == 1:
        return f"{m:,.{digits}f}"
    return f"{m:,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def router_tables(meta, rows, p, goals):
    """Scenario 5: the router against haproxy."""
    sut_core = meta.get("sut_core", "0")
    gen = meta.get("router_load_cores", meta.get("gen_core", "1"))
    p("### 5. Router: iperf3 through the mutual-TLS tunnel vs haproxy")
    p("")
    p(f"Both paths: an unmodified TCP client, a local TLS originator presenting the client certificate, a TLS "
      f"terminator verifying it, iperf3's server; TLS 1.3 only, P-256 certificates from ztserver's CA, the same files "
      f"on both paths (ztserver's `server.pem`/`server.key`, the enrolled agent's `identity.pem` as the client "
      f"certificate, CN `c-bench`). Negotiated, read from the ServerHellos: ztserver {meta.get('router_tls', '?')}; "
      f"haproxy #2 {meta.get('router_tls_haproxy', '?')} (the key exchange only costs at connection setup).")
    p("")
    p(f"- **ztagent + ztserver**: `iperf3 -c {meta.get('router_intercept', '127.77.x.y:PORT')}` (what the agent's "
      f"stub answers for `iperf.bench.test`) -> ztagent intercept (SNI `iperf.bench.test`, verifies the router's "
      f"name `ztserver.bench`) -> ztserver tunnel listener (certificate, CN allowed in `bench.test`, route by SNI) -> "
      f"iperf3 -s. ztagent `threads: 1`, ztserver at its defaults; both on core {sut_core}.")
    p(f"- **haproxy x2** {meta.get('version_haproxy', '?')}: `iperf3 -c` -> haproxy #1 (`mode tcp`, `server ... ssl crt "
      f"identity.pem ca-file ca.pem verify required sni str(ztserver.bench) no-ssl-reuse`) -> haproxy #2 (`bind ... "
      f"ssl crt server.pem ca-file ca.pem verify required prefer-client-ciphers`, CN checked, backend chosen by SNI) "
      f"-> iperf3 -s. Both on core {sut_core}, one thread each (nbthread follows the CPU affinity). haproxy 2.6 "
      f"checks the server certificate against the SNI it sends, so #1 sends the router's name, not the service's.")
    p(f"- iperf3 {meta.get('version_iperf3', '?')} client and server, the greeting backend and the connection load "
      f"generator on core {gen}. ztserver and haproxy #2 log one line per connection.")
    p("")
    p("#### 5a. Throughput (Gbit/s received, one iperf3 run per measurement)")
    p("")
    p("| test | ztagent + ztserver | haproxy x2 | ztagent + ztserver / haproxy | goal | SUT CPU | "
      "iperf3 client CPU | rest of the machine |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for test, label in ROUTER_TPUT_TESTS:
        z, h = router_runs(rows, "tput", "ztrouter", test, "gbps"), router_runs(rows, "tput", "haproxy", test, "gbps")
        r = ratio(med(z), med(h))
        g = verdict(r, GOAL_ROUTER_VS_HAPROXY)
        goals.append((f"router throughput, {label}: ztagent + ztserver / haproxy", r and f"{r:.2f}x",
                      f">= {GOAL_ROUTER_VS_HAPROXY}x", g + router_caveat(rows, "tput", test)))
        p(f"| {label} | {fmt_runs(z, 2)} | {fmt_runs(h, 2)} | {'-' if r is None else f'{r:.2f}x'} | "
          f">= {GOAL_ROUTER_VS_HAPROXY}x: {g} | {router_cpu(rows, 'tput', 'ztrouter', test)} / "
          f"{router_cpu(rows, 'tput', 'haproxy', test)} | {router_pct(rows, 'tput', 'ztrouter', test, 'load_cpu_pct')} / "
          f"{router_pct(rows, 'tput', 'haproxy', test, 'load_cpu_pct')} | "
          f"{router_pct(rows, 'tput', 'ztrouter', test, 'other_pct')} / {router_pct(rows, 'tput', 'haproxy', test, 'other_pct')} |")
    d = router_runs(rows, "tput", "direct", "up", "gbps")
    p(f"| reference: 1 stream straight to iperf3 -s (no TLS, no proxy) | {fmt_runs(d, 2)} |  |  |  |  | "
      f"{router_pct(rows, 'tput', 'direct', 'up', 'load_cpu_pct')} | {router_pct(rows, 'tput', 'direct', 'up', 'other_pct')} |")
    p("")
    p(ROUTER_CPU_TEXT)
    p("")
    for note in router_notes(rows, "tput"):
        p(f"- {note}")
    p("")

    p("#### 5b. New mutual-TLS connections per second at the terminator")
    p("")
    p(f"bench/tlsload.py, {meta.get('router_tlsload_procs', '?')} processes each opening one connection after another "
      f"(Python's ssl, OpenSSL {meta.get('version_openssl', '?')}): TCP connect, a full TLS 1.3 handshake with the "
      f"client certificate (no resumption), the server's certificate verified (CA and name `ztserver.bench`), then "
      f"read until the server closes. A connection counts only when the server closed it cleanly after exactly the "
      f"expected bytes: a certificate the server refuses (an alert after the client's side of the handshake has "
      f"ended) is a failure, never a connection. The load goes straight to the terminator: ztserver's tunnel "
      f"listener vs haproxy #2 (ztagent and haproxy #1 idle). Negotiated: ztserver "
      f"{meta.get('router_conn_tls', '?')}; haproxy #2 {meta.get('router_conn_tls_haproxy', '?')}.")
    p("")
    p("| connection | ztserver | haproxy #2 | ztserver / haproxy | goal | terminator CPU | load generator CPU | "
      "rest of the machine | failed |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for test, label, detail in ROUTER_CONN_TESTS:
        z, h = router_runs(rows, "conn", "ztrouter", test, "rate"), router_runs(rows, "conn", "haproxy", test, "rate")
        r = ratio(med(z), med(h))
        g = verdict(r, GOAL_ROUTER_VS_HAPROXY)
        goals.append((f"router new connections/s, {label}: ztserver / haproxy", r and f"{r:.2f}x",
                      f">= {GOAL_ROUTER_VS_HAPROXY}x", g + router_caveat(rows, "conn", test)))
        failed = {s: sum(sum(f.values()) for f in router_runs(rows, "conn", s, test, "failed")) for s in ("ztrouter", "haproxy")}
        p(f"| {label} | {fmt_runs(z, 0)} | {fmt_runs(h, 0)} | {'-' if r is None else f'{r:.2f}x'} | "
          f">= {GOAL_ROUTER_VS_HAPROXY}x: {g} | {router_cpu(rows, 'conn', 'ztrouter', test)} / "
          f"{router_cpu(rows, 'conn', 'haproxy', test)} | {router_pct(rows, 'conn', 'ztrouter', test, 'load_cpu_pct')} / "
          f"{router_pct(rows, 'conn', 'haproxy', test, 'load_cpu_pct')} | "
          f"{router_pct(rows, 'conn', 'ztrouter', test, 'other_pct')} / {router_pct(rows, 'conn', 'haproxy', test, 'other_pct')} | "
          f"{failed['ztrouter']:,} / {failed['haproxy']:,} |")
    p("")
    p(ROUTER_CPU_TEXT.replace("ztagent + ztserver / haproxy", "ztserver / haproxy #2")
      .replace("SUT CPU: what the two processes of each path ran", "Terminator CPU: what the terminator ran")
      .replace("the time they were runnable", "the time it was runnable")
      .replace("(they share one core, and anything else on the machine may take it)",
               "(anything else on the machine may take its core)")
      .replace("iperf3 client CPU: iperf3's own report", "Load generator CPU: tlsload.py's processes (getrusage)"))
    p("")
    for test, label, detail in ROUTER_CONN_TESTS:
        p(f"- *{label}*: {detail}.")
    for note in router_notes(rows, "conn"):
        p(f"- {note}")
    if meta.get("router_nocert"):
        p(f"- Check: before the runs, both kinds of connection were made with the client certificate and refused "
          f"without one, on both terminators ({meta['router_nocert']}).")
    p("")


ROUTER_CPU_TEXT = (
    "Each cell is ztagent + ztserver / haproxy, medians over the runs, in % of one core. SUT CPU: what the two "
    "processes of each path ran (schedstat), plus the time they were runnable but waiting for a core when over "
    "5% (they share one core, and anything else on the machine may take it). iperf3 client CPU: iperf3's own "
    "report. Rest of the machine: all cores' user and system time (/proc/stat; niced processes, which yield to "
    "ours, and interrupt work such as the kernel's loopback TCP processing left out) less what the benchmark's "
    "processes ran: other processes competing for the cores; over 10% means the machine was not quiet and the "
    "numbers are disturbed.")
# A system under test that ran plus waited for less than this share of a core was not the limit.
ROUTER_BOUND_PCT = 85


def router_pct(rows, scenario, sut, test, key):
    v = med(router_runs(rows, scenario, sut, test, key))
    return "-" if v is None else f"{v:.0f}%"


def router_cpu(rows, scenario, sut, test):
    cpu = med(router_runs(rows, scenario, sut, test, "cpu_pct"))
    if cpu is None:
        return "-"
    wait = med(router_runs(rows, scenario, sut, test, "wait_pct")) or 0
    return f"{cpu:.0f}%" + (f" (+{wait:.0f}% waiting)" if wait > 5 else "")


def router_bound(rows, scenario, sut, test):
    """Did the system under test ask for its whole core (ran + waited)? None if unknown."""
    rs = [r for r in rows if r["kind"] == "router" and r.get("scenario") == scenario and r["sut"] == sut
          and r.get("test") == test and "cpu_pct" in r]
    if not rs:
        return None
    return statistics.median(r["cpu_pct"] + r.get("wait_pct", 0) for r in rs) >= ROUTER_BOUND_PCT


def router_name(sut, scenario):
    return {"ztrouter": "ztserver", "haproxy": "haproxy #2"}.get(sut, sut) if scenario == "conn" else NAMES.get(sut, sut)


def router_caveat(rows, scenario, test):
    """The goal's caveats: a system under test that was not the limit, a machine that was not quiet."""
    parts = []
    idle = [router_name(s, scenario) for s in ("ztrouter", "haproxy") if router_bound(rows, scenario, s, test) is False]
    if idle:
        parts.append(f"{', '.join(idle)} not CPU-bound")
    other = med(router_runs(rows, scenario, "ztrouter", test, "other_pct") + router_runs(rows, scenario, "haproxy", test, "other_pct"))
    if other is not None and other > 10:
        parts.append(f"machine not quiet: {other:.0f}% of a core used by others")
    return f" ({'; '.join(parts)})" if parts else ""


def router_notes(rows, scenario):
    notes = []
    for r in rows:
        if r["kind"] != "router" or r.get("scenario") != scenario:
            continue
        who = f"{router_name(r['sut'], scenario)} {r.get('test')} run {r.get('run')}"
        if r.get("error"):
            notes.append(f"{who}: {r['error']}")
        elif scenario == "tput" and not r.get("gbps"):
            notes.append(f"{who}: no throughput measured")
        if scenario == "conn" and r.get("failed"):
            notes.append(f"{who}: {sum(r['failed'].values())} failed ({', '.join(sorted(r['failed']))}; first: {r.get('first_failure')})")
    out = ["Check failed: " + "; ".join(notes) + "." if notes else (
        "Check: every iperf3 run completed without error." if scenario == "tput" else
        "Check: no connection failed during the runs.")]
    tests = ROUTER_TPUT_TESTS if scenario == "tput" else [(t, l) for t, l, _ in ROUTER_CONN_TESTS]
    idle, loaded = [], []
    for test, label in tests:
        for sut in ("ztrouter", "haproxy"):
            rs = [r for r in rows if r["kind"] == "router" and r.get("scenario") == scenario and r["sut"] == sut
                  and r.get("test") == test and "cpu_pct" in r]
            if not rs:
                continue
            cpu = statistics.median(r["cpu_pct"] for r in rs)
            wait = statistics.median(r.get("wait_pct", 0) for r in rs)
            load = med([r["gen_core_busy_pct"] for r in rs if "gen_core_busy_pct" in r])
            if cpu + wait < ROUTER_BOUND_PCT:
                idle.append(f"{router_name(sut, scenario)}, {label} (ran {cpu:.0f}%, waited {wait:.0f}%"
                            + (f"; the load's core {load:.0f}% busy" if load is not None else "") + ")")
        other = med(router_runs(rows, scenario, "ztrouter", test, "other_pct") + router_runs(rows, scenario, "haproxy", test, "other_pct"))
        if other is not None and other > 10:
            loaded.append(f"{label} {other:.0f}%")
    if idle:
        out.append("Not CPU-bound, so a lower bound set by something else (the load on the other core, or the "
                   "machine): " + "; ".join(idle) + ".")
    if loaded:
        out.append("**The machine was not quiet**: other processes at normal priority used, in % of a core "
                   "(median of both paths' runs): " + ", ".join(loaded) + ". Ratios from such runs are rough.")
    return out


def serverhello(a):
    """The TLS version, cipher suite and key-exchange group of the ServerHellos sent from PORT(s) in a
    classic pcap file (tcpdump -w; Ethernet or Linux cooked link type, IPv4)."""
    names = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256"}
    groups = {0x1d: "x25519", 0x17: "secp256r1", 0x18: "secp384r1", 0x19: "secp521r1", 0x1e: "x448",
              0x11ec: "X25519MLKEM768", 0x6399: "X25519Kyber768Draft00"}
    seen = {}
    with open(a.pcap, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    offset = {1: 14, 113: 16, 276: 20}.get(link)
    if offset is None:
        sys.exit(f"serverhello: link type {link} not understood")
    i = 24
    while i + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[i + 8:i + 12])[0]
        pkt = data[i + 16:i + 16 + caplen]
        i += 16 + caplen
        ip = pkt[offset:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 15) * 4:]
        if len(tcp) < 20 or struct.unpack(">H", tcp[:2])[0] not in a.port:
            continue
        tls = tcp[(tcp[12] >> 4) * 4:]
        if len(tls) < 6 or tls[0] != 0x16 or tls[5] != 0x02:
            continue
        try:
            body = tls[9:]
            version = struct.unpack(">H", body[:2])[0]
            j = 2 + 32
            j += 1 + body[j]
            suite = struct.unpack(">H", body[j:j + 2])[0]
            j += 3
            ext_end = j + 2 + struct.unpack(">H", body[j:j + 2])[0]
            j += 2
            group = None
            while j + 4 <= ext_end:
                kind, length = struct.unpack(">HH", body[j:j + 4])
                value = body[j + 4:j + 4 + length]
                if kind == 43 and length == 2:
                    version = struct.unpack(">H", value)[0]
                if kind == 51 and length >= 2:
                    group = struct.unpack(">H", value[:2])[0]
                j += 4 + length
        except (struct.error, IndexError):
            continue
        text = f"{ {0x0304: 'TLSv1.3', 0x0303: 'TLSv1.2'}.get(version, hex(version)) } {names.get(suite, hex(suite))}"
        if not a.without_group:
            text += f" {groups.get(group, 'group ' + hex(group) if group is not None else 'no key share')}"
        seen[text] = seen.get(text, 0) + 1
    print("; ".join(seen))


def med_of(rows, scenario, sut, transport, key):
    rs = [r for r in rows if r["kind"] == "load" and r.get("scenario") == scenario
          and r["sut"] == sut and r.get("transport") == transport and key in r]
    if not rs:
        return "-"
    text = f"{statistics.median(r[key] for r in rs):.0f}%"
    if key == "cpu_pct":
        wait = statistics.median(r.get("wait_pct", 0) for r in rs)
        if wait > 5:
            text += f" (+{wait:.0f}% waiting)"
    return text


def cpu_bound(rows, scenario, sut, transport):
    """Did the system under test use (or ask for) its whole core in these runs? None if unknown."""
    rs = [r for r in rows if r["kind"] == "load" and r.get("scenario") == scenario and r["sut"] == sut
          and r.get("transport") == transport and "cpu_pct" in r]
    if not rs:
        return None
    return statistics.median(r["cpu_pct"] + r.get("wait_pct", 0) for r in rs) >= CPU_BOUND_PCT


def caveat(rows, scenario, transport, suts):
    unbound = [NAMES[s] for s in suts if cpu_bound(rows, scenario, s, transport) is False]
    return f" ({', '.join(unbound)} not CPU-bound)" if unbound else ""


def limits(rows, scenario):
    """Which maximum-rate runs were not limited by the system under test, and which were disturbed.

    CPU is the time the SUT ran; wait is the time its threads were runnable but not running
    (schedstat). Together they are what it asked for: well below one core means it was idle part
    of the time, so something else (upstream, load generator) set the pace."""
    idle, waited = [], []
    groups = {}
    for r in rows:
        if r["kind"] == "load" and r.get("scenario") == scenario and r["sut"] != "ztserver" and "cpu_pct" in r:
            groups.setdefault((r["sut"], r.get("transport")), []).append(r)
    for (sut, transport), rs in groups.items():
        cpu = statistics.median(r["cpu_pct"] for r in rs)
        wait = statistics.median(r.get("wait_pct", 0) for r in rs)
        gen = [r["gen_core_busy_pct"] for r in rs if "gen_core_busy_pct" in r]
        if cpu + wait < CPU_BOUND_PCT:
            idle.append(f"{NAMES[sut]} {transport.upper()} (ran {cpu:.0f}%, waited {wait:.0f}%"
                        + (f"; dnsperf's core {statistics.median(gen):.0f}% busy" if gen else "") + ")")
        if wait > 10:
            waited.append(f"{NAMES[sut]} {transport.upper()} {wait:.0f}%")
    notes = []
    if idle:
        notes.append("Not CPU-bound, so a lower bound set by something else (the load generator or the upstream): "
                     + "; ".join(idle) + ".")
    if waited:
        notes.append("Runnable but waiting for core 0 (other processes on the machine, or the SUT's own other "
                     "threads; the machine was not quiet): " + ", ".join(waited) + " of the time.")
    return notes


def check_hits(rows):
    """Were the cache-hit runs all hits, and all answered?"""
    notes = []
    for r in rows:
        if r["kind"] != "load" or r.get("scenario") != "hit":
            continue
        if r.get("cache_misses"):
            notes.append(f"{NAMES[r['sut']]} {r['transport']} run {r['run']}: {r['cache_misses']} cache misses")
        if r.get("lost"):
            notes.append(f"{NAMES[r['sut']]} {r['transport']} run {r['run']}: {r['lost']} queries lost")
        bad = {k: v for k, v in r.get("rcodes", {}).items() if k != "NOERROR"}
        if bad:
            notes.append(f"{NAMES[r['sut']]} {r['transport']} run {r['run']}: {bad}")
    if notes:
        return "Check failed: " + "; ".join(notes) + "."
    return ("Check: every answer NOERROR, nothing lost, no cache misses during the runs "
            "(ztagent's and Unbound's own counters).")


def check_fwd(rows):
    notes = []
    for r in rows:
        if r["kind"] != "load" or r.get("scenario") != "fwd":
            continue
        if r.get("names_repeated"):
            notes.append(f"{NAMES[r['sut']]} run {r['run']}: names repeated (raise ZT_BENCH_FWD_CAP)")
        if r.get("end") == "end of file":
            notes.append(f"{NAMES[r['sut']]} run {r['run']}: ran out of unique names after {r.get('runtime', 0):.1f} s (raise ZT_BENCH_FWD_CAP)")
        if r.get("cache_hits"):
            notes.append(f"{NAMES[r['sut']]} run {r['run']}: {r['cache_hits']} cache hits")
        if r.get("lost"):
            notes.append(f"{NAMES[r['sut']]} run {r['run']}: {r['lost']} queries lost")
        bad = {k: v for k, v in r.get("rcodes", {}).items() if k != "NOERROR"}
        if bad:
            notes.append(f"{NAMES[r['sut']]} run {r['run']}: {bad}")
    if notes:
        return "Check failed: " + "; ".join(notes) + "."
    return ("Check: every query a distinct name answered NOERROR, nothing lost; no cache hits during the runs "
            "(ztagent's and Unbound's counters; Stubby has no cache).")


def median_none(values):
    """Median where None means 'later than any answer' (a lost query)."""
    if not values:
        return None
    key = [math.inf if v is None else v for v in values]
    # With a lost-query percentile (infinite) among an even count, take the higher middle value.
    m = statistics.median_high(key) if any(math.isinf(k) for k in key) else statistics.median(key)
    return None if math.isinf(m) else m


def ms(v):
    return "timeout" if v is None else f"{v:.3f}"


def mb(v):
    return "-" if v is None else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record")
    r.add_argument("--kind", required=True, choices=["load", "latency", "memory", "router"])
    r.add_argument("--sut", required=True)
    r.add_argument("--scenario")
    r.add_argument("--run", type=int)
    r.add_argument("--transport")
    r.add_argument("--test")
    r.add_argument("--names", type=int)
    r.add_argument("--rate", type=int)
    r.add_argument("--args")
    r.add_argument("--cpu-before")
    r.add_argument("--cpu-after")
    r.add_argument("--counters-before")
    r.add_argument("--counters-after")
    r.add_argument("--phase")
    r.add_argument("--rss-kb")
    r.add_argument("--hwm-kb")
    r.add_argument("--entries")
    r.add_argument("dnsperf_output", nargs="?")
    r.set_defaults(func=record)
    b = sub.add_parser("brief")
    b.set_defaults(func=brief)
    m = sub.add_parser("median")
    m.add_argument("results")
    m.add_argument("scenario")
    m.add_argument("sut")
    m.add_argument("transport")
    m.set_defaults(func=median_cmd)
    t = sub.add_parser("table")
    t.add_argument("results")
    t.set_defaults(func=table)
    h = sub.add_parser("serverhello")
    h.add_argument("pcap")
    h.add_argument("port", type=int, nargs="+")
    h.add_argument("--without-group", action="store_true", help="version and suite only")
    h.set_defaults(func=serverhello)
    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
