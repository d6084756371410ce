#!/usr/bin/python3
"""Heartbeats per second received and applied by a real hbeatd.

Starts one hbeatd on 127.0.0.1 that monitors PEERS configured peers, runs
bench_loadgen to send it authenticated heartbeats from all of them over
loopback UDP for DURATION seconds, and reads hbeatd's own counters
(rx_accepted, drops) through the control socket before and after. Also
reports the daemon's resident memory and how regular its own heartbeat
sending stayed under the flood (measured by a second hbeatd that receives
the first one's heartbeats: the mean interval and worst gap it saw).

This is a benchmark: it prints figures for docs/benchmarks.md and asserts
nothing. Usage: bench/daemon_bench.py BUILD_DIR [--peers N] [--duration S]
[--rate HB/S]
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def ctl(path, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall((json.dumps(req) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)


def wait_socket(path, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("hbeatd exited with %d" % proc.returncode)
        try:
            ctl(path, {"cmd": "status"})
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("hbeatd control socket %s never came up" % path)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def write_config(path, name, node_id, port, key, sock, peers, interval_ms):
    lines = [
        "node: {name: %s, id: %d}" % (name, node_id),
        'listen: "127.0.0.1:%d"' % port,
        "cluster: {id: 7, key_file: %s}" % key,
        "heartbeat: {interval_ms: %d}" % interval_ms,
        "control: {socket: %s}" % sock,
        "peers:",
    ]
    for pname, pid, pport in peers:
        lines.append('  - {name: %s, id: %d, address: "127.0.0.1:%d"}'
                     % (pname, pid, pport))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--peers", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--port", type=int, default=27400)
    args = ap.parse_args()

    build = os.path.abspath(args.build_dir)
    work = tempfile.mkdtemp(prefix="hbeat-bench-")
    procs = []
    try:
        key = os.path.join(work, "cluster.key")
        with open(key, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        os.chmod(key, 0o600)

        # Node 1: the daemon under load. Peers: id 2 is the observer
        # hbeatd (a real peer), ids 1000.. are the load generator's.
        first = 1000
        load_peers = [("p%d" % i, first + i, 30000 + i)
                      for i in range(args.peers)]
        sock1 = os.path.join(work, "n1.sock")
        sock2 = os.path.join(work, "n2.sock")
        cfg1 = os.path.join(work, "n1.yaml")
        cfg2 = os.path.join(work, "n2.yaml")
        write_config(cfg1, "n1", 1, args.port, key, sock1,
                     [("n2", 2, args.port + 1)] + load_peers, 100)
        write_config(cfg2, "n2", 2, args.port + 1, key, sock2,
                     [("n1", 1, args.port)], 100)
        for cfg, sock in ((cfg1, sock1), (cfg2, sock2)):
            p = subprocess.Popen([os.path.join(build, "hbeatd"), "-c", cfg,
                                  "--log-level", "warning"],
                                 stderr=open(cfg + ".log", "w"))
            procs.append(p)
            wait_socket(sock, p)
        time.sleep(1.5)  # let n2 see n1 alive and settle

        before = ctl(sock1, {"cmd": "status"})
        ev_before = ctl(sock2, {"cmd": "members"})
        rss0 = rss_kib(procs[0].pid)
        t0 = time.monotonic()
        out = subprocess.run(
            [os.path.join(build, "bench_loadgen"),
             "--target", "127.0.0.1:%d" % args.port, "--key-file", key,
             "--cluster", "7", "--first-id", str(first),
             "--peers", str(args.peers), "--rate", str(args.rate),
             "--duration", str(args.duration)],
            check=True, capture_output=True, text=True).stdout
        t1 = time.monotonic()
        time.sleep(0.2)
        after = ctl(sock1, {"cmd": "status"})
        members2 = ctl(sock2, {"cmd": "members"})
        rss1 = rss_kib(procs[0].pid)
        sent = json.loads(out)

        acc = (after["counters"]["rx_accepted"]
               - before["counters"]["rx_accepted"])
        drops = {k: v - before["counters"]["drops"].get(k, 0)
                 for k, v in after["counters"]["drops"].items()
                 if v - before["counters"]["drops"].get(k, 0)}
        n1_view = [m for m in members2["members"] if m["name"] == "n1"][0]
        n1_before = [m for m in ev_before["members"] if m["name"] == "n1"][0]
        print(json.dumps({
            "peers": args.peers,
            "duration_s": round(t1 - t0, 3),
            "sent": sent["sent"],
            "send_rate": sent["rate"],
            "accepted": acc,
            "accepted_per_s": round(acc / (t1 - t0)),
            "lost_in_kernel": sent["sent"] - acc - sum(drops.values()),
            "drops": drops,
            "rss_kib_before": rss0,
            "rss_kib_after": rss1,
            "observer_view_of_loaded_node": {
                "state": n1_view["state"],
                "transitions_during_load":
                    n1_view["transitions"] - n1_before["transitions"],
                "seq_gaps_during_load":
                    n1_view["seq_gaps"] - n1_before["seq_gaps"],
                "mean_interval_ms": n1_view.get("mean_interval_ms"),
            },
        }, indent=2))
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
