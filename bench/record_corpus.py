#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Record the public corpus of arrival traces in bench/traces/ (issue 10).

Every trace is `hbeatctl record n2` run against node n1 of a fresh 2-node
cluster of real hbeatd processes (tests/system/hbcluster.py: one network
namespace per node, veth to a bridge namespace, nftables inside the
namespaces; nothing is added to the host's namespace, and no traffic
leaves them). n2 sends its heartbeats to n1 every --interval-ms; n1 stamps
each arrival on its CLOCK_MONOTONIC (docs/trace-format.md). Families:

  idle          nothing done to either node
  loss-5        n1's namespace drops 5 % of the UDP it receives
  loss-20       the same, 20 %           (nft: meta l4proto { udp } numgen
                                          random mod 100 < P counter drop)
  pauses        n2 is SIGSTOPped for uniform 0.2-1 s, every uniform 10-30 s
                (seeded), then SIGCONTed; each pause is written into the
                trace as `# pause=STOP_NS,CONT_NS` (CLOCK_MONOTONIC, the
                trace's clock)
  crash         --crash-files files, each --duration-s / --crash-files long:
                n2 is SIGKILLed 5 s + uniform 0-1 s before the end; a
                `crash` row is written at the kill time (time.monotonic_ns()
                just before kill(2): CLOCK_MONOTONIC, as the arrivals), the
                recording goes on to the `end` row
  cpu-stress    stress-ng --cpu 2 (both cores) in the host namespace
  mixed-stress  stress-ng --cpu 2 --io 1 --vm 1 --vm-bytes 1G
  mixed-stress-rt  as mixed-stress with real-time scheduling on

hbeatd's loop runs SCHED_FIFO by default as root (realtime.enabled): the
light families (idle, loss, pauses, crash) and mixed-stress-rt keep that
default; cpu-stress and mixed-stress run both daemons with
`realtime: {enabled: false}`, the stressed non-real-time daemon that
detectors must cope with.

The light families run at the same time, each in its own cluster; then the
stress families, one after the other, alone. Output per family in
--out-dir: FAMILY.csv.gz (gzip -9, no name or time in the gzip header), and
manifest.json (merged with the one there): how each file was made, the
daemons' counters, load averages, and per-file figures (arrivals, seq
gaps, inter-arrival median / p99 / max, sender stalls, the default
detector's QoS from `hbeat-sim eval`). A markdown table of those figures
is printed at the end.

Run as root: bench/record_corpus.py [--families idle,crash] [--duration-s 540]
    [--interval-ms 20] [--out-dir bench/traces] [--seed 10]
    [--build-dir build] [--crash-files 4]
The build's hbeatd, hbeatctl and hbeat-sim are copied first (a rebuild
meanwhile changes nothing). Bounded: it prints its bound and stops there
(SIGALRM). Namespaces, nftables rules, daemons, recorders and stress-ng are
removed at the end, on an error, on SIGINT and SIGTERM; after a kill -9,
`tests/system/hbcluster.py --cleanup-stale` removes the clusters and
stress-ng stops on its own --timeout. Exit 2 when it cannot run.
"""

import argparse
import contextlib
import datetime
import gzip
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import hbcluster  # noqa: E402

LIGHT = ("idle", "loss-5", "loss-20", "pauses", "crash")
STRESSED = ("cpu-stress", "mixed-stress", "mixed-stress-rt")
FAMILIES = LIGHT + STRESSED
STRESS = {
    "cpu-stress": ["stress-ng", "--cpu", "2"],
    "mixed-stress": ["stress-ng", "--cpu", "2", "--io", "1", "--vm", "1",
                     "--vm-bytes", "1G"],
    "mixed-stress-rt": ["stress-ng", "--cpu", "2", "--io", "1", "--vm", "1",
                        "--vm-bytes", "1G"],
}
RT_OFF = ("cpu-stress", "mixed-stress")
LOSS = {"loss-5": 5, "loss-20": 20}
PAUSE_EVERY_S = (10.0, 30.0)      # uniform gap between two pauses
PAUSE_LEN_S = (0.2, 1.0)          # uniform pause length
CRASH_TAIL_S = 5.0                # recorded after the kill (plus 0..1 s)
STRESS_WARMUP_S = 3.0             # stress-ng runs this long before recording
SETUP_BOUND_S = 60                # one cluster: namespaces, daemons, teardown
BINARIES = ("hbeatd", "hbeatctl", "hbeat-sim")
LIBS = ("libhbeat.so.0", "libhbeat-uv.so.0")


class Interrupted(Exception):
    """SIGINT, SIGTERM, or the run's time bound (SIGALRM)."""


