#!/usr/bin/python3
"""Soak: false alarms of hbeat and keepalived side by side on a healthy
cluster under load and loss (issue 9).

For each interval and each system it builds a fresh 3-node cluster with
failover_bench's setup (tests/system/hbcluster.py namespaces, one VIP
10.213.<k>.100/24, hbeat with election on, or keepalived with VRRPv3 and
unicast peers), waits until one node holds the VIP, then for --duration
seconds:

* loss: every node drops --loss of the UDP (hbeat's heartbeats) and VRRP
  (keepalived's adverts) it receives, each packet drawn on its own
  (nftables `numgen random` in the node's namespace), so every directed
  link loses that share;
* stress: `stress-ng --cpu 2 --io 1 --vm 1 --vm-bytes 1G` in the root
  namespace (it loads the machine, not a node), with its own --timeout.

Nothing fails, so every VIP move, election and dead verdict counted in the
window is a false alarm. Counted, from the start of the window to its end:

* VIP adds and dels: `ip -ts -o monitor address` runs in every node's
  namespace from before the daemons start; ip stamps each line itself
  (wall clock, one clock for every namespace of this host). A move is a
  node starting to hold the VIP.
* split-brain: from the merged timelines, each stretch during which two
  or more nodes held the VIP: episodes and their total duration.
* hbeat: from every node's event stream (control socket, `events follow`):
  elections (role -> candidate), leaders elected (role -> leader), dead
  verdicts and suspicions (peer events to dead / suspect, every observer
  counted), lease expiries (role events with reason `lease expired`); and
  the growth of the `local_pauses` and `send_late` counters.
* keepalived: its log lines `(VI_BENCH) Entering <STATE> STATE` written
  during the window, per state.

Rates are per hour of window with the count; for a count of 0 the table
gives the 95 % upper bound of the rate instead (3 / window).

With --failovers N, after the soak of each setting, N hang failovers as
`bench/failover_bench.py --fault stop` measures them (failover_bench's
code: fresh cluster, SIGSTOP of the VIP holder, time to the first client
answer from another node), at the same interval and hbeat settings and
the same loss, without stress: the failover time of that setting.

keepalived's advert_int is in centiseconds: an interval under 10 ms runs
keepalived at 0.01 s (its minimum), another is rounded to 10 ms; the table
shows the interval each system ran, and a keepalived setting runs once
even if two intervals map to it (10 and 3 ms).

This is a benchmark: it prints figures and asserts nothing. Run as root:
    bench/soak_bench.py BUILD_DIR [--duration 600] [--interval-ms 100 10 3]
        [--loss 0.05] [--systems hbeat,keepalived,keepalived-rt]
        [--stress | --no-stress] [--hbeat-config JSON] [--failovers N]
        [--json FILE]
It installs stress-ng and keepalived when missing (scripts/install-deps).
Bounded: it says its bound at the start and stops there. Namespaces,
nftables rules (inside the namespaces), daemons, ip monitors and stress-ng
are removed at the end, on an error, on SIGINT and SIGTERM; after a kill -9
`tests/system/hbcluster.py --cleanup-stale` removes the clusters, and
stress-ng and the monitors stop on their own time-outs.
Exit status 2 when it cannot run (not root, no namespaces, no packages).
"""

import argparse
import collections
import contextlib
import datetime
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import failover_bench as fb  # noqa: E402  (bench/ is this script's dir)
import hbcluster  # noqa: E402

SYSTEMS = ("hbeat", "keepalived", "keepalived-rt")
STRESS = ["stress-ng", "--cpu", "2", "--io", "1", "--vm", "1",
          "--vm-bytes", "1G"]
SETUP_BOUND_S = 90       # one cluster: namespaces, daemons, holder, settle
FAILOVER_BOUND_S = 45    # one failover_bench run, set-up to teardown
WATCH_S = 1.0            # the daemons are checked this often in the soak
# keepalived's log: "(VI_BENCH) Entering MASTER STATE", "... STATE (init)"
KA_STATE = re.compile(r"\(VI_BENCH\) Entering (\w+) STATE")
SCHED = {os.SCHED_OTHER: "other", os.SCHED_FIFO: "fifo", os.SCHED_RR: "rr",
         os.SCHED_BATCH: "batch", os.SCHED_IDLE: "idle"}


