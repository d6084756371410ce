#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 13 "simulator at scale": hbeat-sim run over cluster sizes and
topologies; a table and a plot under docs/plots/ (scale.csv, scale.txt,
scale.svg), the figures of docs/benchmarks.md "Issue 13: scale".

    bench/scale_bench.py [BUILD_DIR] [--sizes 100,300,1000]
        [--topologies mesh,monitors,subset,gossip,hierarchy]
        [--loss 0.01,0.1] [--duration-s 60] [--regions 10] [--keep]
        [--mesh-max-nodes N]
        [--crashes 3] [--interval-ms 1000] [--out docs/plots]

Every run: --interval-ms (1 s), --crash-random K crashes spread over the
run, independent loss, hbeat-sim run --json. Per run the table has the
time until every live member knows of a crash (median and p99 over the
crashes), the per-observer median and p99, false positives (suspect and
dead verdicts on live, unpaused, reachable nodes) per node-hour,
messages and bytes sent per node per second, and the simulator's wall
time, CPU time and peak RSS. Topologies hbeat-sim does not list (gossip
before it lands) are skipped with a note; so are sizes whose cores
would not fit in memory (every topology of the core holds all n - 1
peers at every node: about 1.4 KiB each with phi, --max-gb).

Deterministic runs (fixed seed): the same build writes the same figures
except the resource columns. The plot is drawn by gnuplot (gnuplot-nox,
scripts/install-deps), as scripts/plots.sh does.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

PEER_BYTES = 1500  # per peer and observer, phi detector, measured


def listed_topologies(sim):
    out = subprocess.run([sim, "run", "--help"], capture_output=True,
                         text=True, check=True).stdout
    names, on = [], False
    for line in out.splitlines():
        if line.lstrip().startswith("--topology"):
            on = True
            continue
        if on:
            if line.lstrip().startswith("--"):
                break
            names.append(line.split()[0])
    return names


def run(sim, topo, n, loss, a):
    cmd = [sim, "run", "--nodes", str(n), "--topology", topo,
           "--interval-ms", str(a.interval_ms), "--duration-s",
           str(a.duration_s), "--crash-random", str(a.crashes),
           "--loss", str(loss), "--seed", str(a.seed), "--json"]
    if topo == "hierarchy":
        cmd += ["--region-count", str(min(a.regions, n))]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("scale_bench: %s failed: %s" % (" ".join(cmd), r.stderr))
    return json.loads(r.stdout)


