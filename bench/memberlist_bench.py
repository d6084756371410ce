#!/usr/bin/python3
"""Failure detection at scale: hashicorp memberlist as the anchor of hbeat's
gossip (issue 13, "Side by side with memberlist").

memberlist is Debian's golang-github-hashicorp-memberlist-dev; the tiny Go
program bench/memberlist (mlbench) is built here, offline, in GOPATH mode
against /usr/share/gocode (scripts/install-deps golang-go
golang-github-hashicorp-memberlist-dev, which this script asks for). Every
member runs memberlist.DefaultLANConfig() with ProbeInterval from
--probe-interval-ms (default 1000); the JSON records the whole config used.

Two modes, same scenario, same normalized events, same analysis:

* sim: N members in one Go process over an in-memory transport (nothing is
  bound or sent). The cluster forms without loss; then every UDP packet is
  lost with probability --loss at its sender, and each TCP handshake loses
  its SYN or SYN-ACK with the same probability and then waits a 1 s RTO
  (doubling), as Linux does. After --settle s, a --steady s window without
  crashes measures traffic; then --crashes members are crashed one after
  another (transport stopped, no leave), each time waiting until every live
  member holds it dead. For large N, --timescale K stretches every
  memberlist interval K times and reports times divided by K (the same run
  at 1/K of the CPU; the machine has 2 shared cores).
* real: --real-n mlbench processes on 127.0.0.1 (UDP+TCP ports --base-port
  and up; nothing else is ever addressed), memberlist's own NetTransport,
  the same loss at the sender. Same steady window and crashes (SIGKILL),
  then --pauses members each SIGSTOPped for --pause-s s and resumed:
  suspected? refuted? declared dead?

Figures per run (the JSON keeps them all):
* all_know_s: crash -> the last live member holds the crashed one dead
  (memberlist: its NotifyLeave); n, median, min, max, p99 over the crashes.
  Also first_suspect_s (first member whose own probe failed: "Suspect X
  has failed") and observer_s (every member's own delay, all crashes).
* false positives, per node-hour of live members in the measured window
  (from the steady window's start to the end, subjects that were neither
  crashed nor paused then): suspicion episodes (a live member suspected by
  someone; an episode ends when the member refutes), false dead verdicts
  ("Marking X as failed" by any member) and false dead observations (a
  member holding a live member dead).
* traffic in the steady window, per live member per second: UDP packets
  and payload bytes sent (no IP/UDP headers; lost ones included), TCP
  payload bytes (push-pull, TCP fallback pings).

Normalized events (JSON lines; both modes, and what an hbeat hook must
produce): {"ev": E, "t_ns": unix ns, ...} with E one of
  config   {"impl", "mode", "n", "loss", "config": {...}}
  formed   {"ok", "nodes": [names]}
  window   {"name": "measure", "edge": "start"|"end"}
  traffic  {"node": "*", "mark": "steady_start"|"steady_end"|"end",
            "live", "pkts", "bytes", "tcp_bytes", ...} (cumulative sums)
  crash    {"subj"}      pause {"subj", "dur_s"}     resume {"subj"}
  suspect  {"obs", "subj"}  obs's own probe of subj failed, subj suspected
  declare  {"obs", "subj"}  obs's suspicion of subj timed out: dead verdict
  dead     {"obs", "subj"}  obs now holds subj dead (from any source)
  refute   {"obs", "subj"}  subj (== obs) refuted a suspicion of itself
analyze() turns them into the result JSON; compare() prints ratios.

hbeat hook: run_hbeat_sim(cmd, ...) and run_hbeat_real(cmd, ...) below take
the hbeat command (`hbeat-sim run --topology gossip ...`, or the hbeatd
binary for 64 processes) and must return the same events for the same
scenario; --hbeat-sim / --hbeatd select them, and every size/loss then
prints hbeat/memberlist ratios. They raise NotImplementedError until
hbeat's gossip lands (issue 13).

This is a benchmark: it prints figures for docs/benchmarks.md ("memberlist
anchor") and asserts nothing.
    bench/memberlist_bench.py BUILD_DIR [--mode sim|real|both]
        [--sizes 16,64,1000] [--losses 0,0.01,0.05,0.1] [--crashes 5]
        [--steady 60] [--timescale-over 200:10] [--real-n 64]
        [--out bench/results/memberlist.json] [--events-dir DIR]
"""

import argparse
import json
import math
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
GOCODE = "/usr/share/gocode"
DEPS = ["golang-go", "golang-github-hashicorp-memberlist-dev"]


# --------------------------------------------------------------- build

def build_mlbench(build_dir):
    """Install the Go toolchain and memberlist from Debian (install-deps)
    and build BUILD_DIR/mlbench offline in GOPATH mode. Returns its path."""
    subprocess.run([os.path.join(REPO, "scripts", "install-deps")] + DEPS,
                   check=True)
    out = os.path.abspath(os.path.join(build_dir, "mlbench"))
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOCODE,
               GOCACHE=os.path.abspath(os.path.join(build_dir, "go-cache")),
               GOFLAGS="", CGO_ENABLED="0")
    subprocess.run(["go", "build", "-o", out, "./bench/memberlist"],
                   cwd=REPO, env=env, check=True)
    return out