class RecordError(Exception):
    """A recording did not go as planned."""


def on_signal(signum, _frame):
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


# ---------------------------------------------------------------- setup

@contextlib.contextmanager
def frozen_build(build_dir):
    """A private copy of the build's programs and libraries (RUNPATH
    $ORIGIN finds the libraries next to them)."""
    frozen = tempfile.mkdtemp(prefix="hbcorpus-bin-", dir="/tmp")
    try:
        for name in BINARIES + LIBS:
            src = os.path.join(build_dir, name)
            if name in BINARIES and not os.access(src, os.X_OK):
                raise SystemExit(f"record_corpus: {src}: not found (build "
                                 "first: make build)")
            if os.path.exists(src):
                shutil.copy2(src, os.path.join(frozen, name))
        yield frozen
    finally:
        shutil.rmtree(frozen, ignore_errors=True)


def git_describe(build_dir):
    """Commit of the sources the build was made from (meson's source dir
    is the build dir's parent here), with '-dirty' for local changes."""
    src = os.path.dirname(os.path.abspath(build_dir))
    try:
        head = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", src, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True,
                               timeout=10).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine():
    model = "unknown"
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    mem_gib = 0
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as f:
            mem_gib = round(int(f.readline().split()[1]) / 2**20)
    return {"cpus": os.cpu_count(), "cpu_model": model, "mem_gib": mem_gib,
            "kernel": platform.release()}


