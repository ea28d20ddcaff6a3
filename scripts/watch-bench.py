#!/usr/bin/env python3
"""Latency of `rldev watch`: end of a write -> the diff line on its stdout.

Usage: watch-bench.py RLDEV_BIN TREE [K]
Prints a Markdown table: p50/p95/max over K edits for (a) one module's Less
file, (b) an SVG referenced by N/10 modules, (c) the shared variables file
imported by every module; then idle CPU (over 5 s) and RSS (rldev + its
less.js processes) after start.
"""
import json, os, select, subprocess, sys, time

binary, tree = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
K = int(sys.argv[3]) if len(sys.argv) > 3 else 30
bench = json.load(open(os.path.join(tree, "bench.json")))
N, L = bench["n"], bench["leafModule"]

proc = subprocess.Popen([binary, "watch", "--json", "extension.json"], cwd=tree,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
buf = b""

def next_event(timeout):
    """The next NDJSON event, or None after `timeout` seconds."""
    global buf
    end = time.monotonic() + timeout
    while b"\n" not in buf:
        left = end - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return None
        chunk = os.read(proc.stdout.fileno(), 1 << 20)
        if not chunk:
            return None
        buf += chunk
    line, buf = buf.split(b"\n", 1)
    return json.loads(line)

start = time.monotonic()
ready = next_event(600)
assert ready and ready["event"] == "ready", ready

def drain(quiet):
    while next_event(quiet) is not None:
        pass

def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]

def cpu_ticks(pids):
    total = 0
    for p in pids:
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except OSError:
            pass
    return total

def rss_kb(pids):
    total = 0
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total

# Right after start (the compile cache may have been cold), then after a
# quiet spell: less.js processes exit after 10 s without work.
drain(1.0)
pids = [proc.pid] + children(proc.pid)
rss_start, nodes_start = rss_kb(pids) / 1024, len(pids) - 1
time.sleep(11)
pids = [proc.pid] + children(proc.pid)
t0, c0 = time.monotonic(), cpu_ticks(pids)
time.sleep(5)
idle_cpu = (cpu_ticks(pids) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0) * 100
rss = rss_kb(pids) / 1024

def measure(path, texts, settle):
    path = os.path.join(tree, path)
    original = open(path).read()
    samples, missed = [], 0
    for e in range(K):
        text = texts(original, e)
        with open(path, "w") as f:
            f.write(text)
        t = time.monotonic()
        while True:
            ev = next_event(10)
            if ev is None:
                missed += 1
                break
            if ev["event"] == "diff" and ev["changed"]:
                samples.append((time.monotonic() - t) * 1000)
                break
        drain(settle)
    with open(path, "w") as f:
        f.write(original)
    drain(settle)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] if samples else float("nan")
    return pick(0.5), pick(0.95), (samples[-1] if samples else float("nan")), len(samples), missed

leaf = f"resources/m{L}.less"
svg = f"resources/icons/i{L % 10}.svg"
rows = [
    (f"(a) one module's Less file (`{leaf}`)", leaf,
     lambda o, e: o.replace(f"color: @c{L};", f"color: rgb({e % 256}, 201, 7);"), 0.3),
    (f"(b) an SVG used by {N // 10} modules (`{svg}`)", svg,
     lambda o, e: o.replace('fill="#', f'fill="#{e % 10}', 1), 0.5),
    ("(c) the shared variables file, imported by all modules", "resources/vars.less",
     lambda o, e: o.replace("@fan: 0;", f"@fan: {e + 1};"), 1.0),
]
print(f"## rldev watch, N={N} ({K} edits each, {os.cpu_count()} cores)\n")
print("| edit | p50 ms | p95 ms | max ms | diffs | missed |")
print("| --- | --- | --- | --- | --- | --- |")
for label, path, texts, settle in rows:
    p50, p95, mx, ok, missed = measure(path, texts, settle)
    print(f"| {label} | {p50:.1f} | {p95:.1f} | {mx:.1f} | {ok} | {missed} |")
print(f"\nReady after {ready['ms']} ms. RSS right after start: {rss_start:.0f} MB (rldev and "
      f"{nodes_start} less.js process(es)). Idle (12-17 s after start): CPU {idle_cpu:.1f}% of one core, "
      f"RSS {rss:.0f} MB (rldev and {len(pids) - 1} less.js process(es)).")
proc.kill()
