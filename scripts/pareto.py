#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Where the default detector sits against the best trade-offs.

For each arrival trace given, replay every detector swept over its main
parameter (hbeat-sim eval --sweep ... --crash-at each), plus hbeat's
default configuration and Akka's phi defaults scaled to the trace's
interval, and report:

- the Pareto front of (T_D, mistakes per hour) over all sweep points;
- the default's point against it: the shortest T_D any swept setting
  reaches with no more mistakes than the default (ratio default / best),
  and the fewest mistakes any reaches with no longer T_D;
- the default's detector at Akka's T_D (its threshold sweep interpolated
  on a log scale of mistakes) against Akka's mistakes.

Akka's defaults (akka.remote/cluster failure-detector: threshold 8,
min-std-deviation 100 ms, acceptable-heartbeat-pause 3 s,
heartbeat-interval 1 s, max-sample-size 1000) are scaled by
interval / 1 s: min std dev 0.1 x interval, acceptable pause 3 x
interval, first estimate 1 x interval, window 1000.

    scripts/pareto.py [--build DIR] [--markdown] TRACE...

Traces are read by hbeat-sim eval as they are (gzip included); the
interval comes from their '# interval_ns=' line (hbeat v1 layout).
"""

import argparse
import csv
import gzip
import io
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sweeps(interval_ms):
    """The six detectors' sweeps (as scripts/plots.sh), scaled to the
    interval where a parameter is a duration."""
    f = interval_ms / 100.0
    alphas = ",".join(f"{a * f:g}" for a in [10, 25] + list(range(50, 1950,
                                                                  50)))
    return [
        ("fixed", ["--detector", "fixed", "--sweep", "k=1:20:0.25"]),
        ("phi", ["--detector", "phi", "--sweep",
                 "threshold=0.25,0.5,0.75,1,1.5,2,2.5,3,3.5,4,5,6,7,8,10,12,"
                 "14,16,20,24,30,40,60,100,200,300"]),
        ("phi_exp", ["--detector", "phi_exp", "--sweep",
                     "threshold=0.25:12:0.25"]),
        ("chen", ["--detector", "chen", "--sweep", f"alpha_ms={alphas}"]),
        ("bertier", ["--detector", "bertier", "--sweep",
                     "threshold=0.5,0.75,1,1.5,2,3,4,5,6,8,10,12,16,20,24,"
                     "32,40,48,64,80,100,128"]),
        ("adaptive", ["--detector", "adaptive", "--sweep",
                      "threshold=0.3:8:0.1"]),
    ]


def akka(interval_ms):
    return ["--detector", "phi", "--label", "akka",
            "--set", "window=1000",
            "--set", f"min_std_dev_ms={0.1 * interval_ms:g}",
            "--set", f"acceptable_pause_ms={3 * interval_ms:g}",
            "--set", f"first_estimate_ms={interval_ms:g}",
            "--sweep", "threshold=8"]


def trace_interval_ms(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for ln in f:
            if not ln.startswith("#"):
                break
            if ln.startswith("# interval_ns="):
                return int(ln.split("=", 1)[1]) / 1e6
    raise SystemExit(f"{path}: no '# interval_ns=' line")


def run_eval(sim, path, args):
    p = subprocess.run([sim, "eval", path, "--crash-at", "each", "--csv",
                        "-", *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"hbeat-sim eval {path}: {p.stderr.strip()}")
    body = p.stdout[p.stdout.index("detector,param,value"):]
    rows = []
    for r in csv.DictReader(io.StringIO(body)):
        rows.append((r["detector"], r["param"], float(r["value"]),
                     float(r["T_D_ms"]), float(r["mistakes_per_hour"])))
    return rows


def front(points):
    """Non-dominated points, by T_D ascending."""
    pts = sorted(points, key=lambda p: (p[3], p[4]))
    out, best = [], math.inf
    for p in pts:
        if p[4] < best:
            out.append(p)
            best = p[4]
    return out


def interp_mistakes(curve, td):
    """Mistakes/h of a curve (points sorted by T_D) at T_D `td`: linear in
    T_D, on log(mistakes + 0.01) so that decades interpolate evenly."""
    curve = sorted(curve, key=lambda p: p[3])
    if td <= curve[0][3]:
        return curve[0][4]
    if td >= curve[-1][3]:
        return curve[-1][4]
    for a, b in zip(curve, curve[1:]):
        if a[3] <= td <= b[3]:
            if b[3] == a[3]:
                return min(a[4], b[4])
            w = (td - a[3]) / (b[3] - a[3])
            la, lb = math.log(a[4] + 0.01), math.log(b[4] + 0.01)
            v = math.exp(la + w * (lb - la)) - 0.01
            return v if v > 1e-9 else 0.0
    return curve[-1][4]


def analyse(sim, path, default_args, default_thr=8, default_kind="phi",
            pause_intervals=None):
    interval_ms = trace_interval_ms(path)
    if pause_intervals is not None:
        default_args = default_args + [
            "--set", f"acceptable_pause_ms={pause_intervals * interval_ms:g}"]
    sw = []
    for _, a in sweeps(interval_ms):
        sw += a
    rows = run_eval(sim, path, sw + ["--detector", default_kind, "--label",
                                     "default", *default_args, "--sweep",
                                     f"threshold={default_thr:g}"]
                    + akka(interval_ms))
    swept = [r for r in rows if r[0] not in ("default", "akka")]
    dflt = next(r for r in rows if r[0] == "default")
    ak = next(r for r in rows if r[0] == "akka")
    fr = front(swept)
    # Best T_D at no more mistakes than the default, and best mistakes at
    # no longer T_D.
    ok = [p for p in swept if p[4] <= dflt[4]]
    best_td = min(ok, key=lambda p: p[3]) if ok else None
    ok = [p for p in swept if p[3] <= dflt[3]]
    best_m = min(ok, key=lambda p: p[4]) if ok else None
    dominated = any(p[3] <= dflt[3] and p[4] <= dflt[4] and
                    (p[3] < dflt[3] or p[4] < dflt[4]) for p in swept)
    # The default's own kind and settings, its threshold swept.
    phi_curve = [r for r in swept if r[0] == default_kind]
    at_akka = interp_mistakes(phi_curve, ak[3])
    # The whole front at Akka's T_D: the fewest mistakes any setting of any
    # detector makes without detecting later than Akka.
    ok = [p for p in swept if p[3] <= ak[3]]
    front_at_akka = min(p[4] for p in ok) if ok else math.nan
    return {
        "trace": os.path.basename(path),
        "interval_ms": interval_ms, "default": dflt, "akka": ak,
        "front": fr, "best_td": best_td, "best_m": best_m,
        "dominated": dominated, "default_at_akka_td": at_akka,
        "front_at_akka_td": front_at_akka,
    }


def fmt_p(p):
    return f"{p[0]} {p[1]}={p[2]:g}: {p[3]:.0f} ms, {p[4]:.3g}/h"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--markdown", action="store_true",
                    help="one Markdown table row per trace")
    ap.add_argument("--default-set", action="append", default=[],
                    metavar="KEY=VALUE",
                    help="evaluate this as the default instead (phi, "
                         "threshold 8, plus these --set values)")
    ap.add_argument("--default-threshold", type=float, default=8,
                    help="the default's suspect threshold (default 8)")
    ap.add_argument("--default-pause-intervals", type=float,
                    help="the default's acceptable pause in intervals")
    ap.add_argument("--default-kind", default="phi",
                    help="the default's detector kind (default phi)")
    a = ap.parse_args()
    sim = os.path.join(a.build, "hbeat-sim")
    dargs = []
    for kv in a.default_set:
        dargs += ["--set", kv]
    if a.markdown:
        print("| trace | default T_D, mistakes/h | fastest at <= its "
              "mistakes | T_D ratio | fewest at <= its T_D | Akka T_D, "
              "mistakes/h | default's phi at Akka's T_D | Akka / default | "
              "fewest of any setting at Akka's T_D |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in a.traces:
        r = analyse(sim, t, dargs, a.default_threshold, a.default_kind,
                    a.default_pause_intervals)
        name = os.path.basename(t).split(".")[0]
        d, ak = r["default"], r["akka"]
        ratio = d[3] / r["best_td"][3] if r["best_td"] else math.nan
        m_ak = r["default_at_akka_td"]
        ak_ratio = (ak[4] / m_ak if m_ak > 0 else
                    (math.inf if ak[4] > 0 else math.nan))
        if a.markdown:
            print(f"| {name} | {d[3]:.0f} ms, {d[4]:.3g} | "
                  f"{fmt_p(r['best_td']) if r['best_td'] else '-'} | "
                  f"{ratio:.2f} | "
                  f"{fmt_p(r['best_m']) if r['best_m'] else '-'} | "
                  f"{ak[3]:.0f} ms, {ak[4]:.3g} | {m_ak:.3g} | "
                  f"{ak_ratio:.3g} | {r['front_at_akka_td']:.3g} |")
            continue
        print(f"== {name} (interval {r['interval_ms']:g} ms)")
        print(f"  default: {d[3]:.1f} ms, {d[4]:.4g} mistakes/h"
              f"{'  (dominated)' if r['dominated'] else '  (on the front)'}")
        if r["best_td"]:
            print(f"  fastest with <= its mistakes: {fmt_p(r['best_td'])}"
                  f"  (default / best = {ratio:.2f})")
        if r["best_m"]:
            print(f"  fewest mistakes with <= its T_D: {fmt_p(r['best_m'])}")
        print(f"  akka: {ak[3]:.1f} ms, {ak[4]:.4g} mistakes/h; default's "
              f"phi at that T_D: {m_ak:.4g}/h (akka / default = "
              f"{ak_ratio:.3g}); best of all at that T_D: "
              f"{r['front_at_akka_td']:.4g}/h")
        print("  front: " + "; ".join(
            f"{p[0]} {p[2]:g} {p[3]:.0f}ms {p[4]:.3g}/h"
            for p in r["front"][:14]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