def stress_ng_version():
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(["stress-ng", "--version"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    return None


@contextlib.contextmanager
def stress(argv, seconds, cwd):
    """stress-ng in the host namespace (it loads the machine, not a node)
    for at most `seconds` (its own --timeout), killed with its workers as a
    process group on the way out."""
    full = argv + ["--timeout", f"{int(math.ceil(seconds))}s"]
    with open(os.path.join(cwd, "stress-ng.log"), "wb") as out:
        p = subprocess.Popen(full, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=out, start_new_session=True)
    try:
        yield p
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(10)


# ------------------------------------------------------------ recording

def daemon_view(c, i):
    """Counters and real-time state of node i, or None."""
    with contextlib.suppress(OSError, hbcluster.ControlError):
        st = c.status(i)
        co = st["counters"]
        return {"realtime": {k: st["realtime"].get(k) for k in
                             ("enabled", "policy", "priority",
                              "memory_locked")},
                "counters": {k: co.get(k) for k in
                             ("rx_accepted", "tx_messages", "local_pauses",
                              "send_late", "acks_withheld", "tx_eagain",
                              "output_dropped")}}
    return None


def counter_growth(before, after):
    if not before or not after:
        return None
    return {k: after["counters"][k] - before["counters"][k]
            for k in before["counters"]}


def pauser(c, stop_at, rng, pauses, stop):
    """SIGSTOP/SIGCONT n2 at seeded random times until `stop_at`
    (monotonic s); appends (stop_ns, cont_ns) to `pauses`."""
    while not stop.is_set():
        gap = rng.uniform(*PAUSE_EVERY_S)
        length = rng.uniform(*PAUSE_LEN_S)
        if time.monotonic() + gap + length + 2.0 > stop_at:
            return
        if stop.wait(gap):
            return
        t_stop = c.pause(2)
        try:
            time.sleep(length)
        finally:
            t_cont = c.resume(2)
        pauses.append((t_stop, t_cont))


def record_one(a, family, out_name, duration_s, rng, stop):
    """One cluster, one recording; returns (trace text, extra metadata
    [(key, value)], crash row time or None, manifest entry)."""
    rt = family not in RT_OFF
    extra = None if rt else {"realtime": {"enabled": False}}
    entry = {"family": family, "file": out_name,
             "duration_s": duration_s, "interval_ms": a.interval_ms,
             "realtime": rt}
    meta = [("family", family),
            ("made_by", "bench/record_corpus.py (hbeat issue 10)"),
            ("hbeat_commit", a.commit),
            ("recorded", datetime.datetime.now(datetime.timezone.utc)
             .strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("realtime", "on (SCHED_FIFO 40, default)" if rt else
             "off (realtime.enabled: false on both nodes)")]
    crash_ns = None
    with hbcluster.Cluster(2, interval_ms=a.interval_ms, netns=True,
                           build_dir=a.build_dir, extra_config=extra) as c:
        c.start_all(timeout=10)
        c.wait_all_alive(timeout=10)
        comm = open(f"/proc/{c.pid(2)}/comm").read().strip()
        if comm != "hbeatd":    # the signals must reach the daemon itself
            raise RecordError(f"n2's pid runs {comm!r}, not hbeatd")
        if family in LOSS:
            c.loss(1, LOSS[family])
            rule = hbcluster._run(["ip", "netns", "exec", c.nodes[1].ns,
                                   "nft", "list", "table", "inet",
                                   hbcluster.NFT_TABLE]).stdout
            entry["nft_rule"] = " ".join(
                ln.strip() for ln in rule.splitlines() if "loss" in ln)
            meta.append(("nft", entry["nft_rule"] + " (input chain, n1)"))
        stress_cm = contextlib.nullcontext(None)
        if family in STRESS:
            stress_cm = stress(STRESS[family],
                               STRESS_WARMUP_S + duration_s + 30, c.workdir)
            entry["stress"] = " ".join(STRESS[family])
            meta.append(("stress", entry["stress"] + " (host namespace)"))
        with stress_cm as st:
            if st is not None:
                time.sleep(STRESS_WARMUP_S)
                if st.poll() is not None:
                    raise RecordError(f"stress-ng exited {st.returncode} "
                                      "before the recording")
            before = {i: daemon_view(c, i) for i in (1, 2)}
            drops0 = c.loss_drops(1) if family in LOSS else None
            entry["loadavg_start"] = os.getloadavg()
            raw = os.path.join(c.workdir, "raw.csv")
            t_start = time.monotonic()
            rec = subprocess.Popen(
                [c.hbeatctl, "-s", c.nodes[1].sock_path, "record", "n2",
                 "--duration", f"{duration_s:g}", "-o", raw],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
            pauses, pthread = [], None
            if family == "pauses":
                pthread = threading.Thread(
                    target=pauser, args=(c, t_start + duration_s, rng,
                                         pauses, stop), daemon=True)
                pthread.start()
            if family == "crash":
                kill_at = t_start + duration_s - CRASH_TAIL_S - rng.random()
                if stop.wait(max(0.0, kill_at - time.monotonic())):
                    raise RecordError("stopped")
                crash_ns = c.kill(2)
                entry["kill_after_s"] = round(crash_ns / 1e9 - t_start, 3)
            try:
                out, err = rec.communicate(timeout=duration_s + 30)
            except subprocess.TimeoutExpired:
                rec.kill()
                raise RecordError("hbeatctl record did not stop in time") \
                    from None
            if pthread is not None:
                pthread.join(5)
            after = {i: daemon_view(c, i) for i in (1, 2)}
            if family in LOSS:
                # Drops while the recorder ran (it starts a few ms after
                # the first read and stops a few ms before this one).
                entry["nft_dropped"] = c.loss_drops(1) - drops0
            entry["loadavg_end"] = os.getloadavg()
            if st is not None:
                entry["stress_ran_throughout"] = st.poll() is None
        if rec.returncode != 0:
            raise RecordError(f"hbeatctl record exit {rec.returncode}: "
                              f"{err.strip()}")
        entry["hbeatctl_said"] = out.strip()
        for i in (1, 2):
            v = after[i] or before[i]
            entry[f"n{i}_realtime"] = v["realtime"] if v else None
            entry[f"n{i}_counters_growth"] = counter_growth(before[i],
                                                            after[i])
        for t_stop, t_cont in pauses:
            meta.append(("pause", f"{t_stop},{t_cont}"))
        if pauses:
            entry["pauses"] = [[s, e] for s, e in pauses]
            meta.append(("pauses", f"{len(pauses)} SIGSTOP..SIGCONT of n2, "
                         f"every uniform {PAUSE_EVERY_S[0]:g}-"
                         f"{PAUSE_EVERY_S[1]:g} s for uniform "
                         f"{PAUSE_LEN_S[0]:g}-{PAUSE_LEN_S[1]:g} s"))
        if crash_ns is not None:
            meta.append(("crash", "n2 SIGKILLed; the crash row is "
                         "time.monotonic_ns() just before kill(2)"))
        with open(raw) as f:
            text = f.read()
    meta.append(("seed", str(a.seed)))
    return text, meta, crash_ns, entry


def assemble(text, meta, crash_ns):
    """The raw recording with our metadata after its own and, for a crash,
    the crash row in arrival order (rows after it are kept: the reader
    ignores them, as in `hbeat-sim trace --crash-at-s`)."""
    lines = text.splitlines()
    k = 0
    while k < len(lines) and lines[k].startswith("#"):
        k += 1
    head = lines[:k] + [f"# {key}={val}" for key, val in meta]
    body = lines[k:]
    if crash_ns is not None:
        peer = body[1].split(",")[1] if len(body) > 1 else "n2"
        j = 1
        while j < len(body) and not body[j].startswith("end,") and \
                int(body[j].rsplit(",", 1)[1]) <= crash_ns:
            j += 1
        body.insert(j, f"crash,{peer},,,{crash_ns}")
    return "\n".join(head + body) + "\n"


def write_gz(path, text):
    """gzip -9 with no file name or time in the header: the same trace
    gives the same bytes."""
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9,
                           fileobj=raw, mtime=0) as gz:
            gz.write(text.encode())


# ------------------------------------------------------------ analysis

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(q * len(xs))) - 1)]


