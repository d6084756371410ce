#!/usr/bin/python3
"""Virtual-IP failover time: hbeat against keepalived, same namespaces, same
advertisement interval (issue 4).

For each run and each system (hbeat, then keepalived) it builds a fresh
cluster with tests/system/hbcluster.py: 3 node namespaces and a client
namespace on one bridge (everything inside namespaces it creates). Every
node runs a tiny TCP server on 0.0.0.0 that answers with its node name.

* hbeat: 3 hbeatd, election on, heartbeat interval --interval-ms, one VIP
  10.213.<k>.100/24 on eth0 (netlink provider).
* keepalived: 3 keepalived (VRRP only, one per node namespace, own pid
  files in the work directory), one vrrp_instance with the same VIP,
  VRRPv3 (needed for sub-second advert_int), advert_int = the interval,
  priorities 150/100/50, unicast peers, no authentication.

Real-time scheduling: hbeatd runs its heartbeat loop SCHED_FIFO with its
memory locked by default (realtime.*; off with --hbeat-config
'{"realtime": {"enabled": false}}'); keepalived does not unless
--keepalived-rt gives it vrrp_rt_priority (hbeatd's realtime.priority)
and vrrp_no_swap. Compare like with like: both on, or both off.

Once exactly one node holds the VIP, the client reaches it through the VIP
and the cluster has been steady for --settle seconds, the holder is
SIGKILLed (for keepalived: its whole process group, parent and VRRP child
at once, so that no priority-0 "I am leaving" advert is sent, as on a
crash). Failover time: from just before the kill (time.monotonic_ns) to
the end of the first client TCP exchange answered by a different node
(the client polls every 10 ms, 50 ms connect/receive timeout). The killed
node keeps its copy of the address and its TCP server (a crashed daemon
on a powered host), for both systems alike. With --fault stop the holder
is SIGSTOPped instead (a hung daemon: its sockets stay open, so no ICMP
port unreachable comes back, and only the failure detector can tell).

Split-brain: from the steady state before the kill until 1 s after the
failover, every poll lists the addresses of every live node's eth0
(`ip -n NS -o addr`); a run counts if two live nodes held the VIP at the
same poll.

This is a benchmark: it prints figures for docs/benchmarks.md and asserts
nothing. Run as root:
    bench/failover_bench.py BUILD_DIR [--runs 20] [--interval-ms 100]
                            [--settle 2] [--fault kill|stop]
                            [--hbeat-config JSON] [--keepalived-rt]
                            [--json FILE]
Exit status 2 when keepalived is not installed.
"""

import argparse
import contextlib
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import hbcluster  # noqa: E402

PORT = 9000
POLL_S = 0.010
CLIENT_TIMEOUT_S = 0.050
HOLD_TIMEOUT_S = 10.0       # start -> one holder reachable by the client
FAILOVER_TIMEOUT_S = 10.0   # kill -> another node answers
AFTER_S = 1.0               # split-brain watch after the failover

SERVER = """\
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2])))
s.listen(64)
while True:
    c, _ = s.accept()
    try:
        c.sendall(sys.argv[1].encode())
    except OSError:
        pass
    finally:
        c.close()
"""

# Polls the VIP every 10 ms. "ask": one exchange, prints the answer.
# "watch OLD LIMIT": prints "ready" once OLD answered, then (after the
# parent's "go" on stdin) the first "<monotonic_ns> <name>" answered by
# another node, or "timeout" after LIMIT seconds.
CLIENT = """\
import socket, sys, time
host, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def ask():
    try:
        c = socket.create_connection((host, port), tmo)
        try:
            c.settimeout(tmo)
            return c.recv(64).decode() or None
        finally:
            c.close()
    except OSError:
        return None
if sys.argv[4] == "ask":
    print(ask() or "-")
    sys.exit(0)
old, limit = sys.argv[5], float(sys.argv[6])
end = time.monotonic() + 10
while ask() != old:
    if time.monotonic() > end:
        print("noold", flush=True)
        sys.exit(1)
    time.sleep(0.01)
print("ready", flush=True)
sys.stdin.readline()
start = time.monotonic()
nxt = start
while time.monotonic() - start < limit:
    a = ask()
    if a is not None and a != old:
        print(time.monotonic_ns(), a, flush=True)
        sys.exit(0)
    nxt += 0.01
    d = nxt - time.monotonic()
    if d > 0:
        time.sleep(d)
    else:
        nxt = time.monotonic()
print("timeout", flush=True)
"""