class Interrupted(Exception):
    """SIGINT, SIGTERM, or the run's time bound (SIGALRM)."""


def on_signal(signum, _frame):
    # Once: the cleanup the exception unwinds through must not be cut short
    # by a second signal (its own steps have time limits).
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def system_interval(system, interval_ms):
    """The interval `system` runs at for a requested interval: keepalived
    advertises in centiseconds, at least 0.01 s."""
    if system == "hbeat":
        return interval_ms
    return max(10, int(round(interval_ms / 10.0)) * 10)


# ------------------------------------------------------------ rates

def poisson_upper(n, conf=0.95):
    """Upper `conf` bound of the mean of a Poisson count n (bisection on
    P(X <= n) = 1 - conf)."""
    def cdf(lam):
        term = total = math.exp(-lam)
        for k in range(1, n + 1):
            term *= lam / k
            total += term
        return total
    lo, hi = 0.0, 10.0 + 10 * n
    for _ in range(100):
        mid = (lo + hi) / 2
        if cdf(mid) > 1 - conf:
            lo = mid
        else:
            hi = mid
    return hi


def rate(n, seconds):
    """A count with its rate per hour and the rate's 95 % upper bound."""
    h = seconds / 3600.0
    return {"count": n, "per_hour": n / h,
            "per_hour_upper95": poisson_upper(n) / h}


def fmt_rate(r):
    if r["count"] == 0:
        return f"0 (<{r['per_hour_upper95']:.0f}/h)"
    return f"{r['count']} ({r['per_hour']:.0f}/h)"


# ------------------------------------------------------------ watchers

class AddressMonitor:
    """`ip monitor address` in every node's namespace, each line stamped by
    ip (-ts, wall clock) into a file of the cluster's work directory.
    Started before the daemons so that the timeline is whole; `timeout`
    ends each monitor even if this script is killed."""

    def __init__(self, c, host, bound_s):
        self.c = c
        self.needle = f" inet {host}/"
        self.files = {i: c.path(f"ipmon-n{i}.txt") for i in c.nodes}
        self.procs = {}
        try:
            for i, node in c.nodes.items():
                with open(self.files[i], "wb") as out:
                    self.procs[i] = subprocess.Popen(
                        ["timeout", "-s", "KILL", str(int(bound_s)), "ip",
                         "-ts", "-o", "-n", node.ns, "monitor", "address"],
                        stdin=subprocess.DEVNULL, stdout=out,
                        stderr=subprocess.STDOUT, start_new_session=True)
            self._wait_listening()
        except BaseException:
            self.close()
            raise

    def _wait_listening(self, timeout=10.0):
        """Until every monitor has reported a probe address on the node's
        loopback (so none misses the daemons' first VIP add): the probe
        comes and goes again until seen, ip subscribes a moment after its
        start."""
        probe = "127.0.0.213/32"
        waiting = dict(self.c.nodes)
        end = time.monotonic() + timeout
        while waiting:
            for node in waiting.values():
                for op in ("add", "del"):
                    hbcluster._run(["ip", "-n", node.ns, "addr", op, probe,
                                    "dev", "lo"])
            time.sleep(0.05)
            for i in list(waiting):
                with open(self.files[i], "rb") as f:
                    if b" 127.0.0.213/" in f.read():
                        del waiting[i]
            if waiting and time.monotonic() > end:
                raise hbcluster.HarnessError(
                    "ip monitor does not report addresses in "
                    + ", ".join(f"n{i}" for i in waiting))

    def close(self):
        for p in self.procs.values():
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @staticmethod
    def _wall_ns(stamp):
        """ip's -ts stamp (local time, microseconds) as time.time_ns()."""
        dt = datetime.datetime.fromisoformat(stamp)
        return (int(dt.replace(microsecond=0).timestamp()) * 10**9
                + dt.microsecond * 1000)

    def timeline(self):
        """[(wall ns, node, +1 add / -1 del)] of the VIP, time order."""
        out = []
        for i, path in self.files.items():
            with open(path, errors="replace") as f:
                for line in f:
                    if self.needle not in line or not line.startswith("["):
                        continue
                    stamp, rest = line[1:].split("]", 1)
                    op = -1 if rest.lstrip().startswith("Deleted") else 1
                    out.append((self._wall_ns(stamp), i, op))
        out.sort()
        return out


