#!/usr/bin/python3
"""hbeat-sim eval end to end: arrivals x configurations per second.

Generates a trace as scripts/plots.sh does (hbeat-sim trace --preset
PRESET --seed 1, HOURS long), then runs `hbeat-sim eval TRACE --crash-at
each` once per detector line of scripts/plots.sh (its sweep, plus the
configuration as given at its suspect and dead thresholds: sweep points
+ 2 configurations) and once with all seven lines together, as plots.sh
runs it, RUNS times each, and reports the wall time of the whole process
(reading the CSV, replays, output) and the throughput

    arrivals x configurations / wall time

per detector line: min, median and max over the runs, at each --threads
setting. The process that only reads the trace (one fixed configuration,
--crash-at none) is timed too: that part does not shrink with threads.

This is a benchmark: it prints figures for docs/benchmarks.md
("Evaluator") and asserts nothing. On a shared machine, take the best
run and say so. Usage: bench/eval_bench.py BUILD_DIR [--hours H]
[--runs R] [--threads 1,2] [--preset wan]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# scripts/plots.sh's detector lines (keep in step with it).
CHEN_ALPHAS = "25," + ",".join(str(a) for a in range(50, 1901, 50))
LINES = [
    ("fixed", ["--detector", "fixed", "--sweep", "k=1:20:0.5"]),
    ("phi", ["--detector", "phi", "--sweep",
             "threshold=0.5,1,2,3,4,6,8,10,12,16,20,24,30,40,60,100,300"]),
    ("phi pause", ["--detector", "phi", "--label", "phi, threshold 8",
                   "--sweep", "acceptable_pause_ms=0:1500:50"]),
    ("phi_exp", ["--detector", "phi_exp", "--sweep",
                 "threshold=0.5:8.5:0.25"]),
    ("chen", ["--detector", "chen", "--sweep", "alpha_ms=" + CHEN_ALPHAS]),
    ("bertier", ["--detector", "bertier", "--sweep",
                 "threshold=1,1.5,2,3,4,5,6,8,10,12,16,20,24,32,40,48,64,"
                 "80"]),
    ("adaptive", ["--detector", "adaptive", "--sweep",
                  "threshold=0.4:6:0.2"]),
]


def run_eval(sim, trace, args):
    """Wall time of one hbeat-sim eval, s; its JSON report."""
    t0 = time.perf_counter()
    p = subprocess.run([sim, "eval", trace, "--json"] + args,
                       stdout=subprocess.PIPE, check=True)
    return time.perf_counter() - t0, json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1,2",
                    help="comma-separated --threads settings; 0: do not "
                         "pass the option (the default, or an hbeat-sim "
                         "older than it)")
    ap.add_argument("--preset", default="wan")
    o = ap.parse_args()
    sim = os.path.join(o.build, "hbeat-sim")
    threads = [int(t) for t in o.threads.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, o.preset + ".csv")
        subprocess.run([sim, "trace", "--preset", o.preset, "--seed", "1",
                        "--peer", "peer", "--duration-s",
                        str(int(o.hours * 3600)), "-q", "-o", trace],
                       check=True)
        _, rep = run_eval(sim, trace, ["--detector", "fixed",
                                       "--crash-at", "none"])
        n = rep["trace"]["arrivals"]
        print("trace: %s preset, %g h, %d arrivals, %.1f MB of CSV; "
              "%d runs each, wall time of the whole process"
              % (o.preset, o.hours, n, os.path.getsize(trace) / 1e6,
                 o.runs))
        times = [run_eval(sim, trace, ["--detector", "fixed",
                                       "--crash-at", "none"])[0]
                 for _ in range(o.runs)]
        print("reading the trace (one fixed configuration, --crash-at "
              "none): min %.3f s, median %.3f s" %
              (min(times), statistics.median(times)))
        every = [a for _, line in LINES for a in line]
        for th in threads:
            print("\n--threads %s" % (th or "not given"))
            print("%-10s %5s  %8s %8s %8s   %s" %
                  ("line", "confs", "min s", "median s", "max s",
                   "M arrivals/s per configuration: best / median / "
                   "worst"))
            for name, line in LINES + [("all seven", every)]:
                args = line + ["--crash-at", "each"]
                if th:
                    args += ["--threads", str(th)]
                times = []
                for _ in range(o.runs):
                    t, rep = run_eval(sim, trace, args)
                    times.append(t)
                confs = 2 * len(rep["configurations"]) + len(rep["sweep"])
                work = n * confs / 1e6
                print("%-10s %5d  %8.3f %8.3f %8.3f   %6.1f / %6.1f / %6.1f"
                      % (name, confs, min(times), statistics.median(times),
                         max(times), work / min(times),
                         work / statistics.median(times),
                         work / max(times)))
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