KEEPALIVED_CONF = """\
global_defs {{
    router_id hbbench_{name}
    vrrp_version 3
{global_extra}}}
vrrp_instance VI_BENCH {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int {advert}
    unicast_src_ip {src}
    unicast_peer {{
{peers}
    }}
    virtual_ipaddress {{
        {vip} dev eth0
    }}
}}
"""

PRIORITIES = {1: 150, 2: 100, 3: 50}

# keepalived's real-time priority for system "keepalived-rt" (its VRRP
# process runs SCHED_RR there and locks its memory): hbeatd's default
# realtime.priority, so both run alike.
KEEPALIVED_RT_PRIORITY = 40
LOSS_PROTOCOLS = ("udp", "vrrp")    # hbeat's heartbeats, keepalived's adverts


class RunError(Exception):
    pass


def holders(c, vip, nodes):
    out = []
    for i in nodes:
        p = subprocess.run(["ip", "-n", c.nodes[i].ns, "-o", "addr", "show",
                            "dev", "eth0"], capture_output=True, text=True,
                           timeout=5)
        if f" {vip} " in p.stdout:
            out.append(i)
    return out


def ask(c, cns, client, host):
    p = c.run_in(cns, [sys.executable, client, host, str(PORT),
                       str(CLIENT_TIMEOUT_S), "ask"], timeout=5)
    return p.stdout.strip()