def episodes(counts, t0_ns, t1_ns, pred):
    """Stretches of [t0, t1] during which pred(number of holders) held,
    from [(t, holders from t on)] in time order: {episodes, total_ms,
    max_ms, list}."""
    out, start = [], None
    for t, n in counts + [(t1_ns, None)]:
        t = min(max(t, t0_ns), t1_ns)
        if start is not None and (n is None or not pred(n)):
            if t > start:
                out.append((start, t))
            start = None
        if start is None and n is not None and pred(n):
            start = t
    ms = [(b - a) / 1e6 for a, b in out]
    return {"episodes": len(ms), "total_ms": sum(ms),
            "max_ms": max(ms, default=0.0),
            "list": [{"at_ms": (a - t0_ns) / 1e6, "ms": (b - a) / 1e6}
                     for a, b in out]}


def vip_analysis(timeline, t0_ns, t1_ns, home):
    """From the merged ip-monitor timelines (wall ns): the VIP's adds and
    dels within [t0, t1], how many of the adds were on another node than
    `home` (the holder at t0; a re-add on it is a break in service, not a
    move), the stretches with two holders or more (split-brain) and with
    none (the VIP down)."""
    held, counts, changes = set(), [], []
    for t, i, op in timeline:
        if t > t1_ns:
            break
        if (op > 0) == (i in held):
            continue                  # an update of an address held
        if op > 0:
            held.add(i)
        else:
            held.discard(i)
        counts.append((t, len(held)))
        if t >= t0_ns:
            changes.append({"at_ms": round((t - t0_ns) / 1e6, 3),
                            "node": f"n{i}",
                            "op": "add" if op > 0 else "del"})
    adds = [x for x in changes if x["op"] == "add"]
    return {"adds": len(adds),
            "adds_elsewhere": sum(1 for x in adds if x["node"] != home),
            "dels": len(changes) - len(adds), "changes": changes,
            "split_brain": episodes(counts, t0_ns, t1_ns, lambda n: n >= 2),
            "down": episodes(counts, t0_ns, t1_ns, lambda n: n == 0)}


@contextlib.contextmanager
def stress(enabled, seconds, cwd):
    """stress-ng in the root namespace for `seconds` (its own --timeout
    too); killed with its workers, as a process group, on the way out."""
    if not enabled:
        yield None
        return
    argv = STRESS + ["--timeout", f"{int(math.ceil(seconds))}s"]
    with open(os.path.join(cwd, "stress-ng.log"), "wb") as log:
        p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log, start_new_session=True)
    try:
        yield p
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(10)


# ------------------------------------------------------------ counting

def hbeat_snapshot(c):
    """Counters of every node that answers: {node: counters}."""
    out = {}
    for i in c.nodes:
        with contextlib.suppress(OSError, hbcluster.ControlError):
            out[i] = c.status(i)["counters"]
    return out


def hbeat_counts(c, t0_ns, t1_ns, before, after):
    """What the event streams and counters say about [t0, t1] (mono ns)."""
    role, peer = collections.Counter(), collections.Counter()
    reasons = collections.Counter()
    for i in c.nodes:
        for e in c.watcher(i).snapshot():
            if not t0_ns <= e.get("at_ns", 0) <= t1_ns:
                continue
            kind = e.get("event", "peer_state")
            if kind == "role":
                role[e.get("new")] += 1
                reasons[e.get("reason")] += 1
            elif kind == "peer_state":
                peer[e.get("new")] += 1
    grew = {k: sum(after[i].get(k, 0) - before[i].get(k, 0)
                   for i in after if i in before)
            for k in ("local_pauses", "send_late", "rx_accepted")}
    return {"elections": role["candidate"],
            "leaders_elected": reasons["elected"],
            "dead_verdicts": peer["dead"], "suspicions": peer["suspect"],
            "lease_expiries": reasons["lease expired"],
            "role_reasons": dict(reasons), "counters_grew": grew}


def keepalived_offsets(c):
    return {i: os.path.getsize(c.path(f"ka-n{i}.log")) for i in c.nodes}