def analyse(text, interval_ns):
    """Figures of one trace (rows before the crash row)."""
    hb, crash, end, pauses = [], None, None, []
    for line in text.splitlines():
        if line.startswith("# pause="):
            pauses.append(tuple(int(x) for x in line[8:].split(",")))
        if line.startswith("#") or line.startswith("kind,"):
            continue
        kind, _, seq, send, arr = line.split(",")
        if kind == "hb" and crash is None:
            hb.append((int(seq), int(send), int(arr)))
        elif kind == "crash":
            crash = int(arr)
        elif kind == "end":
            end = int(arr)
    ia = [(b[2] - a[2]) / 1e6 for a, b in zip(hb, hb[1:])]
    lost = sum(b[0] - a[0] - 1 for a, b in zip(hb, hb[1:]) if b[0] > a[0])
    gaps = sum(1 for a, b in zip(hb, hb[1:]) if b[0] > a[0] + 1)
    reordered = sum(1 for a, b in zip(hb, hb[1:]) if b[0] <= a[0])
    # Sender stalls: consecutive seq numbers whose send times are more
    # than 1.5 intervals apart (nothing lost, the sender did not run).
    stalls = [(b[1] - a[1]) / 1e6 for a, b in zip(hb, hb[1:])
              if b[0] == a[0] + 1 and b[1] - a[1] > 1.5 * interval_ns]
    late_arr = sum(1 for x in ia if x > 2.5 * interval_ns / 1e6)
    out = {"arrivals": len(hb),
           "seq_first": hb[0][0] if hb else None,
           "seq_last": hb[-1][0] if hb else None,
           "lost": lost, "loss_episodes": gaps, "reordered": reordered,
           "loss_rate": round(lost / (lost + len(hb)), 5) if hb else None,
           "recorded_s": round((end - hb[0][2]) / 1e9, 1) if hb and end
           else None,
           "crash_ns": crash, "end_ns": end,
           "sender_stalls": len(stalls),
           "sender_stall_ms_max": round(max(stalls), 1) if stalls else 0,
           "arrival_gaps_over_2.5_intervals": late_arr}
    # Both daemons run on this host: send_ns and arrival_ns are the same
    # CLOCK_MONOTONIC here, so their difference is the one-way delay
    # (kernel, veth, bridge and the observer's scheduling).
    owd = [(r[2] - r[1]) / 1e3 for r in hb]
    if owd:
        out.update({"owd_median_us": round(statistics.median(owd), 1),
                    "owd_p99_us": round(pct(owd, 0.99), 1),
                    "owd_max_us": round(max(owd), 1)})
    if pauses:
        # How each SIGSTOP shows in the trace: the last heartbeat sent
        # before it and the first after it.
        seen = []
        for t_stop, t_cont in pauses:
            k = next((j for j, r in enumerate(hb) if r[1] >= t_cont), None)
            if k is None or k == 0:
                continue
            a, b = hb[k - 1], hb[k]
            seen.append({"pause_ms": round((t_cont - t_stop) / 1e6, 1),
                         "seq_step": b[0] - a[0],
                         "send_jump_ms": round((b[1] - a[1]) / 1e6, 1),
                         "arrival_gap_ms": round((b[2] - a[2]) / 1e6, 1)})
        out["pauses_seen"] = seen
        out["pauses_as_seq_plus_1"] = sum(1 for x in seen
                                          if x["seq_step"] == 1)
    if crash is not None and hb:
        out["crash_after_last_hb_ms"] = round((crash - hb[-1][2]) / 1e6, 2)
    if ia:
        out.update({"ia_median_ms": round(statistics.median(ia), 3),
                    "ia_p99_ms": round(pct(ia, 0.99), 3),
                    "ia_p999_ms": round(pct(ia, 0.999), 3),
                    "ia_max_ms": round(max(ia), 3),
                    "ia_min_ms": round(min(ia), 3)})
    return out


