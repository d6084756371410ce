#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""hbeat in 30 seconds: start 3 nodes; hang one (SIGSTOP), watch the
others' detector convict it and the node rejoin through probation; kill it
(SIGKILL), watch its exit be seen within an interval; restart it.

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


def table(c, stopped=()):
    names = [f"n{i}" for i in c.nodes]
    rows = ["    observer  " + "".join(n.ljust(11) for n in names)]
    for i in c.nodes:
        if i in stopped:
            view = {n: "(stopped)" for n in names}
        elif not c.running(i):
            view = {n: "(down)" for n in names}
        else:
            view = c.members(i)
        cells = ["-" if n == f"n{i}" else view.get(n, "?") for n in names]
        rows.append(f"    n{i}".ljust(14)
                    + "".join(x.ljust(11) for x in cells))
    return "\n".join(r.rstrip() for r in rows)


def detect(c, t0, dl):
    """Each observer's first suspect (or None) and dead event since t0."""
    out = {}
    for obs in OBSERVERS:
        dead = c.wait_event(obs, peer=f"n{VICTIM}", new="dead",
                            since_ns=t0, timeout=dl.left(5))
        sus = [e for e in c.events(obs, peer=f"n{VICTIM}", since_ns=t0)
               if e["new"] == "suspect"]
        out[obs] = (sus[0] if sus else None, dead)
    return out


def print_detect(found, t0, what):
    print(f"    observer  {what}->suspect".ljust(29) + f"{what}->dead"
          .ljust(15) + "reason")
    for obs, (s, d) in found.items():
        print(f"    n{obs}".ljust(14)
              + (ms(t0, s["at_ns"]) if s else "(none)").ljust(15)
              + ms(t0, d["at_ns"]).ljust(15) + d["reason"])
    print()


def rejoin(c, t0, dl):
    """Each observer's dead -> probation and probation -> alive since t0."""
    out = {}
    for obs in OBSERVERS:
        evs = c.wait_transitions(obs, f"n{VICTIM}", ["probation", "alive"],
                                 since_ns=t0, timeout=dl.left(5))
        prob = next(e for e in evs if e["new"] == "probation")
        alive = next(e for e in evs if e["new"] == "alive"
                     and e["at_ns"] >= prob["at_ns"])
        out[obs] = (prob, alive)
    return out


def print_rejoin(found, t0, when):
    print("    observer  transition".ljust(44) + when)
    for obs, (prob, alive) in found.items():
        for e in (prob, alive):
            print(f"    n{obs}".ljust(14)
                  + f"{e['old']} -> {e['new']}".ljust(30)
                  + ms(t0, e["at_ns"]))


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

        # 1. A hang: its port stays open, only the detector can tell.
        print(f"SIGSTOP n{VICTIM} (a hang: only the failure detector can "
              "tell) ...")
        t_stop = c.pause(VICTIM)
        hang = detect(c, t_stop, dl)
        print_detect(hang, t_stop, "stop")
        print(table(c, stopped=(VICTIM,)) + "\n")
        print(f"SIGCONT n{VICTIM} ...")
        t_cont = time.monotonic_ns()
        c.resume(VICTIM)
        back = rejoin(c, t_cont, dl)
        print_rejoin(back, t_cont, "after SIGCONT")
        c.wait_all_alive(timeout=dl.left(5))
        print()

        # 2. A crash: the process is gone, its host's kernel says so.
        print(f"SIGKILL n{VICTIM} (a crash: its host answers 'port "
              "unreachable') ...")
        t_kill = c.kill(VICTIM)
        crash = detect(c, t_kill, dl)
        print_detect(crash, t_kill, "kill")
        print(table(c) + "\n")

        print(f"Restarting n{VICTIM} ...")
        t_start = time.monotonic_ns()
        c.start(VICTIM, timeout=dl.left(5))
        again = rejoin(c, t_start, dl)
        print_rejoin(again, t_start, "after restart")
        c.wait_all_alive(timeout=dl.left(5))
        print()
        print(table(c) + "\n")

        worst_hang = max(d["at_ns"] - t_stop for _, d in hang.values()) / 1e6
        worst_crash = max(d["at_ns"] - t_kill
                          for _, d in crash.values()) / 1e6
        worst_back = max(a["at_ns"] - t_start
                         for _, a in again.values()) / 1e6
        print(f"Summary: hung n{VICTIM} declared dead within "
              f"{worst_hang:.0f} ms (detector); killed n{VICTIM} within "
              f"{worst_crash:.0f} ms (port unreachable); back to alive "
              f"{worst_back:.0f} ms after restart (probation "
              f"{c.probation_ms} ms). All {N} nodes alive.")
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