def keepalived_counts(c, offsets):
    """State entries in the keepalived logs since `offsets`."""
    states = collections.Counter()
    for i in c.nodes:
        with open(c.path(f"ka-n{i}.log"), "rb") as f:
            f.seek(offsets[i])
            text = f.read().decode("utf-8", "replace")
        states.update(KA_STATE.findall(text))
    return {"transitions": sum(states.values()), "by_state": dict(states)}


def scheduling(c, b):
    """How each node's daemon runs (the process that sends heartbeats or
    adverts: hbeatd, keepalived's VRRP child): policy, priority, locked
    memory. Shows whether the real-time options took effect."""
    out = {}
    for i in c.nodes:
        try:
            if b.system == "hbeat":
                pid = c.pid(i)
            else:
                with open(c.path(f"ka-n{i}-vrrp.pid")) as f:
                    pid = int(f.read().split()[0])
            policy = os.sched_getscheduler(pid) & ~os.SCHED_RESET_ON_FORK
            policy = SCHED.get(policy, str(policy))
            prio = os.sched_getparam(pid).sched_priority
            with open(f"/proc/{pid}/status") as f:
                lck = [ln.split(":")[1].strip() for ln in f
                       if ln.startswith("VmLck:")]
            out[f"n{i}"] = (f"{policy} {prio}, locked "
                            f"{lck[0] if lck else '?'}")
        except (OSError, ValueError, IndexError) as e:
            out[f"n{i}"] = f"unknown: {e}"
    return out


def loss_drops(c):
    return sum(c.loss_drops(i) for i in c.nodes)


# ------------------------------------------------------------ one soak

def soak(a, cell):
    """The soak of one setting (cell: system, system_interval_ms), its
    figures into `cell`."""
    system, ivl = cell["system"], cell["system_interval_ms"]
    with hbcluster.Cluster(3, interval_ms=ivl, netns=True,
                           build_dir=a.build_dir, election=True) as c:
        b = fb.Bench(c, system, ivl, "stop", a.extra)
        with AddressMonitor(c, b.host, SETUP_BOUND_S + a.duration) as mon:
            b.start()
            holder, _ = b.wait_steady(a.settle)
            is_hb = system == "hbeat"
            before = hbeat_snapshot(c) if is_hb else keepalived_offsets(c)
            t0_wall, t0 = time.time_ns(), time.monotonic_ns()
            b.impair(a.loss_percent)
            exits = []
            with stress(a.stress, a.duration, c.workdir) as st:
                end = t0 + int(a.duration * 1e9)
                while time.monotonic_ns() < end and not exits:
                    time.sleep(max(0.0, min(
                        WATCH_S, (end - time.monotonic_ns()) / 1e9)))
                    exits = [f"n{i}" for i in c.nodes if not (
                        c.running(i) if is_hb
                        else b.kprocs[i].poll() is None)]
                # stress-ng gone early (it refused its --vm-bytes...)?
                rc = st.poll() if st else None
                stress_ran = (None if st is None else
                              "to the end" if rc in (None, 0) else
                              f"exited {rc} early")
                t1_wall, t1 = time.time_ns(), time.monotonic_ns()
            secs = (t1 - t0) / 1e9
            cell.update(duration_s=secs, holder_at_start=f"n{holder}",
                        loss_drops=loss_drops(c),
                        scheduling=scheduling(c, b), stress=stress_ran)
            if exits:
                cell["error"] = (f"daemon gone during the soak: "
                                 f"{', '.join(exits)}")
            if is_hb:
                cell["hbeat"] = hbeat_counts(
                    c, t0, t1, before, hbeat_snapshot(c))
            else:
                cell["keepalived"] = keepalived_counts(c, before)
        cell["vip"] = vip_analysis(mon.timeline(), t0_wall, t1_wall,
                                   f"n{holder}")
    cell["rates"] = {"vip_moves": rate(cell["vip"]["adds"], secs)}
    for key, src in (("elections", "hbeat"), ("dead_verdicts", "hbeat"),
                     ("lease_expiries", "hbeat"),
                     ("transitions", "keepalived")):
        if src in cell:
            cell["rates"][key] = rate(cell[src][key], secs)
    return cell