def qos(sim, text):
    """`hbeat-sim eval` of the trace with the default detector (phi at
    its defaults): its JSON, or an error string. The reader takes plain
    text, so the trace goes through a temporary file."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", dir="/tmp") as f:
        f.write(text)
        f.flush()
        p = subprocess.run([sim, "eval", f.name, "--json"],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return {"error": p.stderr.strip()}
        try:
            return json.loads(p.stdout)
        except ValueError:
            return {"error": "not JSON", "stdout": p.stdout[:2000]}


# ----------------------------------------------------------------- jobs

def run_family(a, family, stop, results):
    """Record a family's file(s) into a.out_dir; results[name] = entry."""
    rng = random.Random(f"{a.seed}:{family}")
    if family == "crash":
        each = a.duration_s / a.crash_files
        names = [f"crash-{k}" for k in range(1, a.crash_files + 1)]
    else:
        each, names = a.duration_s, [family]
    for name in names:
        if stop.is_set():
            return
        out_name = f"{name}.csv.gz"
        log(f"{name}: recording {each:g} s at {a.interval_ms} ms")
        try:
            text, meta, crash_ns, entry = record_one(a, family, out_name,
                                                     each, rng, stop)
            full = assemble(text, meta, crash_ns)
            write_gz(os.path.join(a.out_dir, out_name), full)
            entry["bytes_gz"] = os.path.getsize(
                os.path.join(a.out_dir, out_name))
            entry["stats"] = analyse(full, a.interval_ms * 1_000_000)
            entry["qos_default_detector"] = qos(a.sim, full)
            results[out_name] = entry
            s = entry["stats"]
            log(f"{name}: {s['arrivals']} arrivals, {s['lost']} lost, "
                f"inter-arrival median {s.get('ia_median_ms')} p99 "
                f"{s.get('ia_p99_ms')} max {s.get('ia_max_ms')} ms, "
                f"{s['sender_stalls']} sender stalls; "
                f"{entry['bytes_gz']} bytes")
        except (RecordError, hbcluster.HarnessError, OSError,
                subprocess.SubprocessError) as e:
            log(f"{name}: FAILED: {e}")
            results[out_name] = {"family": family, "error": str(e)}


