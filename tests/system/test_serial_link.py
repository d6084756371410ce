# SPDX-License-Identifier: MIT
"""The serial link (docs/links.md, "Serial link"): two nodes in their own
network namespaces, each with a UDP link (eth0) and a serial link over a
pseudo-terminal. The "cable" is a relay in this test between the masters
of two pty pairs (os.openpty): what n1 writes to its tty comes out of
n2's, and back.

(a) all up: both (peer, link) rows are up at both nodes, the serial one
    included, and frames carry them (the relay saw HBSL frames);
(b) n2's network cut entirely (isolate): n1 sees n2's UDP link go down,
    never its serial link, and the peers stay alive at each other over
    the cable;
(c) the cable pulled too (the relay stops copying): now n2 goes dead at
    n1 — the serial link was what kept it alive;
(d) cable back, then n2 stopped (SIGKILL): it is dead at n1.
"""

import os
import select
import threading
import time

from hbcluster import fmt_event


class PtyCable:
    """Two pty pairs whose masters a thread joins: a null-modem cable
    between the slave ttys `tty1` and `tty2`."""

    def __init__(self):
        self.m1, self.s1 = os.openpty()
        self.m2, self.s2 = os.openpty()
        self.tty1 = os.ttyname(self.s1)
        self.tty2 = os.ttyname(self.s2)
        self.connected = True
        self.bytes = 0
        self.magic_seen = False
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        peer = {self.m1: self.m2, self.m2: self.m1}
        while True:
            r, _, _ = select.select([self.m1, self.m2, self._stop_r], [], [])
            if self._stop_r in r:
                return
            for fd in r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if not self.connected:
                    continue    # pulled: bytes fall on the floor
                self.bytes += len(data)
                if b"HBSL" in data:
                    self.magic_seen = True
                os.write(peer[fd], data)

    def close(self):
        os.write(self._stop_w, b"x")
        self._thread.join(5)
        for fd in (self.m1, self.s1, self.m2, self.s2, self._stop_r,
                   self._stop_w):
            os.close(fd)


def test_serial_link_survives_network_cut(make_cluster):
    cable = PtyCable()
    try:
        _run(make_cluster, cable)
    finally:
        cable.close()


def _run(make_cluster, cable):
    c = make_cluster(2, start=False)
    ttys = {1: cable.tty1, 2: cable.tty2}
    for i in c.nodes:
        cfg = c.config_dict(i)
        cfg["links"] = [
            {"name": "net", "listen": cfg.pop("listen")},
            {"name": "cable", "tty": ttys[i], "baud": 115200},
        ]
        for p in cfg["peers"]:
            p["addresses"] = [p.pop("address"), "serial"]
        c.write_config(i, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())

    # (a) every link up, the cable included.
    c.wait_until(lambda: all(r["state"] == "up"
                             for obs in (1, 2)
                             for r in c.links_of(obs).values()),
                 c.recover_timeout(), "every link up")
    assert cable.magic_seen and cable.bytes > 0

    # (b) n2's network gone: the UDP link goes down, the cable keeps it.
    t_cut = time.monotonic_ns()
    c.isolate(2)
    for obs, peer in ((1, "n2"), (2, "n1")):
        ev = c.wait_link_event(obs, peer, "net", "down", since_ns=t_cut)
        assert ev["peer_state"] == "alive", fmt_event(ev, t_cut)
    time.sleep(2 * c.detect_timeout())
    for obs, peer in ((1, "n2"), (2, "n1")):
        assert not c.events_into(obs, [peer], ("suspect", "dead"), t_cut)
        assert c.members(obs)[peer] == "alive"
        rows = c.links_of(obs)
        assert rows[(peer, "cable")]["state"] == "up", rows
        assert rows[(peer, "net")]["state"] == "down", rows
        downs = [e for e in c.link_events(obs, peer, since_ns=t_cut)
                 if e["link"] == "cable"]
        assert not downs, downs

    # (c) the cable pulled as well: nothing carries n2 any more.
    t_pull = time.monotonic_ns()
    cable.connected = False
    ev = c.wait_event(1, peer="n2", new="dead", since_ns=t_pull,
                      timeout=3 * c.detect_timeout())
    print(f"n1: n2 dead {(ev['at_ns'] - t_pull) / 1e6:.0f} ms after the "
          "cable was pulled (network cut)")
    ev = c.wait_link_event(1, "n2", "cable", "down", since_ns=t_pull)

    # (d) cable back: n2 alive again over it alone; then killed: dead.
    t_back = time.monotonic_ns()
    cable.connected = True
    c.wait_event(1, peer="n2", new="alive", since_ns=t_back,
                 timeout=c.recover_timeout())
    t_kill = time.monotonic_ns()
    c.kill(2)
    ev = c.wait_event(1, peer="n2", new="dead", since_ns=t_kill,
                      timeout=3 * c.detect_timeout())
    print(f"n1: n2 dead {(ev['at_ns'] - t_kill) / 1e6:.0f} ms after SIGKILL "
          "(network cut, serial only)")