def failovers(a, cell):
    """failover_bench's hang measurement, --failovers times, into
    cell["failover"] (its summary, brought up to date after each run so
    that an interruption keeps the runs done)."""
    runs = []
    for r in range(1, a.failovers + 1):
        try:
            ms, split, old, who = fb.one_run(
                cell["system"], a.build_dir, cell["system_interval_ms"],
                a.settle, "stop", a.extra, a.loss_percent)
            runs.append({"run": r, "ms": ms, "split": split, "killed": old,
                         "answered": who})
        except (fb.RunError, hbcluster.HarnessError) as e:
            runs.append({"run": r, "ms": None, "split": False,
                         "error": str(e).splitlines()[0]})
        cell["failover"] = fb.summary(cell["system"], runs)


# ------------------------------------------------------------ output

COLUMNS = (("system", 13), ("ivl ms", 6), ("dur s", 5), ("VIP adds", 13),
           ("elsewhere", 9), ("VIP down", 13), ("split-brain", 13),
           ("elections", 13), ("dead verdicts", 13), ("lease exp.", 13),
           ("ka transitions", 14))


def print_table(cells):
    def row(values):
        print(" ".join(f"{v:{w}s}" for v, (_, w) in zip(values, COLUMNS))
              .rstrip())
    row([t for t, _ in COLUMNS])
    for cell in cells:
        if "rates" not in cell:
            print(f"{cell['system']:14s} {cell['interval_ms']:6d}  "
                  f"FAILED: {cell.get('error', 'interrupted')}")
            continue
        r, vip = cell["rates"], cell["vip"]
        row([cell["system"], f"{cell['system_interval_ms']:6d}",
             f"{cell['duration_s']:5.0f}", fmt_rate(r["vip_moves"]),
             str(vip["adds_elsewhere"])]
            + [f"{e['episodes']}, {e['total_ms']:.1f} ms"
               for e in (vip["down"], vip["split_brain"])]
            + [fmt_rate(r[k]) if k in r else "-" for k in
               ("elections", "dead_verdicts", "lease_expiries",
                "transitions")])
        if "error" in cell:
            print(f"{'':14s} ({cell['error']})")
    fo = [c for c in cells if "failover" in c]
    if fo:
        print("\nhang failovers (SIGSTOP of the VIP holder, same loss, no "
              "stress): n, median / min / max")
        for cell in fo:
            s = cell["failover"]
            line = (f"{cell['system']:14s} {cell['system_interval_ms']:6d}  "
                    f"n {s['failovers']}/{s['runs']}")
            if s["failovers"]:
                line += (f"  {s['median_ms']:.0f} / {s['min_ms']:.0f} / "
                         f"{s['max_ms']:.0f} ms")
            line += (f"  no failover {s['no_failover_runs']}, setup errors "
                     f"{s['setup_error_runs']}, split-brain runs "
                     f"{s['split_brain_runs']}")
            print(line)


# ------------------------------------------------------------ main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("--duration", type=float, default=600.0,
                    help="seconds of soak per system and interval "
                    "(default 600)")
    ap.add_argument("--interval-ms", type=int, nargs="+",
                    default=[100, 10, 3])
    ap.add_argument("--loss", type=float, default=0.05,
                    help="share of heartbeats/adverts each directed link "
                    "drops (default 0.05; whole percents)")
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help="comma-separated, of " + ", ".join(SYSTEMS))
    ap.add_argument("--stress", action=argparse.BooleanOptionalAction,
                    default=True, help="run " + " ".join(STRESS))
    ap.add_argument("--settle", type=float, default=2.0,
                    help="steady seconds with one holder before the soak "
                    "(and before each failover)")
    ap.add_argument("--failovers", type=int, default=0, metavar="N",
                    help="hang failovers per setting after its soak")
    ap.add_argument("--hbeat-config", metavar="JSON", default="{}",
                    help="settings merged into every hbeatd config (its "
                    "realtime.* keys, a detector...), e.g. "
                    "'{\"detector\": {\"kind\": \"fixed\"}}'")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    a.systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    bad = [s for s in a.systems if s not in SYSTEMS]
    problems = [f"--systems: unknown {', '.join(bad)}"] if bad else []
    try:
        a.extra = json.loads(a.hbeat_config)
    except ValueError as e:
        problems.append(f"--hbeat-config: {e}")
    a.loss_percent = round(a.loss * 100)
    if not 0 <= a.loss_percent <= 100 or abs(a.loss_percent
                                             - a.loss * 100) > 1e-6:
        problems.append("--loss: a share in 0..1 in whole percents")
    if a.duration <= 0 or a.failovers < 0:
        problems.append("--duration must be > 0, --failovers >= 0")
    if any(not 1 <= n <= 25500 for n in a.interval_ms):
        problems.append("--interval-ms: 1..25500")
    for p in problems:
        print(f"soak_bench: {p}", file=sys.stderr)
    if problems:
        sys.exit(2)
    return a