def run_all(a):
    results = {}
    stop = threading.Event()
    light = [f for f in a.families if f in LIGHT]
    stressed = [f for f in a.families if f in STRESSED]
    try:
        threads = [threading.Thread(target=run_family,
                                    args=(a, f, stop, results), daemon=True)
                   for f in light]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)
        for f in stressed:
            run_family(a, f, stop, results)
    finally:
        stop.set()
    return results


# ------------------------------------------------------------- report

def qos_cell(q):
    """Default detector (phi) at its suspect threshold: T_D and mistakes,
    from eval's JSON."""
    try:
        r = q["configurations"][0]["suspect"]
        return f"{r['T_D_ms']:.0f} ms, {r['mistakes']}"
    except (KeyError, IndexError, TypeError):
        return "eval failed" if q and "error" in q else "-"


def print_table(manifest):
    print("\n| file | arrivals | lost (gaps) | inter-arrival median / p99 / "
          "max ms | one-way delay median / p99 / max us | sender stalls "
          "(max ms) | phi: T_D, mistakes | bytes |")
    print("| --- | ---: | ---: | --- | --- | ---: | --- | ---: |")
    for name in sorted(manifest["files"]):
        e = manifest["files"][name]
        if "error" in e:
            print(f"| {name} | failed: {e['error']} | | | | | | |")
            continue
        s = e["stats"]
        print(f"| {name} | {s['arrivals']} | {s['lost']} "
              f"({s['loss_episodes']}) | {s.get('ia_median_ms')} / "
              f"{s.get('ia_p99_ms')} / {s.get('ia_max_ms')} | "
              f"{s.get('owd_median_us')} / {s.get('owd_p99_us')} / "
              f"{s.get('owd_max_us')} | "
              f"{s['sender_stalls']} ({s['sender_stall_ms_max']}) | "
              f"{qos_cell(e.get('qos_default_detector'))} | "
              f"{e['bytes_gz']} |")