# ------------------------------------------------------------ analysis

def summary(xs):
    """n, median, min, max, p99 (nearest rank) of a list of seconds."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return {"n": 0}
    p99 = xs[max(0, math.ceil(0.99 * len(xs)) - 1)]
    return {"n": len(xs), "median": round(statistics.median(xs), 3),
            "min": round(xs[0], 3), "max": round(xs[-1], 3),
            "p99": round(p99, 3)}


def analyze(events, pause_watch_s=20.0):
    """Result dict of one run from its normalized events (see the module
    doc). Independent of the implementation: hbeat's runs go through it
    too."""
    events = sorted(events, key=lambda e: e["t_ns"])
    cfg = next((e for e in events if e["ev"] == "config"), {})
    formed = next((e for e in events if e["ev"] == "formed"), {})
    nodes = list(formed.get("nodes", []))
    res = {"impl": cfg.get("impl"), "mode": cfg.get("mode"),
           "n": cfg.get("n", len(nodes)), "loss": cfg.get("loss"),
           "config": cfg.get("config"),
           "timescale": cfg.get("timescale", 1),
           "formed": formed.get("ok"),
           "formation_s": formed.get("formation_s")}
    if not formed.get("ok"):
        return res
    wstart = next((e["t_ns"] for e in events if e["ev"] == "window"
                   and e.get("edge") == "start"), None)
    wend = next((e["t_ns"] for e in events if e["ev"] == "window"
                 and e.get("edge") == "end"), events[-1]["t_ns"])

    crash_t = {e["subj"]: e["t_ns"] for e in events if e["ev"] == "crash"}
    # pause excusal: [pause, resume + watch] for the paused subject
    excused = {}
    for e in events:
        if e["ev"] == "pause":
            excused.setdefault(e["subj"], []).append(
                [e["t_ns"], e["t_ns"] + int((e.get("dur_s", 2) +
                                             pause_watch_s) * 1e9)])

    def live_at(subj, t):
        return subj not in crash_t or t < crash_t[subj]

    def is_excused(subj, t):
        return any(a <= t <= b for a, b in excused.get(subj, []))

    # crashes
    runs = []
    obs_all = []
    for e in (e for e in events if e["ev"] == "crash"):
        s, t0 = e["subj"], e["t_ns"]
        observers = {o for o in nodes if o != s and live_at(o, t0)}
        first = {}
        sus = None
        dec = None
        for x in events:
            if x["t_ns"] < t0 or x.get("subj") != s:
                continue
            if x["ev"] == "dead" and x["obs"] in observers \
                    and x["obs"] not in first:
                first[x["obs"]] = x["t_ns"]
            elif x["ev"] == "suspect" and sus is None:
                sus = x["t_ns"]
            elif x["ev"] == "declare" and dec is None:
                dec = x["t_ns"]
        # observers that crash later but before knowing do not count
        observers = {o for o in observers
                     if o in first or live_at(o, wend)}
        knew = len([o for o in observers if o in first])
        r = {"subj": s, "observers": len(observers), "knew": knew,
             "first_suspect_s": None if sus is None else (sus - t0) / 1e9,
             "first_declare_s": None if dec is None else (dec - t0) / 1e9,
             "all_know_s": None}
        if observers and knew == len(observers):
            r["all_know_s"] = (max(first.values()) - t0) / 1e9
        obs_all += [(v - t0) / 1e9 for v in first.values()]
        runs.append(r)
    res["crash"] = {
        "runs": runs,
        "all_know_s": summary([r["all_know_s"] for r in runs]),
        "incomplete": sum(1 for r in runs if r["all_know_s"] is None),
        "first_suspect_s": summary([r["first_suspect_s"] for r in runs]),
        "first_declare_s": summary([r["first_declare_s"] for r in runs]),
        "observer_s": summary(obs_all)}

    # pauses
    pauses = []
    for e in (e for e in events if e["ev"] == "pause"):
        s, t0 = e["subj"], e["t_ns"]
        t1 = t0 + int((e.get("dur_s", 2) + pause_watch_s) * 1e9)
        win = [x for x in events if t0 <= x["t_ns"] <= t1
               and x.get("subj") == s]
        sus = [x for x in win if x["ev"] == "suspect"]
        pauses.append({
            "subj": s, "dur_s": e.get("dur_s"),
            "suspected": bool(sus),
            "suspected_by": len({x["obs"] for x in sus}),
            "first_suspect_s": (sus[0]["t_ns"] - t0) / 1e9 if sus else None,
            "refuted": any(x["ev"] == "refute" for x in win),
            "declared_dead": any(x["ev"] == "declare" for x in win),
            "dead_observers": len({x["obs"] for x in win
                                   if x["ev"] == "dead"})})
    if pauses:
        res["pause"] = pauses

    # false positives
    if wstart is not None:
        node_s = 0.0
        for o in nodes:
            end = min(wend, crash_t.get(o, wend))
            node_s += max(0, end - wstart) / 1e9
        node_h = node_s / 3600
        episodes = 0
        suspects = declares = deads = 0
        open_ep = set()
        for x in events:
            if not (wstart <= x["t_ns"] <= wend):
                continue
            s = x.get("subj")
            if s is None or not live_at(s, x["t_ns"]) \
                    or is_excused(s, x["t_ns"]):
                continue
            if x["ev"] == "suspect":
                suspects += 1
                if s not in open_ep:
                    open_ep.add(s)
                    episodes += 1
            elif x["ev"] == "refute":
                open_ep.discard(s)
            elif x["ev"] == "declare":
                declares += 1
            elif x["ev"] == "dead":
                deads += 1

        def rate(k):
            return round(k / node_h, 4) if node_h else None
        res["false_positives"] = {
            "node_hours": round(node_h, 3),
            "suspicion_episodes": episodes,
            "failed_probes_to_suspect": suspects,
            "false_dead_verdicts": declares,
            "false_dead_observations": deads,
            "per_node_hour": {"suspicion_episodes": rate(episodes),
                              "false_dead_verdicts": rate(declares),
                              "false_dead_observations": rate(deads)}}

    # traffic
    tr = {e.get("mark"): e for e in events
          if e["ev"] == "traffic" and e.get("node") == "*"}
    a, b = tr.get("steady_start"), tr.get("steady_end")
    if a and b:
        dt = (b["t_ns"] - a["t_ns"]) / 1e9
        live = b["live"]
        per = dt * live
        res["traffic"] = {
            "window_s": round(dt, 1), "live": live,
            "pkts_per_node_s": round((b["pkts"] - a["pkts"]) / per, 2),
            "bytes_per_node_s": round((b["bytes"] - a["bytes"]) / per, 1),
            "tcp_bytes_per_node_s":
                round((b["tcp_bytes"] - a["tcp_bytes"]) / per, 1)}
        if "cpu_s" in a and "wall_ns" in a:
            wall = (b["wall_ns"] - a["wall_ns"]) / 1e9
            res["traffic"]["process_cpu_share"] = round(
                (b["cpu_s"] - a["cpu_s"]) / wall, 3)
            res["traffic"]["heap_mib"] = round(b["heap_bytes"] / 2**20, 1)
    return res


# ------------------------------------------------------------ sim mode

def run_memberlist_sim(mlbench, n, loss, args, events_path):
    scale = 1.0
    for rule in args.timescale_over:
        lim, k = rule.split(":")
        if n > int(lim):
            scale = max(scale, float(k))
    cmd = [mlbench, "sim", "-n", str(n), "-loss", str(loss),
           "-probe-interval", "%dms" % args.probe_interval_ms,
           "-crashes", str(args.crashes), "-steady", "%ds" % args.steady,
           "-settle", "%ds" % args.settle, "-timescale", str(scale),
           "-seed", str(args.seed), "-events", events_path]
    print("  $ " + " ".join(cmd[1:]), flush=True)
    t = time.monotonic()
    p = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    with open(events_path) as f:
        evs = [json.loads(line) for line in f if line.strip()]
    res = analyze(evs)
    res["run_s"] = round(time.monotonic() - t, 1)
    res["exit"] = p.returncode
    if p.returncode:
        res["stderr"] = p.stderr[-2000:]
    return res


# ----------------------------------------------------------- real mode

class Procs:
    """N child processes whose stdout carries JSON-line events. Collects
    them (with a receive time) in one list; signals by pid only."""

    def __init__(self, argvs, names, log, first_delay=0.5):
        self.lock = threading.Lock()
        self.events = []
        self.names = names
        self.log = log
        self.procs = []
        for k, argv in enumerate(argvs):
            self.procs.append(subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, text=True, bufsize=1,
                env=dict(os.environ, GOMAXPROCS="1")))
            if k == 0:
                time.sleep(first_delay)  # the seed listens first
        self.stop = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        fds = {p.stdout.fileno(): p for p in self.procs}
        bufs = {fd: b"" for fd in fds}
        while fds and not self.stop:
            r, _, _ = select.select(list(fds), [], [], 0.2)
            for fd in r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    del fds[fd]
                    continue
                bufs[fd] += chunk
                *lines, bufs[fd] = bufs[fd].split(b"\n")
                with self.lock:
                    for ln in lines:
                        try:
                            self.events.append(json.loads(ln))
                        except ValueError:
                            pass

    def emit(self, ev):
        ev.setdefault("t_ns", time.time_ns())
        with self.lock:
            self.events.append(ev)

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def send(self, i, line):
        try:
            self.procs[i].stdin.write(line + "\n")
            self.procs[i].stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                    p.stdin.write("quit\n")
                    p.stdin.flush()
                except OSError:
                    pass
        deadline = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        self.stop = True
        self.reader.join(2)


def real_scenario(procs, n, args, loss, dead_of, knows_all, traffic_sum):
    """The real-process scenario on a started cluster, implementation
    independent: dead_of(events, subj) -> set of observers holding subj
    dead; knows_all(events) -> True once every member sees every other;
    traffic_sum(procs, mark) emits the aggregate traffic event."""
    names = procs.names
    t0 = time.monotonic()
    formed = False
    while time.monotonic() - t0 < args.form_timeout:
        if knows_all(procs.snapshot()):
            formed = True
            break
        time.sleep(0.5)
    procs.emit({"ev": "formed", "ok": formed, "nodes": names,
                "formation_s": round(time.monotonic() - t0, 1)})
    if not formed:
        return
    for i in range(n):
        procs.send(i, "loss %g" % loss)
    time.sleep(args.settle)
    procs.emit({"ev": "window", "name": "measure", "edge": "start"})
    traffic_sum(procs, "steady_start")
    time.sleep(args.steady)
    traffic_sum(procs, "steady_end")
    rng = random.Random(args.seed)
    down = set()
    for _ in range(args.crashes):
        i = rng.choice([k for k in range(1, n) if k not in down])
        down.add(i)
        procs.emit({"ev": "crash", "subj": names[i]})
        os.kill(procs.procs[i].pid, signal.SIGKILL)
        t = time.monotonic()
        want = {names[k] for k in range(n) if k not in down}
        while time.monotonic() - t < args.crash_timeout:
            if want <= dead_of(procs.snapshot(), names[i]):
                break
            time.sleep(0.1)
        time.sleep(args.gap)
    for _ in range(args.pauses):
        i = rng.choice([k for k in range(1, n) if k not in down])
        procs.emit({"ev": "pause", "subj": names[i],
                    "dur_s": args.pause_s})
        os.kill(procs.procs[i].pid, signal.SIGSTOP)
        time.sleep(args.pause_s)
        os.kill(procs.procs[i].pid, signal.SIGCONT)
        procs.emit({"ev": "resume", "subj": names[i]})
        time.sleep(args.pause_watch)
    traffic_sum(procs, "end")
    procs.emit({"ev": "window", "name": "measure", "edge": "end"})


def run_memberlist_real(mlbench, n, loss, args, events_path):
    names = ["p%02d" % i for i in range(n)]
    base = args.base_port
    argvs = []
    for i in range(n):
        seeds = ",".join("127.0.0.1:%d" % (base + j)
                         for j in range(min(i, 3)))
        argv = [mlbench, "node", "-name", names[i], "-port", str(base + i),
                "-probe-interval", "%dms" % args.probe_interval_ms,
                "-seed", str(args.seed * 1000 + i)]
        if seeds:
            argv += ["-join", seeds]
        argvs.append(argv)
    log = open(events_path + ".stderr", "w")
    print("  $ %d x mlbench node -port %d.. (127.0.0.1), loss %g"
          % (n, base, loss), flush=True)
    t = time.monotonic()
    procs = None
    try:
        procs = Procs(argvs, names, log)
        cfg = None
        while cfg is None and time.monotonic() - t < 10:
            cfg = next((e for e in procs.snapshot()
                        if e["ev"] == "node_config"), None)
            time.sleep(0.1)
        procs.emit({"ev": "config", "impl": "memberlist", "mode": "real",
                    "n": n, "loss": loss,
                    "config": cfg and cfg.get("config")})

        def dead_of(evs, subj):
            return {e["obs"] for e in evs
                    if e["ev"] == "dead" and e["subj"] == subj}

        def knows_all(evs):
            seen = {}
            for e in evs:
                if e["ev"] == "join":
                    seen.setdefault(e["obs"], set()).add(e["subj"])
            return len(seen) == n and all(len(v) >= n
                                          for v in seen.values())

        def traffic_sum(procs, mark):
            t_mark = time.time_ns()
            for i in range(n):
                procs.send(i, "stats")
            time.sleep(1.0)
            latest = {}
            for e in procs.snapshot():
                if e["ev"] == "traffic" and e.get("node") != "*" \
                        and e["t_ns"] >= t_mark:
                    latest[e["node"]] = e
            agg = {"ev": "traffic", "node": "*", "mark": mark,
                   "t_ns": t_mark, "live": len(latest)}
            for k in ("pkts", "bytes", "lost", "tcp_conns", "tcp_bytes"):
                agg[k] = sum(e[k] for e in latest.values())
            procs.emit(agg)

        real_scenario(procs, n, args, loss, dead_of, knows_all,
                      traffic_sum)
    finally:
        if procs:
            procs.close()
        log.close()
    evs = procs.snapshot()
    with open(events_path, "w") as f:
        for e in sorted(evs, key=lambda e: e["t_ns"]):
            f.write(json.dumps(e) + "\n")
    res = analyze(evs, pause_watch_s=args.pause_watch)
    res["run_s"] = round(time.monotonic() - t, 1)
    return res


# ----------------------------------------------------------- hbeat hook

def run_hbeat_sim(hbeat_sim_cmd, n, loss, args, events_path):
    """hbeat's half of a sim run: run `hbeat_sim_cmd` (a list, e.g.
    [BUILD/hbeat-sim, "run", "--topology", "gossip"]) for n nodes at
    --probe-interval-ms, loss `loss`, --steady s steady window, then
    --crashes crashes one after another, and return the normalized events
    of the module doc (config/formed/window/traffic/crash/suspect/declare/
    dead/refute), written to events_path too. analyze() does the rest.

    hbeat-sim runs on a virtual clock, so "one after another" is a fixed
    --crash-gap (default 60 s: longer than the longest suspicion timeout
    at these sizes) between crashes of random members other than n1; the
    window starts after --settle s and ends at the end of the run. The
    event lines of hbeat-sim ("T ms OBS: SUBJ FROM -> TO (REASON, x)")
    map to: -> suspect: suspect; suspect -> dead (dead_after, the
    observer's own suspicion timed out): declare and dead; any other ->
    dead: dead; suspect -> alive of the last observer still suspecting
    the subject: refute (hbeat-sim does not print the subject's own
    refutation; a suspicion episode is thus one stretch of time in which
    some member suspects the live subject, as memberlist's episode ends
    with the refutation that clears it everywhere). Traffic is
    hbeat-sim's own count of what each node sends per second after
    --warmup-s (= --settle), all message types, payload bytes (the hbeat
    header and authenticator included, no IP/UDP headers)."""
    import re
    rng = random.Random(args.seed)
    pi = args.probe_interval_ms
    gap_ms = int(getattr(args, "crash_gap", 60) * 1000)
    t_crash0 = (args.settle + args.steady) * 1000
    victims = rng.sample(range(2, n + 1), min(args.crashes, n - 2))
    crashes = [(v, t_crash0 + k * gap_ms) for k, v in enumerate(victims)]
    # --sim-pauses: after the crashes, members paused --pause-s s each
    # (SIGSTOP-like: a slow process), --pause-watch s apart
    t_p = t_crash0 + len(crashes) * gap_ms
    pauses = []
    live = [i for i in range(2, n + 1) if i not in victims]
    for k in range(min(getattr(args, "sim_pauses", 0), len(live))):
        v = rng.choice(live)
        live.remove(v)
        pauses.append((v, t_p, int(args.pause_s * 1000)))
        t_p += int((args.pause_s + args.pause_watch) * 1000)
    dur_s = t_p / 1000 + 5
    cmd = list(hbeat_sim_cmd) + [
        "--nodes", str(n), "--seed", str(args.seed),
        "--interval-ms", str(pi), "--loss", str(loss),
        "--duration-s", "%g" % dur_s, "--warmup-s", str(args.settle)]
    for v, t in crashes:
        cmd += ["--fault", "crash:%d:%d" % (v, t)]
    for v, t, d in pauses:
        cmd += ["--pause", "%d:%d:%d" % (v, t, d)]
    print("  $ " + " ".join(cmd[1:]), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    names = ["n%d" % i for i in range(1, n + 1)]
    evs = [{"ev": "config", "t_ns": 0, "impl": "hbeat", "mode": "sim",
            "n": n, "loss": loss,
            "config": {"cmd": cmd[1:], "probe_interval_ms": pi}},
           {"ev": "formed", "t_ns": 0, "ok": p.returncode == 0,
            "nodes": names, "formation_s": 0}]
    line_re = re.compile(r"^\s*([0-9.]+) ms (n\d+): (n\d+) (\w+) -> (\w+)"
                         r" \((\w+)")
    sent_re = re.compile(r"; all ([0-9.]+) \(([0-9.]+) B\)")
    pkts = byts = None
    holders = {}
    for ln in p.stdout.splitlines():
        m = line_re.match(ln)
        if m:
            t_ns = int(float(m.group(1)) * 1e6)
            obs, subj, frm, to, why = m.group(2, 3, 4, 5, 6)
            if frm == "suspect":
                holders.setdefault(subj, set()).discard(obs)
            if to == "suspect":
                holders.setdefault(subj, set()).add(obs)
                evs.append({"ev": "suspect", "t_ns": t_ns, "obs": obs,
                            "subj": subj})
            elif to == "dead":
                if frm == "suspect" and why == "dead_after":
                    evs.append({"ev": "declare", "t_ns": t_ns, "obs": obs,
                                "subj": subj})
                evs.append({"ev": "dead", "t_ns": t_ns, "obs": obs,
                            "subj": subj})
            elif frm == "suspect" and to == "alive" \
                    and not holders[subj]:
                evs.append({"ev": "refute", "t_ns": t_ns, "obs": subj,
                            "subj": subj})
            continue
        m = sent_re.search(ln)
        if m and ln.startswith("sent per node"):
            pkts, byts = float(m.group(1)), float(m.group(2))
    for v, t in crashes:
        evs.append({"ev": "crash", "t_ns": t * 1000000, "subj": "n%d" % v})
    for v, t, d in pauses:
        evs.append({"ev": "pause", "t_ns": t * 1000000, "subj": "n%d" % v,
                    "dur_s": d / 1000})
        evs.append({"ev": "resume", "t_ns": (t + d) * 1000000,
                    "subj": "n%d" % v})
    w0 = args.settle * 10**9
    w1 = int(dur_s * 10**9)
    evs.append({"ev": "window", "name": "measure", "edge": "start",
                "t_ns": w0})
    evs.append({"ev": "window", "name": "measure", "edge": "end",
                "t_ns": w1})
    if pkts is not None:
        # hbeat-sim's rates are over the whole run after the warmup
        # (crashes included); spread over the steady window.
        t1 = w0 + args.steady * 10**9
        for mark, t, k in (("steady_start", w0, 0),
                           ("steady_end", t1, args.steady * n)):
            evs.append({"ev": "traffic", "node": "*", "mark": mark,
                        "t_ns": t, "live": n, "pkts": pkts * k,
                        "bytes": byts * k, "tcp_bytes": 0})
    with open(events_path, "w") as f:
        for e in sorted(evs, key=lambda e: e["t_ns"]):
            f.write(json.dumps(e) + "\n")
    if p.returncode:
        sys.stderr.write(p.stderr[-2000:])
    return evs


def run_hbeat_real(hbeatd_cmd, n, loss, args, events_path):
    """hbeat's half of a real run: n hbeatd processes (`hbeatd_cmd` is the
    argv prefix; configs made here, gossip topology, loopback ports from
    --base-port) driven by real_scenario() with its dead_of / knows_all /
    traffic_sum callbacks fed from each daemon's event stream; returns
    analyze()-able events.

    The daemons are started by the system tests' harness
    (tests/system/hbcluster.py) on 127.0.0.1 ports it picks, never in
    network namespaces (64 namespaces on one bridge overflow the
    kernel's neighbour table): n1 is every node's one configured peer,
    the others are learned by gossip, topology gossip with hbeatd's
    defaults at --probe-interval-ms. hbeatd has no loss injection at the
    sender: runs with loss > 0 are reported as not formed. Events come
    from each daemon's event stream (monotonic at_ns, mapped to unix
    time): -> suspect: suspect; suspect -> dead (dead_after): declare
    and dead; other -> dead: dead; suspect -> alive: refute. No traffic
    figures (the daemons' counters are not summed here)."""
    sys.path.insert(0, os.path.join(REPO, "tests", "system"))
    import hbcluster
    build_dir = os.path.dirname(os.path.abspath(hbeatd_cmd[0]))
    names = ["n%d" % i for i in range(1, n + 1)]
    evs0 = [{"ev": "config", "t_ns": time.time_ns(), "impl": "hbeat",
             "mode": "real", "n": n, "loss": loss,
             "config": {"topology": "gossip",
                        "interval_ms": args.probe_interval_ms}}]
    if loss > 0:
        print("  hbeatd: no sender loss injection; run skipped")
        evs0.append({"ev": "formed", "t_ns": time.time_ns(), "ok": False,
                     "nodes": names})
        return evs0
    off = time.time_ns() - time.monotonic_ns()
    c = hbcluster.Cluster(n, netns=False, build_dir=build_dir,
                          interval_ms=args.probe_interval_ms,
                          extra_config={"topology": {"kind": "gossip"}})

    def subj_of(peer):
        return "n1" if peer == "n1" else "n" + peer.split(":")[-1]

    class P:
        pass
    procs = P()
    procs.names = names
    procs.extra = list(evs0)

    def emit(e):
        e = dict(e)
        e.setdefault("t_ns", time.time_ns())
        procs.extra.append(e)

    def snapshot():
        out = list(procs.extra)
        for k, i in enumerate(c.nodes):
            try:
                w = c.watcher(i)
            except hbcluster.HarnessError:
                continue
            for e in w.snapshot():
                if e.get("event", "peer_state") != "peer_state" \
                        or "peer" not in e:
                    continue
                t = e.get("at_ns", 0) + off
                obs, s = names[k], subj_of(e["peer"])
                new, old = e.get("new"), e.get("old")
                if new == "suspect":
                    out.append({"ev": "suspect", "t_ns": t, "obs": obs,
                                "subj": s})
                elif new == "dead":
                    if old == "suspect" and e.get("reason") == "dead_after":
                        out.append({"ev": "declare", "t_ns": t, "obs": obs,
                                    "subj": s})
                    out.append({"ev": "dead", "t_ns": t, "obs": obs,
                                "subj": s})
                elif old == "suspect" and new == "alive":
                    out.append({"ev": "refute", "t_ns": t, "obs": s,
                                "subj": s})
        return out
    procs.emit = emit
    procs.snapshot = snapshot
    procs.send = lambda i, line: None
    try:
        for i in c.nodes:
            cfg = c.config_dict(i)
            if i == 1:
                cfg.pop("peers")
            else:
                cfg["peers"] = [p for p in cfg["peers"]
                                if p["name"] == "n1"]
            c.write_config(i, cfg)
        for i in c.nodes:
            c.start(i, wait=False)
        for i in c.nodes:
            c.wait_ready(i, timeout=30.0)
        procs.procs = [c.nodes[i].proc for i in c.nodes]

        def dead_of(evs, subj):
            return {e["obs"] for e in evs
                    if e["ev"] == "dead" and e["subj"] == subj}

        def knows_all(evs):
            for i in c.nodes:
                m = c.members(i, timeout=5.0)
                if sum(1 for v in m.values() if v == "alive") < n - 1:
                    return False
            return True

        def traffic_sum(procs, mark):
            pass
        real_scenario(procs, n, args, loss, dead_of, knows_all,
                      traffic_sum)
        evs = snapshot()
    finally:
        for i in c.running_nodes():
            c.resume(i)
            try:
                c.stop(i, timeout=5.0)
            except hbcluster.DaemonError:
                pass
        c.close()
    with open(events_path, "w") as f:
        for e in sorted(evs, key=lambda e: e["t_ns"]):
            f.write(json.dumps(e) + "\n")
    return evs


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 2)