def install_missing(a):
    """stress-ng and keepalived, through the project's installer."""
    need = [pkg for pkg, cmd, wanted in (
        ("stress-ng", "stress-ng", a.stress),
        ("keepalived", "keepalived", any(s != "hbeat" for s in a.systems)))
        if wanted and shutil.which(cmd) is None]
    if need:
        p = subprocess.run([os.path.join(REPO, "scripts", "install-deps")]
                           + need, timeout=900)
        if p.returncode != 0 or any(shutil.which(x) is None for x in need):
            print(f"soak_bench: could not install {' '.join(need)} "
                  "(scripts/install-deps)", file=sys.stderr)
            sys.exit(2)


def plan(a):
    """[(system, interval)] in run order: by interval, then system; a
    keepalived setting whose advert_int was already run for another
    interval (3 and 10 ms both run at 0.01 s) runs once."""
    out, seen = [], set()
    for interval_ms in a.interval_ms:
        for system in a.systems:
            key = (system, system_interval(system, interval_ms))
            if key in seen:
                print(f"soak_bench: {system} at {key[1]} ms already in the "
                      f"run; not again for {interval_ms} ms",
                      file=sys.stderr)
                continue
            seen.add(key)
            out.append((system, interval_ms))
    return out


def main():
    a = parse_args()
    if os.geteuid() != 0:
        print("soak_bench: needs root (network namespaces, nftables, "
              "packages)", file=sys.stderr)
        sys.exit(2)
    install_missing(a)
    fb.need_netns("soak_bench")
    settings = plan(a)
    bound = int(len(settings) * (SETUP_BOUND_S + a.duration
                           + a.failovers * FAILOVER_BOUND_S))
    kver = (fb.keepalived_version() if any(s != "hbeat" for s in a.systems)
            else None)
    out = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "duration_s": a.duration, "loss": a.loss,
           "stress": STRESS if a.stress else None,
           "hbeat_config": a.extra, "keepalived_version": kver,
           "cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg(),
           "cells": []}
    load = "stress " + " ".join(STRESS[1:]) if a.stress else "no stress"
    print(f"soak: {a.duration:g} s per setting, loss {a.loss_percent} % per "
          f"directed link, {load}, systems {', '.join(a.systems)}, intervals "
          f"{', '.join(map(str, a.interval_ms))} ms"
          + (f", hbeat settings {a.hbeat_config}" if a.extra else "")
          + (f", {kver}" if kver else "")
          + f"; load average {os.getloadavg()[0]:.1f}; bound {bound} s",
          flush=True)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(s, on_signal)
    signal.alarm(bound)
    status = 0
    try:
        with fb.frozen_build(a.build_dir, "soak_bench") as a.build_dir:
            for system, interval_ms in settings:
                run_cell(a, system, interval_ms, out["cells"])
    except Interrupted as e:
        print(f"soak_bench: stopped by {e} (namespaces and processes "
              "removed); figures so far:", file=sys.stderr)
        out["interrupted"] = str(e)
        status = 130
    finally:
        signal.alarm(0)
    print()
    print_table(out["cells"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
    sys.exit(status)


def run_cell(a, system, interval_ms, cells):
    """One setting: its soak, then its failovers; into `cells` as soon as
    there is something to show."""
    cell = {"system": system, "interval_ms": interval_ms,
            "system_interval_ms": system_interval(system, interval_ms)}
    cells.append(cell)
    print(f"{time.strftime('%H:%M:%S')} {system} at "
          f"{cell['system_interval_ms']} ms ...", flush=True)
    try:
        soak(a, cell)
    except (fb.RunError, hbcluster.HarnessError) as e:
        print(f"  FAILED: {e}", file=sys.stderr)
        cell["error"] = str(e).splitlines()[0]
    if a.failovers:
        failovers(a, cell)


if __name__ == "__main__":
    main()
