#!/usr/bin/env python3
"""Prints bench/run's table: medians per scenario and ratios against the peers."""
import statistics
import sys

results, latency_file, rate, runs, seconds = sys.argv[1:6]
qps = {}
memory = {}
for line in open(results):
    parts = line.split()
    if parts[0].startswith("rss"):
        memory[parts[0]] = parts[1:]
        continue
    if len(parts) >= 2 and parts[1] != "":
        try:
            qps.setdefault(parts[0], []).append(float(parts[1]))
        except ValueError:
            pass

def med(label):
    values = qps.get(label, [])
    return statistics.median(values) if values else float("nan")

print()
print(f"ztagent benchmark: {runs} run(s) of {seconds} s each, median QPS; system under test on core 0, dnsperf on core 1")
print()
print(f"| scenario | ztagent | Unbound | Stubby | ztagent / Unbound | ztagent / Stubby |")
print(f"| --- | --- | --- | --- | --- | --- |")
for name, z, u, s in [
    ("cache hits, UDP", "hit-udp-ztagent", "hit-udp-unbound", None),
    ("cache hits, TCP", "hit-tcp-ztagent", "hit-tcp-unbound", None),
    ("forwarded over DoT, unique names (ztagent mTLS; peers via stunnel, no client cert)", "fwd-ztagent", "fwd-unbound", "fwd-stubby"),
]:
    zq, uq = med(z), med(u)
    sq = med(s) if s else None
    print(f"| {name} | {zq:,.0f} | {uq:,.0f} | {'' if sq is None else f'{sq:,.0f}'} | {zq / uq:.2f}x | {'' if sq is None else f'{zq / sq:.2f}x'} |")

lat = {}
for line in open(latency_file):
    label, value = line.split()
    try:
        lat.setdefault(label, []).append(float(value) * 1000)
    except ValueError:
        pass
print()
print(f"Latency at {int(rate):,} QPS (half the lower measured maximum), cache hits, milliseconds:")
print()
print("| | p50 | p90 | p99 | max | answers |")
print("| --- | --- | --- | --- | --- | --- |")
for label in ("lat-ztagent", "lat-unbound"):
    values = sorted(lat.get(label, []))
    if not values:
        print(f"| {label} | - | - | - | - | 0 |")
        continue
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"| {label[4:]} | {pick(0.5):.3f} | {pick(0.9):.3f} | {pick(0.99):.3f} | {values[-1]:.3f} | {len(values):,} |")

print()
before = memory.get("rss-before-fill", ["?"])[0]
after = memory.get("rss-100k", ["?", "?"])
print(f"ztagent RSS: {int(before) / 1024:.1f} MB idle (after the runs above), {int(after[0]) / 1024:.1f} MB with {after[1]} more names cached")
print("router (iperf3, handshakes vs haproxy): the TLS router is issue 4, not built yet")