# ---------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(
        description="Record the corpus of real arrival traces "
        "(bench/traces/): 2-node hbeat clusters in network namespaces, "
        "`hbeatctl record` at n1 of n2's heartbeats, per family of "
        "conditions. Run as root.",
        epilog="families: " + ", ".join(FAMILIES) + ". Light families "
        "(" + ", ".join(LIGHT) + ") run at the same time; the stress "
        "families after them, one by one.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--families", default=",".join(FAMILIES),
                    help="comma-separated families to record")
    ap.add_argument("--duration-s", type=float, default=540,
                    help="recording length per family (crash: shared by "
                    "its files)")
    ap.add_argument("--interval-ms", type=int, default=20,
                    help="heartbeat interval of the sender")
    ap.add_argument("--out-dir", default=os.path.join(REPO, "bench",
                                                      "traces"),
                    help="where FAMILY.csv.gz and manifest.json go")
    ap.add_argument("--seed", type=int, default=10,
                    help="seed of the pause and crash times")
    ap.add_argument("--build-dir", default=hbcluster.default_build_dir(),
                    help="build with hbeatd, hbeatctl, hbeat-sim")
    ap.add_argument("--crash-files", type=int, default=4,
                    help="number of crash files (one crash each)")
    a = ap.parse_args()
    a.families = [f.strip() for f in a.families.split(",") if f.strip()]
    bad = [f for f in a.families if f not in FAMILIES]
    problems = []
    if bad or not a.families:
        problems.append(f"--families: unknown {', '.join(bad) or '(none)'};"
                        f" known: {', '.join(FAMILIES)}")
    if not 1 <= a.interval_ms <= 10000:
        problems.append("--interval-ms: 1..10000")
    if a.crash_files < 1:
        problems.append("--crash-files: at least 1")
    if a.duration_s < 10 or ("crash" in a.families and a.duration_s /
                             a.crash_files < CRASH_TAIL_S + 5):
        problems.append("--duration-s: at least 10, and crash files "
                        f"longer than {CRASH_TAIL_S + 5:g} s each")
    for p in problems:
        print(f"record_corpus: {p}", file=sys.stderr)
    if problems:
        sys.exit(2)
    a.build_dir = os.path.abspath(a.build_dir)
    a.out_dir = os.path.abspath(a.out_dir)
    return a


def main():
    a = parse_args()
    if os.geteuid() != 0:
        print("record_corpus: needs root (network namespaces, nftables, "
              "real-time scheduling)", file=sys.stderr)
        sys.exit(2)
    ok, why = hbcluster.netns_available()
    if not ok:
        print(f"record_corpus: needs network namespaces: {why}",
              file=sys.stderr)
        sys.exit(2)
    if any(f in STRESS for f in a.families) and not shutil.which("stress-ng"):
        subprocess.run([os.path.join(REPO, "scripts", "install-deps"),
                        "stress-ng"], timeout=900)
        if not shutil.which("stress-ng"):
            print("record_corpus: stress-ng missing (scripts/install-deps "
                  "stress-ng)", file=sys.stderr)
            sys.exit(2)
    os.makedirs(a.out_dir, exist_ok=True)
    a.commit = git_describe(a.build_dir)
    light = [f for f in a.families if f in LIGHT]
    stressed = [f for f in a.families if f in STRESSED]
    n_crash_setups = a.crash_files if "crash" in light else 1
    bound = int((a.duration_s + SETUP_BOUND_S * n_crash_setups if light
                 else 0) + len(stressed) * (a.duration_s + SETUP_BOUND_S
                                            + STRESS_WARMUP_S) + 120)
    log(f"corpus: {', '.join(a.families)}; {a.duration_s:g} s each at "
        f"{a.interval_ms} ms; seed {a.seed}; hbeat {a.commit}; out "
        f"{a.out_dir}; load average {os.getloadavg()[0]:.2f}; bound {bound} s")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(s, on_signal)
    signal.alarm(bound)
    started = datetime.datetime.now(datetime.timezone.utc)
    status = 0
    results = {}
    try:
        with frozen_build(a.build_dir) as frozen:
            a.build_dir = frozen
            a.sim = os.path.join(frozen, "hbeat-sim")
            results = run_all(a)
    except Interrupted as e:
        print(f"record_corpus: stopped by {e}", file=sys.stderr)
        status = 1
    finally:
        signal.alarm(0)
        hbcluster._close_all_live()
    path = os.path.join(a.out_dir, "manifest.json")
    manifest = {"files": {}}
    with contextlib.suppress(OSError, ValueError):
        with open(path) as f:
            manifest = json.load(f)
    manifest.setdefault("files", {}).update(results)
    manifest["last_run"] = {
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "argv": sys.argv[1:], "hbeat_commit": a.commit,
        "machine": machine(), "stress_ng": stress_ng_version(),
        "python": platform.python_version()}
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print_table(manifest)
    if any("error" in results[k] for k in results) or not results:
        status = status or 1
    sys.exit(status)


if __name__ == "__main__":
    main()