class Bench:
    def __init__(self, c, system, interval_ms, fault="kill", extra=None,
                 keepalived_rt=None):
        """system: "hbeat", "keepalived" or "keepalived-rt" (with its
        real-time options: vrrp_rt_priority `keepalived_rt`, default
        hbeatd's realtime.priority 40, and vrrp_no_swap); interval_ms:
        heartbeat interval or advert_int (a multiple of 10 for
        keepalived)."""
        self.c = c
        self.system = system
        self.interval_ms = interval_ms
        self.fault = fault
        self.extra = extra or {}
        if system == "keepalived-rt" and keepalived_rt is None:
            keepalived_rt = KEEPALIVED_RT_PRIORITY
        self.keepalived_rt = keepalived_rt
        self.vip = f"10.213.{c.subnet}.100/24"
        self.host = self.vip.split("/")[0]
        self.server = c.path("bench_server.py")
        self.client = c.path("bench_client.py")
        for path, text in ((self.server, SERVER), (self.client, CLIENT)):
            with open(path, "w") as f:
                f.write(text)
        self.kprocs = {}
        self.live = list(c.nodes)

    def start(self):
        c = self.c
        for i in c.nodes:
            c.spawn_in(c.nodes[i].ns, [sys.executable, self.server, f"n{i}",
                                       str(PORT)])
        self.cns = c.add_host("client", 200)
        if self.system == "hbeat":
            for i in c.nodes:
                c.write_config(i, hbcluster.deep_merge(
                    hbcluster.deep_merge(c.default_config(i), self.extra),
                    {"vips": [{"address": self.vip, "interface": "eth0"}]}))
            c.start_all()
        else:
            for i in c.nodes:
                self._start_keepalived(i)

    def _start_keepalived(self, i):
        c = self.c
        peers = "\n".join(f"        {c.nodes[j].host}" for j in c.nodes
                          if j != i)
        conf = c.path(f"ka-n{i}.conf")
        with open(conf, "w") as f:
            f.write(KEEPALIVED_CONF.format(
                name=f"n{i}", prio=PRIORITIES[i],
                advert=f"{self.interval_ms / 1000:g}", src=c.nodes[i].host,
                peers=peers, vip=self.vip,
                global_extra=keepalived_rt_defs(self.keepalived_rt)))
        log = open(c.path(f"ka-n{i}.log"), "ab")
        argv = ["ip", "netns", "exec", c.nodes[i].ns, "keepalived", "-n",
                "-l", "-D", "-G", "-P", "-f", conf,
                "-p", c.path(f"ka-n{i}.pid"),
                "-r", c.path(f"ka-n{i}-vrrp.pid"),
                "-c", c.path(f"ka-n{i}-chk.pid"),
                "-b", c.path(f"ka-n{i}-bfd.pid")]
        self.kprocs[i] = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=log,
                                          start_new_session=True)
        log.close()

    def impair(self, loss_percent):
        """Random loss of `loss_percent`% on every directed link (each
        node's input), heartbeats and adverts alike."""
        if loss_percent:
            for i in self.c.nodes:
                self.c.loss(i, loss_percent, LOSS_PROTOCOLS)

    def log_tail(self, i):
        if self.system == "hbeat":
            return self.c.log_tail(i)
        try:
            with open(self.c.path(f"ka-n{i}.log"), "rb") as f:
                lines = f.read()[-4000:].decode("utf-8", "replace")
            return "\n".join("    " + x for x in lines.splitlines()[-15:])
        except OSError as e:
            return str(e)

    def kill(self, i):
        """SIGKILL (or, with fault "stop", SIGSTOP) node i's daemon, all its
        processes at once; the time just before, in monotonic ns."""
        sig = signal.SIGSTOP if self.fault == "stop" else signal.SIGKILL
        if self.system == "hbeat":
            t = self.c.kill(i, sig)
        else:
            p = self.kprocs[i]
            t = time.monotonic_ns()
            os.killpg(p.pid, sig)
            if sig == signal.SIGKILL:
                p.wait(5)
                # Any child that left the process group (none expected).
                hbcluster._kill_processes_mentioning(
                    os.path.join(self.c.workdir, f"ka-n{i}.conf"))
        self.live.remove(i)
        return t

    def wait_steady(self, settle_s):
        """Until one node holds the VIP and the client reaches it, then
        `settle_s` more seconds of watching; returns (holder, split)."""
        end = time.monotonic() + HOLD_TIMEOUT_S
        last = None
        while True:
            h = holders(self.c, self.vip, self.live)
            if len(h) == 1 and ask(self.c, self.cns, self.client,
                                   self.host) == f"n{h[0]}":
                break
            last = h
            if time.monotonic() > end:
                raise RunError(f"{self.system}: no single reachable holder "
                               f"of {self.vip} within {HOLD_TIMEOUT_S}s "
                               f"(holders {last})\n" + "\n".join(
                                   self.log_tail(i) for i in self.c.nodes))
            time.sleep(0.05)
        holder = h[0]
        split = False
        end = time.monotonic() + settle_s
        while time.monotonic() < end:
            h = holders(self.c, self.vip, self.live)
            split |= len(h) > 1
            time.sleep(POLL_S)
        h = holders(self.c, self.vip, self.live)
        if h != [holder]:
            raise RunError(f"{self.system}: holder moved during the settle "
                           f"time ({holder} -> {h})")
        return holder, split

    def failover(self, settle_s):
        """One measurement: (failover ms or None, split-brain seen)."""
        old, split = self.wait_steady(settle_s)
        watcher = subprocess.Popen(
            ["ip", "netns", "exec", self.cns, sys.executable, self.client,
             self.host, str(PORT), str(CLIENT_TIMEOUT_S), "watch", f"n{old}",
             str(FAILOVER_TIMEOUT_S)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            start_new_session=True)
        try:
            line = watcher.stdout.readline().decode().strip()
            if line != "ready":
                raise RunError(f"client: {line!r}")
            watcher.stdin.write(b"go\n")
            watcher.stdin.flush()
            t_kill = self.kill(old)
            # Watch for two holders while the client polls.
            fd = watcher.stdout.fileno()
            buf = b""
            after_end = None
            while True:
                split |= len(holders(self.c, self.vip, self.live)) > 1
                if after_end is None:
                    if select.select([fd], [], [], 0)[0]:
                        chunk = os.read(fd, 4096)
                        buf += chunk
                        if not chunk or b"\n" in buf:
                            after_end = time.monotonic() + AFTER_S
                elif time.monotonic() > after_end:
                    break
                time.sleep(POLL_S)
            watcher.wait(5)
            buf = buf.decode()
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait(5)
        first = buf.strip().splitlines()[0] if buf.strip() else "no output"
        if first == "timeout" or len(first.split()) != 2:
            return None, split, f"n{old}", first
        t_ans, who = first.split()
        return (int(t_ans) - t_kill) / 1e6, split, f"n{old}", who


def keepalived_rt_defs(priority):
    """global_defs lines for keepalived's VRRP process under real-time
    scheduling at `priority` (SCHED_RR) with its memory locked, as hbeatd's
    realtime.* do by default; "" for None."""
    if priority is None:
        return ""
    return f"    vrrp_rt_priority {priority}\n    vrrp_no_swap\n"


def hbeat_realtime(extra):
    """hbeatd's realtime settings in this run: its defaults, merged with
    those of --hbeat-config."""
    rt = {"enabled": True, "priority": 40}
    rt.update((extra or {}).get("realtime") or {})
    return rt


def one_run(system, build_dir, interval_ms, settle_s, fault="kill",
            extra=None, loss_percent=0, keepalived_rt=None):
    with hbcluster.Cluster(3, interval_ms=interval_ms, netns=True,
                           build_dir=build_dir, election=True) as c:
        b = Bench(c, system, interval_ms, fault, extra, keepalived_rt)
        b.start()
        b.impair(loss_percent)
        return b.failover(settle_s)


def summary(name, results):
    ok = [r["ms"] for r in results if r["ms"] is not None]
    err = sum(1 for r in results if "error" in r)
    s = {"system": name, "runs": len(results), "failovers": len(ok),
         "setup_error_runs": err,
         "no_failover_runs": len(results) - len(ok) - err,
         "split_brain_runs": sum(1 for r in results if r["split"]),
         "runs_detail": results}
    if ok:
        s.update(min_ms=min(ok), median_ms=statistics.median(ok),
                 max_ms=max(ok))
    return s


def keepalived_version():
    p = subprocess.run(["keepalived", "--version"], capture_output=True,
                       text=True, timeout=10)
    return (p.stdout + p.stderr).splitlines()[0].strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--interval-ms", type=int, default=100)
    ap.add_argument("--settle", type=float, default=2.0,
                    help="steady seconds before each kill (default 2)")
    ap.add_argument("--fault", choices=("kill", "stop"), default="kill",
                    help="kill: SIGKILL the holder (a crash: its host "
                    "stays up); stop: SIGSTOP it (a hang)")
    ap.add_argument("--hbeat-config", metavar="JSON", default="{}",
                    help="settings merged into every hbeatd config, e.g. "
                    "'{\"detector\": {\"kind\": \"fixed\"}}'")
    ap.add_argument("--keepalived-rt", action="store_true",
                    help="run keepalived's VRRP process real-time too "
                    "(global_defs vrrp_rt_priority at hbeatd's "
                    "realtime.priority, 40 unless --hbeat-config sets it, "
                    "and vrrp_no_swap), to compare real-time against "
                    "real-time")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    try:
        a.extra = json.loads(a.hbeat_config)
    except ValueError as e:
        print(f"failover_bench: --hbeat-config: {e}", file=sys.stderr)
        sys.exit(2)
    a.hbeat_rt = hbeat_realtime(a.extra)
    a.ka_rt = a.hbeat_rt["priority"] if a.keepalived_rt else None

    if shutil.which("keepalived") is None:
        print("failover_bench: keepalived is not installed; install it with\n"
              "    scripts/install-deps keepalived\n"
              "and run again.", file=sys.stderr)
        sys.exit(2)
    need_netns("failover_bench")
    if not 10 <= a.interval_ms <= 25500 or a.interval_ms % 10:
        print("failover_bench: --interval-ms must be a multiple of 10 "
              "(VRRPv3 advertises in centiseconds)", file=sys.stderr)
        sys.exit(2)

    # Ctrl-C and SIGTERM unwind through the clusters' close().
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    with frozen_build(a.build_dir, "failover_bench") as a.build_dir:
        run_all(a)


def need_netns(prog):
    """Exit 2, saying why, when network namespaces cannot be used here."""
    ok, why = hbcluster.netns_available()
    if not ok:
        print(f"{prog}: needs network namespaces: {why}", file=sys.stderr)
        sys.exit(2)


@contextlib.contextmanager
def frozen_build(build_dir, prog):
    """A private copy of BUILD_DIR's hbeatd and its libraries (a directory
    to use as the build directory): a rebuild of BUILD_DIR during the runs
    (someone else's `ninja`) must not change or remove the binary. Exits 2
    when there is no hbeatd to copy."""
    src = os.path.join(os.path.abspath(build_dir), "hbeatd")
    if not os.access(src, os.X_OK):
        print(f"{prog}: {src}: not found (build first)", file=sys.stderr)
        sys.exit(2)
    frozen = tempfile.mkdtemp(prefix="hbfo-bin-", dir="/tmp")
    try:
        shutil.copy2(src, os.path.join(frozen, "hbeatd"))
        # hbeatd finds its libraries next to itself (RUNPATH $ORIGIN).
        for name in ("libhbeat.so.0", "libhbeat-uv.so.0"):
            lib = os.path.join(os.path.dirname(src), name)
            if os.path.exists(lib):
                shutil.copy2(lib, os.path.join(frozen, name))
        yield frozen
    finally:
        shutil.rmtree(frozen, ignore_errors=True)


def run_all(a):
    kver = keepalived_version()
    hrt = (f"SCHED_FIFO {a.hbeat_rt['priority']} where permitted"
           if a.hbeat_rt["enabled"] else "off")
    krt = (f"vrrp_rt_priority {a.ka_rt}, vrrp_no_swap"
           if a.ka_rt is not None else "off")
    print(f"failover: {a.runs} runs per system, interval {a.interval_ms} ms,"
          f" fault {a.fault}, {kver}"
          + (f", hbeat settings {a.hbeat_config}" if a.extra else "")
          + f"; real-time: hbeat {hrt}, keepalived {krt}")
    results = {"hbeat": [], "keepalived": []}
    for r in range(1, a.runs + 1):
        for system in ("hbeat", "keepalived"):
            try:
                ms, split, old, who = one_run(
                    system, a.build_dir, a.interval_ms, a.settle,
                    fault=a.fault, extra=a.extra, keepalived_rt=a.ka_rt)
            except (RunError, hbcluster.HarnessError) as e:
                print(f"run {r:2d} {system:10s} FAILED: {e}",
                      file=sys.stderr)
                ms, split, old, who = None, False, "?", "error"
                errmsg = str(e).splitlines()[0]
            results[system].append({"run": r, "ms": ms, "split": split,
                                    "killed": old, "answered": who,
                                    **({"error": errmsg}
                                       if who == "error" else {})})
            t = f"{ms:7.1f} ms" if ms is not None else "   none   "
            print(f"run {r:2d} {system:10s} killed {old} -> {who:7s} {t}"
                  f"{'  SPLIT-BRAIN' if split else ''}", flush=True)

    out = {"interval_ms": a.interval_ms, "fault": a.fault,
           "hbeat_config": a.extra,
           "hbeat_realtime": a.hbeat_rt,
           "keepalived_rt_priority": a.ka_rt,
           "keepalived_version": kver,
           "systems": {k: summary(k, v) for k, v in results.items()}}
    print()
    for k, s in out["systems"].items():
        line = (f"{k:10s} runs {s['runs']}  failovers {s['failovers']}  "
                f"no failover {s['no_failover_runs']}  setup errors "
                f"{s['setup_error_runs']}  split-brain runs "
                f"{s['split_brain_runs']}")
        if s["failovers"]:
            line += (f"  min {s['min_ms']:.1f}  median {s['median_ms']:.1f}"
                     f"  max {s['max_ms']:.1f} ms")
        print(line)
    h, k = out["systems"]["hbeat"], out["systems"]["keepalived"]
    if h.get("median_ms") and k.get("median_ms"):
        out["median_ratio_hbeat_over_keepalived"] = (h["median_ms"]
                                                     / k["median_ms"])
        print(f"median ratio hbeat/keepalived: "
              f"{out['median_ratio_hbeat_over_keepalived']:.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("failover_bench: interrupted (namespaces and processes "
              "removed)", file=sys.stderr)
        sys.exit(130)
