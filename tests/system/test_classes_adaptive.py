# SPDX-License-Identifier: MIT
"""Adaptive class interval (docs/classes.md, "Adaptive interval") with
real daemons: n1 and n2 are ~200 ms apart (RTT), through a test-only UDP
relay (udp_relay.py) in the cluster's switch namespace that delays every
datagram by 100 ms each way. Each puts the other in the class 'remote',
adaptive from 200 ms to 5 s, starting at 500 ms, fixed detector (so a
receiver that did not follow its peer's announced interval would
suspect it at once: 3 missed intervals).

  - the interval each sends at rises towards 10 x RTT p99 (~2 s), every
    change announced (the peer's `announced_interval_ms` and the
    interval its detector expects follow);
  - nobody is suspected on the way;
  - n1 killed is dead at n2 (after the dead time at the interval reached).
"""

import os
import subprocess
import sys
import time

import hbcluster

REMOTE = {
    "name": "remote", "interval_ms": 500, "detector": "fixed",
    "adaptive": {"min_interval_ms": 200, "max_interval_ms": 5000,
                 "rtt_factor": 10, "dampening_ms": 2000, "hold": 3},
}
DELAY_MS = 100
RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "udp_relay.py")


def start_relay(c):
    """The relay in the switch namespace: n1 reaches n2 at .254:7601 and
    n2 reaches n1 at .254:7602. Returns (process, n2 as n1 sees it, n1 as
    n2 sees it)."""
    sw = f"10.213.{c.subnet}.254"
    a, b = f"{sw}:7601", f"{sw}:7602"
    p = subprocess.Popen(
        ["ip", "netns", "exec", c.switch_ns, sys.executable, RELAY,
         "--a", a, "--b", b, "--to-a", c.nodes[1].address,
         "--to-b", c.nodes[2].address, "--delay-ms", str(DELAY_MS),
         "--log", c.path("relay.log")],
        stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready", "relay did not start"
    return p, a, b


def peer_of(c, obs, name):
    for m in c.members_full(obs):
        if m["name"] == name:
            return m
    raise AssertionError(f"n{obs} has no member {name}")


def test_interval_adapts_over_a_slow_path(make_cluster, build_dir):
    c = make_cluster(2, start=False, detector="fixed",
                     extra_config={"membership": {"port_unreachable":
                                                  False}})
    relay, n2_at, n1_at = start_relay(c)
    try:
        for i, at in ((1, n2_at), (2, n1_at)):
            cfg = c.config_dict(i)
            cfg["classes"] = [dict(REMOTE)]
            cfg["peers"][0]["address"] = at
            cfg["peers"][0]["class"] = "remote"
            c.write_config(i, cfg)

        out = subprocess.run(
            [os.path.join(build_dir, "hbeatctl"), "check-config",
             c.nodes[1].cfg_path], capture_output=True, text=True,
            timeout=10)
        assert out.returncode == 0, out.stderr
        assert "adaptive: interval from 200 ms to 5 s" in out.stdout, \
            out.stdout

        c.start_all()
        c.wait_all_alive(timeout=15.0)
        t0 = time.monotonic()

        def adapted():
            for obs, peer in ((1, "n2"), (2, "n1")):
                m = peer_of(c, obs, peer)
                if (m.get("announced_interval_ms") or 0) < 1200:
                    return False
            return True

        c.wait_until(adapted, timeout=60.0,
                     what="both ends announcing >= 1200 ms")
        took = time.monotonic() - t0
        # A few heartbeats at the interval reached (the last rise takes
        # effect after its 3 announcements).
        time.sleep(8.0)
        # No false suspicion while the interval moved.
        assert not c.events_into(1, ["n2"], since_ns=0)
        assert not c.events_into(2, ["n1"], since_ns=0)
        for obs, peer in ((1, "n2"), (2, "n1")):
            m = peer_of(c, obs, peer)
            st = c.status(obs)["counters"]
            print(f"n{obs} sees {peer}: class {m['class']}, announced "
                  f"{m['announced_interval_ms']:.0f} ms, expected "
                  f"{m['interval_ms']:.0f} ms, RTT p99 "
                  f"{m.get('rtt_p99_ms')} ms; interval changes "
                  f"{st['interval_changes']}, mismatches "
                  f"{st['class_mismatch']} (adapted within {took:.1f} s)")
            assert m["class"] == "remote"
            # The detector follows what the peer announces, in bounds.
            assert m["interval_ms"] == m["announced_interval_ms"]
            assert 1200 <= m["interval_ms"] <= 5000
            assert st["interval_changes"] >= 2
            assert st["class_mismatch"] == 0
        # A rise at a time, each logged.
        log = open(c.nodes[1].log_path, errors="replace").read()
        assert "class remote: heartbeat interval 500 ms -> 750 ms" in log, \
            c.log_tail(1)

        iv_ms = peer_of(c, 2, "n1")["interval_ms"]
        t_kill = c.kill(1)
        ev = c.wait_event(2, peer="n1", new="dead", since_ns=t_kill,
                          timeout=5 * iv_ms / 1000 * 3 + 10)
        dead_ms = (ev["at_ns"] - t_kill) / 1e6
        print(f"n1 killed at interval {iv_ms:.0f} ms: dead at n2 after "
              f"{dead_ms:.0f} ms")
        # Fixed detector, dead at 5 missed intervals of the interval in
        # force (not of the class's starting 500 ms).
        assert dead_ms >= 3 * iv_ms, dead_ms
    finally:
        relay.terminate()
        try:
            relay.wait(5)
        except subprocess.TimeoutExpired:
            relay.kill()