def compare(hb, ml):
    """hbeat / memberlist ratios of one size and loss (< 1: hbeat better
    for times, traffic and false positives)."""
    def g(r, *path):
        for p in path:
            r = r.get(p) if isinstance(r, dict) else None
        return r
    out = {}
    for key, path in [
            ("all_know_median", ("crash", "all_know_s", "median")),
            ("all_know_p99", ("crash", "all_know_s", "p99")),
            ("suspicions_per_node_h", ("false_positives", "per_node_hour",
                                       "suspicion_episodes")),
            ("false_dead_per_node_h", ("false_positives", "per_node_hour",
                                       "false_dead_verdicts")),
            ("bytes_per_node_s", ("traffic", "bytes_per_node_s")),
            ("pkts_per_node_s", ("traffic", "pkts_per_node_s"))]:
        out[key] = ratio(g(hb, *path), g(ml, *path))
    return out


# ---------------------------------------------------------------- main

def fmt_sum(s):
    if not s or not s.get("n"):
        return "n=0"
    return "n=%d median %.2f min %.2f max %.2f p99 %.2f" % (
        s["n"], s["median"], s["min"], s["max"], s["p99"])


def print_result(r):
    head = "%s %s n=%s loss=%g%%" % (r.get("impl"), r.get("mode"),
                                     r.get("n"), 100 * (r.get("loss") or 0))
    if r.get("timescale", 1) != 1:
        head += " (timescale %g)" % r["timescale"]
    print(head)
    if not r.get("formed"):
        print("  cluster did not form")
        return
    c = r.get("crash", {})
    print("  crash, all live members know (s): " + fmt_sum(c.get(
        "all_know_s")) + ("  [%d incomplete]" % c["incomplete"]
                          if c.get("incomplete") else ""))
    print("  crash, first suspicion (s):      " + fmt_sum(
        c.get("first_suspect_s")))
    print("  crash, each observer (s):        " + fmt_sum(
        c.get("observer_s")))
    for p in r.get("pause", []):
        print("  pause %.0f s: suspected %s (by %d, after %s s), refuted %s, "
              "declared dead %s (%d observers)" % (
                  p["dur_s"], p["suspected"], p["suspected_by"],
                  None if p["first_suspect_s"] is None
                  else round(p["first_suspect_s"], 2),
                  p["refuted"], p["declared_dead"], p["dead_observers"]))
    fp = r.get("false_positives")
    if fp:
        ph = fp["per_node_hour"]
        print("  false positives over %.2f node-hours: %d suspicion "
              "episodes (%s/node-h), %d false dead verdicts (%s/node-h), "
              "%d false dead observations" % (
                  fp["node_hours"], fp["suspicion_episodes"],
                  ph["suspicion_episodes"], fp["false_dead_verdicts"],
                  ph["false_dead_verdicts"], fp["false_dead_observations"]))
    t = r.get("traffic")
    if t:
        line = ("  traffic per member: %.2f UDP packets/s, %.0f B/s UDP "
                "payload, %.0f B/s TCP" % (
                    t["pkts_per_node_s"], t["bytes_per_node_s"],
                    t["tcp_bytes_per_node_s"]))
        if "process_cpu_share" in t:
            line += "; process CPU %.0f%% of a core, heap %.0f MiB" % (
                100 * t["process_cpu_share"], t["heap_mib"])
        print(line)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("--mode", choices=["sim", "real", "both"],
                    default="both")
    ap.add_argument("--sizes", default="16,64,1000")
    ap.add_argument("--losses", default="0,0.01,0.05,0.1")
    ap.add_argument("--big-losses", default="0.01",
                    help="losses for sizes > 200 (each run is long)")
    ap.add_argument("--probe-interval-ms", type=int, default=1000)
    ap.add_argument("--crashes", type=int, default=5)
    ap.add_argument("--steady", type=int, default=60)
    ap.add_argument("--settle", type=int, default=10)
    ap.add_argument("--gap", type=float, default=5)
    ap.add_argument("--crash-gap", type=float, default=60,
                    help="hbeat-sim: simulated s between crashes")
    ap.add_argument("--crash-timeout", type=float, default=180)
    ap.add_argument("--form-timeout", type=float, default=120)
    ap.add_argument("--timescale-over", default="200:10",
                    help="LIMIT:K,...: sim runs above LIMIT members use "
                    "timescale K")
    ap.add_argument("--real-n", type=int, default=64)
    ap.add_argument("--real-losses", default="0,0.01")
    ap.add_argument("--pauses", type=int, default=3)
    ap.add_argument("--pause-s", type=float, default=2.0)
    ap.add_argument("--sim-pauses", type=int, default=0,
                    help="hbeat-sim: pauses after the crashes (memberlist's "
                    "sim has none)")
    ap.add_argument("--pause-watch", type=float, default=20.0)
    ap.add_argument("--base-port", type=int, default=27100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1,
                    help="sim runs per size and loss, seeds --seed.. "
                    "(n=3 allows one crash a run)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results",
                                                  "memberlist.json"))
    ap.add_argument("--events-dir", default=None,
                    help="keep the events of each run here")
    ap.add_argument("--hbeat-sim", default=None,
                    help="hbeat-sim command (run_hbeat_sim hook)")
    ap.add_argument("--hbeatd", default=None,
                    help="hbeatd command (run_hbeat_real hook)")
    args = ap.parse_args()
    args.timescale_over = [r for r in args.timescale_over.split(",") if r]

    mlbench = build_mlbench(args.build_dir)
    seed0 = args.seed
    evdir = args.events_dir or tempfile.mkdtemp(prefix="mlbench-")
    os.makedirs(evdir, exist_ok=True)
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                        time.gmtime()),
               "probe_interval_ms": args.probe_interval_ms,
               "nproc": os.cpu_count(),
               "loadavg_at_start": os.getloadavg()[0],
               "runs": []}

    def record(r, hb_runner=None, hb_cmd=None, *hb_args):
        print_result(r)
        results["runs"].append(r)
        if hb_runner and hb_cmd:
            hb = analyze(hb_runner(hb_cmd.split(), *hb_args))
            print_result(hb)
            r["hbeat"] = hb
            r["ratio_hbeat_over_memberlist"] = compare(hb, r)
            print("  hbeat/memberlist: %s" % json.dumps(
                r["ratio_hbeat_over_memberlist"]))
        os.makedirs(os.path.dirname(os.path.abspath(args.out)),
                    exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")

    if args.mode in ("sim", "both"):
        for n in [int(x) for x in args.sizes.split(",") if x]:
            losses = args.losses if n <= 200 else args.big_losses
            for loss in [float(x) for x in losses.split(",") if x]:
                knew = []
                for rep in range(args.repeat):
                    args.seed = seed0 + rep
                    ev = os.path.join(evdir, "sim-%d-%g-%d.jsonl"
                                      % (n, loss, args.seed))
                    r = run_memberlist_sim(mlbench, n, loss, args, ev)
                    record(r, run_hbeat_sim, args.hbeat_sim, n, loss, args,
                           ev.replace(".jsonl", "-hbeat.jsonl"))
                    knew += [c["all_know_s"] for c in
                             r.get("crash", {}).get("runs", [])]
                args.seed = seed0
                if args.repeat > 1:
                    s = summary(knew)
                    results.setdefault("pooled", []).append(
                        {"n": n, "loss": loss, "repeats": args.repeat,
                         "all_know_s": s})
                    print("memberlist sim n=%d loss=%g%%, %d runs pooled: "
                          "all know (s) %s" % (n, 100 * loss, args.repeat,
                                               fmt_sum(s)))
    if args.mode in ("real", "both"):
        for loss in [float(x) for x in args.real_losses.split(",") if x]:
            ev = os.path.join(evdir, "real-%d-%g.jsonl" % (args.real_n,
                                                            loss))
            r = run_memberlist_real(mlbench, args.real_n, loss, args, ev)
            record(r, run_hbeat_real, args.hbeatd, args.real_n, loss, args,
                   ev.replace(".jsonl", "-hbeat.jsonl"))
    print("results: %s (events in %s)" % (args.out, evdir))


if __name__ == "__main__":
    main()
