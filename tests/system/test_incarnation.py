# SPDX-License-Identifier: MIT
"""Restart semantics and message origin (review F6, F8, F9).

- F6: a node restarted with its wall clock stepped back still comes back
  at its peers (node.incarnation_file: max(wall clock, last + 1)); when
  the file is lost too, the peers say why they drop it and
  `hbeatctl forget` lets it back.
- F8: a peer's authentic heartbeats relayed from another host do not hide
  a cut of the peer's own path, unless the peer is `roaming`.
- F9: one authentic message with an absurd incarnation is refused
  (membership.max_clock_skew_ms); one within the bound is undone by
  `hbeatctl forget`.
"""

import os
import subprocess
import sys
import time

import hbwire

# Adds HBT_CLOCK_OFFSET_S seconds to CLOCK_REALTIME (and only to it), as an
# NTP step of the host clock would, without touching the host's clock.
SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int clock_gettime(clockid_t id, struct timespec *ts)
{
        static int (*real)(clockid_t, struct timespec *);
        const char *off = getenv("HBT_CLOCK_OFFSET_S");
        int r;

        if (real == NULL)
                real = (int (*)(clockid_t, struct timespec *))
                        dlsym(RTLD_NEXT, "clock_gettime");
        r = real(id, ts);
        if (r == 0 && off != NULL &&
            (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
                ts->tv_sec += atol(off);
        return r;
}
"""


def clock_shim(c, offset_s):
    """A `wrap` that runs hbeatd with its wall clock moved by offset_s."""
    so = c.path("clockshim.so")
    if not os.path.exists(so):
        src = c.path("clockshim.c")
        with open(src, "w") as f:
            f.write(SHIM_C)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", so, src,
                        "-ldl"], check=True, timeout=60)
    return ["env", f"LD_PRELOAD={so}", f"HBT_CLOCK_OFFSET_S={offset_s}"]


def member(c, observer, name):
    return {m["name"]: m for m in c.members_full(observer)}[name]


def drops(c, i, reason):
    return c.status(i)["counters"]["drops"][reason]


def log_text(c, i):
    with open(c.nodes[i].log_path, errors="replace") as f:
        return f.read()


def test_restart_with_clock_stepped_back_comes_back(make_cluster):
    c = make_cluster(2)
    inc0 = member(c, 1, "n2")["incarnation"]
    t = time.monotonic_ns()
    c.kill(2)
    c.wrap = clock_shim(c, -60)
    c.start(2)
    c.wrap = []
    c.wait_state(1, "n2", "alive", timeout=c.recover_timeout() + 5,
                 since_ns=t)
    n2 = member(c, 1, "n2")
    # The clock says 60 s before inc0: the file's last + 1 wins.
    assert n2["incarnation"] == inc0 + 1, (inc0, n2)
    assert n2["old_incarnations"] == 0
    assert drops(c, 1, "old_incarnation") == 0
    log = log_text(c, 2)
    assert "wall clock is" in log and "behind this node's last" in log
    with open(c.incarnation_file(2)) as f:
        assert f.read() == f"hbeat-incarnation 1\nincarnation {inc0 + 1}\n"


def test_lost_incarnation_file_is_named_and_forgotten(make_cluster):
    c = make_cluster(2)
    c.kill(2)
    os.unlink(c.incarnation_file(2))
    t = time.monotonic_ns()
    c.wrap = clock_shim(c, -60)
    c.start(2)
    c.wrap = []
    # Every message of the new run is from an older incarnation: n1 says
    # so, naming the peer and the way out, and keeps it out.
    c.wait_until(lambda: drops(c, 1, "old_incarnation") >= 5, timeout=5.0,
                 what="old_incarnation drops at n1")
    c.wait_until(lambda: "hbeatctl forget" in log_text(c, 1), timeout=5.0,
                 what="n1's warning naming the cause")
    log = log_text(c, 1)
    assert "old_incarnation" in log and "(peer n2)" in log
    assert c.members(1)["n2"] != "alive"
    assert c.members(2)["n1"] == "alive"   # the two views disagree
    # The operator's way out.
    resp = c.ctl(1, {"cmd": "forget", "peer": "n2"})
    assert resp["ok"] and resp["peer"] == "n2", resp
    c.wait_state(1, "n2", "alive", timeout=c.recover_timeout() + 5,
                 since_ns=t)
    bad = c.ctl(1, {"cmd": "forget", "peer": "nobody"})
    assert not bad["ok"] and "unknown peer" in bad["error"]
    out = subprocess.run([c.hbeatctl, "-s", c.nodes[1].sock_path, "forget",
                          "n2"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "forgot n2's incarnation" in out.stdout, \
        out


def test_forged_incarnation_is_bounded_and_undone(make_cluster):
    c = make_cluster(2)
    key = c.key()
    n2 = member(c, 1, "n2")
    t = time.monotonic_ns()

    def forged(incarnation):
        return hbwire.encode(key, sender_id=2, cluster_id=c.cluster_id,
                             incarnation=incarnation, seq=1,
                             send_time_ns=time.monotonic_ns())

    # 2^64 - 1, from n2's own address: refused, n2 stays alive.
    c.send_raw(1, forged(2**64 - 1), from_ns=2)
    c.wait_until(lambda: drops(c, 1, "future_incarnation") >= 1,
                 timeout=3.0, what="future_incarnation drop")
    time.sleep(5 * c.interval_s)
    assert c.members(1)["n2"] == "alive"
    assert member(c, 1, "n2")["incarnation"] == n2["incarnation"]
    assert c.events(1, peer="n2", since_ns=t) == []

    # 30 min ahead is within the hour of skew allowed: taken as a restart,
    # and the real n2 is then locked out until the operator forgets it.
    c.send_raw(1, forged(int(time.time() * 1e6) + 1800 * 10**6), from_ns=2)
    c.wait_state(1, "n2", "dead", timeout=c.detect_timeout() + 5,
                 since_ns=t)
    c.wait_until(lambda: drops(c, 1, "old_incarnation") >= 5, timeout=5.0,
                 what="the real n2 dropped as old_incarnation")
    t2 = time.monotonic_ns()
    assert c.ctl(1, {"cmd": "forget", "peer": "n2"})["ok"]
    c.wait_state(1, "n2", "alive", timeout=c.recover_timeout() + 5,
                 since_ns=t2)
    assert member(c, 1, "n2")["incarnation"] == n2["incarnation"]


RELAY = ("import socket,sys,time\n"
         "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
         "for h in sys.argv[5:]:\n"
         "    s.sendto(bytes.fromhex(h),(sys.argv[1],int(sys.argv[2])))\n"
         "    time.sleep(float(sys.argv[3]))\n")


def relay(c, to, datagrams, gap_s):
    """Send datagrams to node `to` from the switch's address (a host on the
    path, not a member), gap_s apart; returns the process."""
    node = c.nodes[to]
    return c.spawn_in(c.switch_ns, [sys.executable, "-c", RELAY, node.host,
                                    str(node.port), str(gap_s),
                                    c.workdir]
                      + [bytes(d).hex() for d in datagrams])


def test_relayed_heartbeats_do_not_hide_a_cut(make_cluster):
    c = make_cluster(2)
    key = c.key()
    n2 = member(c, 1, "n2")

    def n2_beats(first_seq, count):
        now = time.monotonic_ns()
        return [hbwire.encode(key, sender_id=2, cluster_id=c.cluster_id,
                              incarnation=n2["incarnation"],
                              seq=first_seq + k, send_time_ns=now)
                for k in range(count)]

    # One-way cut: n1 no longer hears n2 (n2 still hears n1). A host on
    # the path relays n2's authentic heartbeats to n1 meanwhile.
    t = time.monotonic_ns()
    c._rules[1]["input"].append(f"ip saddr {c.nodes[2].host} drop")
    c._apply_nft(1)
    proc = relay(c, 1, n2_beats(n2["seq"] + 1000, 60), c.interval_s)
    try:
        c.wait_state(1, "n2", "dead", timeout=c.detect_timeout() + 5,
                     since_ns=t)
        c.wait_until(lambda: drops(c, 1, "bad_source") >= 10, timeout=5.0,
                     what="relayed heartbeats dropped as bad_source")
        assert member(c, 1, "n2")["bad_sources"] >= 10
        assert c.members(2)["n1"] == "alive"
    finally:
        proc.kill()
        proc.wait()

    # Marked roaming, the same relayed heartbeats are n2's (reload).
    cfg = c.config_dict(1)
    for p in cfg["peers"]:
        if p["name"] == "n2":
            p["roaming"] = True
    c.write_config(1, cfg)
    assert c.ctl(1, {"cmd": "reload"})["ok"]
    t2 = time.monotonic_ns()
    proc = relay(c, 1, n2_beats(n2["seq"] + 5000, 80), c.interval_s)
    try:
        c.wait_state(1, "n2", "alive", timeout=c.recover_timeout() + 5,
                     since_ns=t2)
        assert member(c, 1, "n2")["roaming"] is True
    finally:
        proc.kill()
        proc.wait()
