#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""hbeat in 30 seconds: start 3 nodes, kill one, watch the others detect
it, restart it, watch it rejoin through probation.

    /usr/bin/python3 scripts/demo.py [--build-dir build]

Runs in network namespaces when root (and `ip netns` works), else on
127.0.0.1. Exit status 0 when everything happened in time, 1 otherwise.
"""

import argparse
import os
import signal
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import hbcluster  # noqa: E402

BUDGET_S = 30.0
N = 3
VICTIM = 3
OBSERVERS = (1, 2)


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, want):
        """min(want, time left); fails when the budget is spent."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise hbcluster.WaitTimeout(f"demo ran out of its {BUDGET_S:.0f}"
                                        " s budget")
        return min(want, left)


def ms(a_ns, b_ns):
    return f"{(b_ns - a_ns) / 1e6:.0f} ms"


def table(c):
    names = [f"n{i}" for i in c.nodes]
    rows = ["    observer  " + "".join(n.ljust(11) for n in names)]
    for i in c.nodes:
        if not c.running(i):
            view = {n: "(down)" for n in names}
        else:
            view = c.members(i)
        cells = ["-" if n == f"n{i}" else view.get(n, "?") for n in names]
        rows.append(f"    n{i}".ljust(14)
                    + "".join(x.ljust(11) for x in cells))
    return "\n".join(r.rstrip() for r in rows)


def resolve_build_dir(arg):
    if arg is None:
        return hbcluster.default_build_dir()
    for cand in (os.path.abspath(arg), os.path.join(REPO, arg)):
        if os.path.exists(os.path.join(cand, "hbeatd")):
            return cand
    return os.path.abspath(arg)


def demo(build_dir, netns):
    dl = Deadline(BUDGET_S)
    with hbcluster.Cluster(N, interval_ms=100, build_dir=build_dir,
                           netns=netns) as c:
        mode = "network namespaces" if c.netns else "loopback (127.0.0.1)"
        if not c.netns and os.geteuid() != 0:
            mode += "; run as root for namespaces"
        print(f"hbeat demo: {N} nodes, {mode}")
        print(f"  heartbeat every {c.interval_ms} ms, {c.detector} detector,"
              f" probation {c.probation_ms} ms\n")

        c.start_all(timeout=dl.left(5))
        c.wait_all_alive(timeout=dl.left(5))
        print("Membership, as each node sees it:")
        print(table(c) + "\n")

        print(f"SIGKILL n{VICTIM} ...")
        t_kill = c.kill(VICTIM)
        detect = {}
        for obs in OBSERVERS:
            dead = c.wait_event(obs, peer=f"n{VICTIM}", new="dead",
                                since_ns=t_kill, timeout=dl.left(5))
            sus = [e for e in c.events(obs, peer=f"n{VICTIM}",
                                       since_ns=t_kill)
                   if e["new"] == "suspect"]
            detect[obs] = (sus[0]["at_ns"] if sus else None, dead["at_ns"])
        print("    observer  kill->suspect  kill->dead")
        for obs, (s, d) in detect.items():
            print(f"    n{obs}".ljust(14)
                  + (ms(t_kill, s) if s else "(none)").ljust(15)
                  + ms(t_kill, d))
        print()
        print(table(c) + "\n")

        print(f"Restarting n{VICTIM} ...")
        t_start = time.monotonic_ns()
        c.start(VICTIM, timeout=dl.left(5))
        rejoin = {}
        for obs in OBSERVERS:
            evs = c.wait_transitions(obs, f"n{VICTIM}", ["probation", "alive"],
                                     since_ns=t_start, timeout=dl.left(5))
            prob = next(e for e in evs if e["new"] == "probation")
            alive = next(e for e in evs if e["new"] == "alive"
                         and e["at_ns"] >= prob["at_ns"])
            rejoin[obs] = (prob, alive)
        print("    observer  transition                    after restart")
        for obs, (prob, alive) in rejoin.items():
            for e in (prob, alive):
                print(f"    n{obs}".ljust(14)
                      + f"{e['old']} -> {e['new']}".ljust(30)
                      + ms(t_start, e["at_ns"]))
        c.wait_all_alive(timeout=dl.left(5))
        print()
        print(table(c) + "\n")

        worst_dead = max(d - t_kill for _, d in detect.values()) / 1e6
        worst_back = max(a["at_ns"] - t_start
                         for _, a in rejoin.values()) / 1e6
        print(f"Summary: n{VICTIM} detected dead within {worst_dead:.0f} ms "
              f"of SIGKILL; back to alive {worst_back:.0f} ms after restart "
              f"(probation {c.probation_ms} ms). All {N} nodes alive.")
        for i in c.nodes:
            c.stop(i, timeout=dl.left(5))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", help="where hbeatd and hbeatctl are "
                    "(default $HBEAT_BUILD_DIR or <repo>/build)")
    ap.add_argument("--loopback", action="store_true",
                    help="use 127.0.0.1 even when namespaces would work")
    args = ap.parse_args()

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return demo(resolve_build_dir(args.build_dir),
                    False if args.loopback else None)
    except (hbcluster.WaitTimeout, hbcluster.ControlError, OSError) as e:
        print(f"\nDEMO FAILED: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaned up", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