def fmt(v, spec="%.0f"):
    return "-" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--topologies",
                    default="mesh,monitors,subset,gossip,hierarchy")
    ap.add_argument("--loss", default="0.01,0.1")
    ap.add_argument("--duration-s", type=float, default=60)
    ap.add_argument("--interval-ms", type=int, default=1000)
    ap.add_argument("--crashes", type=int, default=3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-gb", type=float, default=16)
    ap.add_argument("--out", default="docs/plots")
    ap.add_argument("--regions", type=int, default=10,
                    help="hierarchy: regions (--region-count)")
    ap.add_argument("--mesh-max-nodes", type=int, default=0,
                    help="skip the full mesh above this size (0: no limit;"
                    " 1,000 nodes take about 9 min per run)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the rows of OUT/scale.csv and run only the"
                    " (topology, nodes, loss) it does not hold")
    a = ap.parse_args()

    sim = os.path.join(a.build, "hbeat-sim")
    if not os.access(sim, os.X_OK):
        sys.exit("scale_bench: %s not found: build first" % sim)
    listed = listed_topologies(sim)
    rows, kept = [], {}
    if a.keep and os.path.exists(os.path.join(a.out, "scale.csv")):
        with open(os.path.join(a.out, "scale.csv"), newline="") as f:
            for r in csv.DictReader(f):
                for k, v in r.items():
                    if k != "topology":
                        r[k] = (None if v == "" else float(v)
                                if "." in v or "e" in v else int(v))
                kept[(r["topology"], r["nodes"], r["loss"])] = r
    for topo in a.topologies.split(","):
        if topo not in listed:
            print("skipped topology %s: hbeat-sim lists %s"
                  % (topo, ", ".join(listed)))
            continue
        for n in (int(x) for x in a.sizes.split(",")):
            need = n * (n - 1) * PEER_BYTES / 1e9
            if need > a.max_gb:
                print("skipped %s at %d nodes: the cores need about %.0f GB"
                      " (n x (n - 1) peers), above --max-gb %g"
                      % (topo, n, need, a.max_gb))
                continue
            if topo == "mesh" and a.mesh_max_nodes and \
                    n > a.mesh_max_nodes:
                print("skipped mesh at %d nodes (--mesh-max-nodes)" % n)
                continue
            for loss in (float(x) for x in a.loss.split(",")):
                if (topo, n, loss) in kept:
                    rows.append(kept.pop((topo, n, loss)))
                    continue
                j = run(sim, topo, n, loss, a)
                c, fp = j["crashes"], j["false_positives"]
                t, res = j["traffic"]["per_node_per_s"], j["resources"]
                row = {
                    "topology": topo, "nodes": n, "loss": loss,
                    "crashes": c["count"], "all_known": c["all_known"],
                    "all_know_median_ms": c["all_know_ms"]["median"],
                    "all_know_p99_ms": c["all_know_ms"]["p99"],
                    "observer_median_ms": c["per_observer_ms"]["median"],
                    "observer_p99_ms": c["per_observer_ms"]["p99"],
                    "fp_suspect_per_node_hour": fp["suspect_per_node_hour"],
                    "fp_dead_per_node_hour": fp["dead_per_node_hour"],
                    "msgs_per_node_s": t["all"]["msgs"],
                    "bytes_per_node_s": t["all"]["bytes"],
                    "heartbeat_msgs_per_node_s":
                        t.get("heartbeat", {}).get("msgs", 0),
                    "wall_s": res["boot_wall_s"] + res["run_wall_s"],
                    "cpu_s": res["cpu_s"],
                    "peak_rss_mb": res["peak_rss_kb"] / 1024,
                }
                rows.append(row)
                print("%-8s %6d nodes loss %.3f: all know %s / %s ms "
                      "(%d/%d), fp %.3f/%.3f per node-h, %.1f msgs/node/s, "
                      "%.0f s wall, %.0f MB" % (
                          topo, n, loss, fmt(row["all_know_median_ms"]),
                          fmt(row["all_know_p99_ms"]), row["all_known"],
                          row["crashes"], row["fp_suspect_per_node_hour"],
                          row["fp_dead_per_node_hour"],
                          row["msgs_per_node_s"], row["wall_s"],
                          row["peak_rss_mb"]), flush=True)
    rows += kept.values()  # kept rows outside this grid stay too
    order = ["mesh", "monitors", "subset", "gossip", "hierarchy"]
    rows.sort(key=lambda r: (order.index(r["topology"])
                             if r["topology"] in order else 99,
                             r["nodes"], r["loss"]))
    if not rows:
        sys.exit("scale_bench: nothing ran")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "scale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    head = ("| topology | nodes | loss | all know median / p99 (ms) "
            "| observer median / p99 (ms) | false suspect / dead per "
            "node-hour | msgs / bytes per node per s | wall (s) "
            "| peak RSS (MB) |")
    lines = ["hbeat-sim run, interval %d ms, %g s simulated, %d random "
             "crashes, seed %d" % (a.interval_ms, a.duration_s, a.crashes,
                                   a.seed), "", head,
             "|" + " --- |" * 9]
    for r in rows:
        lines.append(
            "| %s | %d | %g %% | %s / %s (%d of %d) | %s / %s | %.3f / %.3f "
            "| %.1f / %.0f | %.1f | %.0f |" % (
                r["topology"], r["nodes"], 100 * r["loss"],
                fmt(r["all_know_median_ms"]), fmt(r["all_know_p99_ms"]),
                r["all_known"], r["crashes"],
                fmt(r["observer_median_ms"]), fmt(r["observer_p99_ms"]),
                r["fp_suspect_per_node_hour"], r["fp_dead_per_node_hour"],
                r["msgs_per_node_s"], r["bytes_per_node_s"], r["wall_s"],
                r["peak_rss_mb"]))
    with open(os.path.join(a.out, "scale.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot(rows, a.out)


def plot(rows, out):
    if not shutil.which("gnuplot"):
        print("no plot: gnuplot not found (gnuplot-nox)")
        return
    series = {}
    for r in rows:
        series.setdefault((r["topology"], r["loss"]), []).append(r)
    data = os.path.join(out, "scale.dat")
    with open(data, "w") as f:
        for (topo, loss), rs in series.items():
            f.write("# %s loss %g\n" % (topo, loss))
            for r in sorted(rs, key=lambda r: r["nodes"]):
                f.write("%d %f %s %s\n" % (
                    r["nodes"], r["msgs_per_node_s"],
                    r["all_know_median_ms"] or "NaN",
                    r["all_know_p99_ms"] or "NaN"))
            f.write("\n\n")
    keys = list(series)
    p1 = ", ".join("'%s' index %d using 1:2 with linespoints title '%s, "
                   "%g %% loss'" % (data, i, t, 100 * l)
                   for i, (t, l) in enumerate(keys))
    p2 = ", ".join("'%s' index %d using 1:3 with linespoints linecolor %d "
                   "title '%s, %g %% loss', '%s' index %d using 1:4 with "
                   "points linecolor %d notitle"
                   % (data, i, i + 1, t, 100 * l, data, i, i + 1)
                   for i, (t, l) in enumerate(keys))
    script = """
set terminal svg size 1200,560 dynamic font 'sans,10'
set output '%s'
set multiplot layout 1,2
set logscale x
set xlabel 'nodes'
set key top left
set logscale y
set ylabel 'messages sent per node per second'
set title 'Traffic (1 s interval)'
plot %s
unset logscale y
set ylabel 'ms after the crash'
set title 'Crash known to every live member (line: median, points: p99)'
set yrange [0:*]
plot %s
unset multiplot
""" % (os.path.join(out, "scale.svg"), p1, p2)
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(data)


if __name__ == "__main__":
    main()
