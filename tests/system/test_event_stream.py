# SPDX-License-Identifier: MIT
"""The event stream (events.listen, docs/event-stream.md; issue 12 item 5):
verdicts and role changes delivered reliably over TCP to `hbeatctl
subscribe` running in a namespace of its own.

- failover: a subscriber stopped during a failover, restarted with its
  --state, receives every event it missed, in order, exactly once, then
  live ones: the same events as the control socket's stream of the node;
- bad input and a handshake left unfinished are closed, counted and
  logged; a wrong key is refused (the subscriber exits 3; hbeatd logs
  and counts it), so is one subscriber too many; a subscriber is told
  when hbeatd stops;
- a subscriber asking for events the log no longer holds, or of an
  earlier run of hbeatd (hbeatd restarted), is told of the gap
  explicitly; the new run's ids are above the old run's;
- a subscriber whose network is cut (nftables) during a failover
  reconnects by itself (--retry) and misses nothing;
- backpressure: a subscriber that does not ack (SIGSTOP) gets at most
  events.window events, is disconnected after events.timeout_ms, and
  resumes without a loss or a repeat.
"""

import json
import os
import signal
import subprocess
import sys
import time

from hbcluster import Cluster
from test_http import HTTP_PORT
from test_metrics import PROMTOOL, promtool_check, scrape, value

EV_PORT = 7500


def _key(c, name):
    path = c.path(name)
    Cluster._write_key(path)
    return path


def _setup(make_cluster, n=3, events=None, election=True, http=False):
    """A cluster with the event stream on n1 (not the leader: lowest
    priority) and a namespace "sub" for subscribers."""
    el = (lambda i: {"priority": 10 if i == 1 else 100 + i}) \
        if election else None
    c = make_cluster(n, start=False, election=el)
    key = _key(c, "events.key")
    cfg = c.config_dict(1)
    cfg["events"] = dict({"listen": f"{c.nodes[1].host}:{EV_PORT}",
                          "key_file": key}, **(events or {}))
    if http:
        cfg["http"] = {"listen": f"{c.nodes[1].host}:{HTTP_PORT}"}
    c.write_config(1, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    ns = c.add_host("sub", 200)
    return c, key, ns


class Subscriber:
    """`hbeatctl subscribe --json` in namespace `ns`, stdout to a file."""

    def __init__(self, c, ns, key, state=None, extra=(), name="sub",
                 json=True):
        self.c = c
        self.out_path = c.path(f"{name}.{time.monotonic_ns()}.out")
        self.err_path = self.out_path[:-4] + ".err"
        argv = [c.hbeatctl, "subscribe", "--connect",
                f"{c.nodes[1].host}:{EV_PORT}", "--key", key]
        if json:
            argv.append("--json")
        if state:
            argv += ["--state", state]
        argv += list(extra)
        with open(self.out_path, "wb") as out, \
                open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", ns] + argv,
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True)

    def text(self):
        with open(self.out_path) as f:
            return f.read()

    def lines(self):
        return [json.loads(x) for x in self.text().splitlines()
                if x.strip()]

    def events(self):
        return [e for e in self.lines() if e.get("event") != "gap"]

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def wait_lines(self, pred, timeout, what):
        return self.c.wait_until(lambda: pred(self.lines()), timeout,
                                 lambda: f"{what}; subscriber printed "
                                 f"{self.lines()} stderr {self.stderr()!r}")

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        return self.proc.wait(timeout)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"subscriber still running after "
                                 f"{timeout}s; stderr {self.stderr()!r}")


def _key_of(e):
    """What identifies an event in both streams."""
    return (e.get("event"), e.get("peer"), e.get("old"), e.get("new"),
            e.get("quorate"), e.get("term"), e.get("at_ns"))


def _ids(events):
    out = []
    for e in events:
        inc, seq = e["id"].split(":")
        out.append((int(inc), int(seq)))
    return out


def _status(c):
    return c.status(1)["event_stream"]


def test_failover_missed_events_in_order_once(make_cluster):
    c, key, ns = _setup(make_cluster)
    leader, term = c.wait_leader(timeout=5.0)
    assert leader != "n1"
    state = c.path("sub.state")
    w = c.nodes[1].watcher

    s1 = Subscriber(c, ns, key, state, ["--from", "oldest"])
    # Everything n1 said since its start.
    s1.wait_lines(lambda ls: len(ls) >= len(w.snapshot()) > 0, 10.0,
                  "the log replayed")
    assert s1.stop() == 0, s1.stderr()
    first = s1.events()
    with open(state) as f:
        assert f.read() == first[-1]["id"] + "\n"

    # While it is away: the leader is killed, the others fail over.
    k = int(leader[1:])
    t_kill = c.kill(k)
    rest = [i for i in c.nodes if i != k]
    c.wait_leader(nodes=rest, timeout=5.0, min_term=term + 1,
                  exclude=(leader,))
    c.wait_state(1, leader, "dead", since_ns=t_kill,
                 timeout=c.detect_timeout())
    missed = [e for e in w.snapshot() if e["at_ns"] > t_kill]
    assert any(e.get("event") == "role" or e.get("event") == "quorum"
               or e.get("new") == "dead" for e in missed)

    # Back, from its state: every missed event, then live ones.
    s2 = Subscriber(c, ns, key, state, ["--from", "now"])
    s2.wait_lines(lambda ls: len(ls) >= len(w.snapshot()) - len(first),
                  10.0, "the missed events")
    t_back = time.monotonic_ns()
    c.start(k)
    c.wait_state(1, leader, "alive", since_ns=t_back,
                 timeout=c.recover_timeout())
    s2.wait_lines(lambda ls: any(e.get("peer") == leader and
                                 e.get("new") == "alive" and
                                 e["at_ns"] > t_back for e in ls),
                  10.0, "the live events")
    time.sleep(0.5)
    assert s2.stop() == 0, s2.stderr()
    second = s2.events()
    assert not [e for e in s2.lines() if e.get("event") == "gap"]

    got = first + second
    ids = _ids(got)
    inc = ids[0][0]
    # Ids: one run, 1, 2, 3, ... with no hole and no repeat.
    assert ids == [(inc, n) for n in range(1, len(ids) + 1)], ids
    # The same events, in the same order, as the control socket's stream.
    ctl = [_key_of(e) for e in w.snapshot()][:len(got)]
    assert [_key_of(e) for e in got] == ctl
    assert len(got) == len(w.snapshot())
    # The missed ones were among them, after the first run's last.
    assert [_key_of(e) for e in missed][0] in \
        [_key_of(e) for e in second]


def _cut(ns, on):
    """Drop everything on the namespace's eth0 (on), or stop (off)."""
    text = "table inet hbsub {}\ndelete table inet hbsub\n"
    if on:
        text += ("table inet hbsub {\n"
                 "  chain input { type filter hook input priority 0; "
                 "policy accept; iifname \"eth0\" drop; }\n"
                 "  chain output { type filter hook output priority 0; "
                 "policy accept; oifname \"eth0\" drop; }\n}\n")
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"],
                   input=text, text=True, check=True, timeout=10)


def test_network_cut_during_failover_retry(make_cluster):
    """The subscriber's network is cut (nftables) during a failover; with
    --retry it notices the silence, reconnects once the network is back,
    and prints every missed event, in order, once: one process, one
    output, the same events as the control socket's stream."""
    c, key, ns = _setup(make_cluster, events={"timeout_ms": 3000})
    leader, term = c.wait_leader(timeout=5.0)
    w = c.nodes[1].watcher
    state = c.path("cut.state")
    s = Subscriber(c, ns, key, state, ["--from", "oldest", "--retry", "1"])
    s.wait_lines(lambda ls: len(ls) >= len(w.snapshot()) > 0, 10.0,
                 "the log replayed")
    before = len(s.lines())

    _cut(ns, True)
    try:
        k = int(leader[1:])
        t_kill = c.kill(k)
        rest = [i for i in c.nodes if i != k]
        c.wait_leader(nodes=rest, timeout=5.0, min_term=term + 1,
                      exclude=(leader,))
        c.wait_state(1, leader, "dead", since_ns=t_kill,
                     timeout=c.detect_timeout())
        # hbeatd drops the silent subscriber; it notices the silence.
        c.wait_until(lambda: _status(c)["closed"]["timeout"] >= 1, 15.0,
                     "the cut subscriber dropped")
        c.wait_until(lambda: "reconnecting" in s.stderr(), 15.0,
                     "the subscriber noticing")
        assert len(s.lines()) == before
    finally:
        _cut(ns, False)
    s.wait_lines(lambda ls: len(ls) >= len(w.snapshot()), 20.0,
                 "the missed events after the reconnect")
    time.sleep(0.5)
    assert s.stop() == 0, s.stderr()
    got = s.events()
    ids = _ids(got)
    inc = ids[0][0]
    assert ids == [(inc, n) for n in range(1, len(ids) + 1)], ids
    assert [_key_of(e) for e in got] == [_key_of(e) for e in w.snapshot()]
    assert any(e["at_ns"] > t_kill for e in got)


_RAW = """
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(bytes.fromhex(sys.argv[3]))
t = time.monotonic()
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
print(len(got), round(time.monotonic() - t, 2))
"""


def _raw(c, ns, data):
    """Connect from `ns`, send `data`, read until hbeatd closes: (bytes
    received, seconds until the close)."""
    p = c.run_in(ns, [sys.executable, "-c", _RAW, c.nodes[1].host,
                      str(EV_PORT), data.hex()], timeout=20, check=True)
    n, t = p.stdout.split()
    return int(n), float(t)


def test_wrong_key_full_and_stop(make_cluster):
    c, key, ns = _setup(make_cluster, n=2, election=False, http=True,
                        events={"max_subscribers": 1,
                                "handshake_timeout_ms": 500})
    # Not the protocol: closed at once, nothing sent back, counted.
    n, _ = _raw(c, ns, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b" " * 20)
    assert n == 0
    # A HELLO, then silence: closed after the handshake timeout, having
    # sent only its own HELLO.
    n, t = _raw(c, ns, b"HBES\x01\x00\x00\x00" + bytes(32))
    assert n == 40 and 0.3 <= t < 5.0, (n, t)
    st = _status(c)["closed"]
    assert st["malformed"] == 1 and st["handshake_timeout"] == 1, st
    with open(c.nodes[1].log_path) as f:
        assert "not the event stream protocol" in f.read()
    other = _key(c, "other.key")
    s = Subscriber(c, ns, other, extra=["--from", "oldest"])
    assert s.wait_exit(10.0) == 3, s.stderr()
    assert "closed the connection during the handshake" in s.stderr()
    assert s.lines() == []
    c.wait_until(lambda: _status(c)["closed"]["wrong_key"] == 1, 5.0,
                 "wrong_key counted")
    with open(c.nodes[1].log_path) as f:
        assert "wrong key" in f.read()
    # The right key still works.
    good = Subscriber(c, ns, key, extra=["--from", "oldest"])
    good.wait_lines(lambda ls: len(ls) >= 1, 10.0, "an event")
    text, m = scrape(c, 1)
    if PROMTOOL:
        promtool_check(text)
    assert value(m, "hbeat_event_stream_closed_total",
                 reason="wrong_key") == 1
    assert value(m, "hbeat_event_stream_subscribers") == 1
    assert value(m, "hbeat_event_stream_sent_total") >= 1
    # One more than events.max_subscribers: closed at once, counted.
    extra = Subscriber(c, ns, key, extra=["--from", "oldest"])
    assert extra.wait_exit(10.0) == 3, extra.stderr()
    assert _status(c)["closed"]["full"] == 1
    # hbeatd stopping says so to its subscribers, and exits cleanly.
    assert c.stop(1) == 0
    assert good.wait_exit(10.0) == 1
    assert "hbeatd ended the stream: hbeatd stops" in good.stderr()


def test_gap_is_explicit(make_cluster):
    c, key, ns = _setup(make_cluster, n=2, election=False,
                        events={"log_size": 16})
    inc = _status(c)["incarnation"]
    # More events than the log holds: n2 dies and comes back.
    while _status(c)["last_seq"] <= 20:
        t = c.kill(2)
        c.wait_state(1, "n2", "dead", since_ns=t, timeout=c.detect_timeout())
        t = time.monotonic_ns()
        c.start(2)
        c.wait_state(1, "n2", "alive", since_ns=t,
                     timeout=c.recover_timeout())
    st = _status(c)
    assert st["last_seq"] > 16 and st["oldest_seq"] > 2, st

    # Asking for the events after id 1: 2 .. oldest-1 are gone.
    s = Subscriber(c, ns, key, extra=["--from", f"{inc}:1"])
    s.wait_lines(lambda ls: len(ls) >= 1 + 16, 10.0, "gap and the log")
    assert s.stop() == 0
    ls = s.lines()
    assert ls[0] == {"event": "gap", "reason": "expired",
                     "after": f"{inc}:1",
                     "resume": f"{inc}:{st['oldest_seq']}"}, ls[0]
    assert _ids(ls[1:]) == [(inc, n) for n in
                            range(st["oldest_seq"], st["oldest_seq"] + 16)]
    assert "lost" in s.stderr()

    # A state from an earlier run of hbeatd: told it restarted.
    state = c.path("old.state")
    with open(state, "w") as f:
        f.write(f"{inc - 1}:7\n")
    s = Subscriber(c, ns, key, state)
    s.wait_lines(lambda ls: len(ls) >= 2, 10.0, "gap and events")
    assert s.stop() == 0
    ls = s.lines()
    assert ls[0]["event"] == "gap" and ls[0]["reason"] == "restarted", ls
    assert ls[0]["after"] == f"{inc - 1}:7"
    # The same for humans: the gap, then each event after its id.
    os.unlink(state)
    with open(state, "w") as f:
        f.write(f"{inc - 1}:7\n")
    s = Subscriber(c, ns, key, state, json=False)
    c.wait_until(lambda: len(s.text().splitlines()) >= 2, 10.0,
                 "human lines")
    assert s.stop() == 0
    out = s.text().splitlines()
    assert out[0] == (f"gap: events after {inc - 1}:7 are lost (hbeatd "
                      f"restarted since); resuming at "
                      f"{inc}:{st['oldest_seq']}"), out
    assert out[1].startswith(f"{inc}:{st['oldest_seq']} "), out
    assert ": peer n2 " in out[1], out
    # An id this run never gave: refused.
    s = Subscriber(c, ns, key, extra=["--from", f"{inc}:100000"])
    assert s.wait_exit(10.0) == 1
    assert "no such event id" in s.stderr()
    assert _status(c)["gaps_total"] >= 2

    # A real restart of hbeatd: the new run's ids are above the old ones,
    # and a subscriber of the old run is told what it may have lost.
    state = c.path("restart.state")
    s = Subscriber(c, ns, key, state, ["--from", "oldest"])
    s.wait_lines(lambda ls: len(ls) >= 16, 10.0, "the log")
    assert s.stop() == 0
    last = s.events()[-1]["id"]
    c.stop(1)
    t = time.monotonic_ns()
    c.start(1)
    c.wait_state(1, "n2", "alive", since_ns=t, timeout=c.recover_timeout())
    new_inc = _status(c)["incarnation"]
    assert new_inc > inc
    s = Subscriber(c, ns, key, state)
    s.wait_lines(lambda ls: len(ls) >= 2, 10.0, "gap and the new run")
    assert s.stop() == 0
    ls = s.lines()
    assert ls[0] == {"event": "gap", "reason": "restarted", "after": last,
                     "resume": f"{new_inc}:1"}, ls[0]
    assert _ids(ls[1:])[0] == (new_inc, 1)


def test_backpressure_window_and_timeout(make_cluster):
    window = 2
    c, key, ns = _setup(make_cluster, n=3, election=False,
                        events={"window": window, "timeout_ms": 8000})
    w = c.nodes[1].watcher
    state = c.path("bp.state")
    s = Subscriber(c, ns, key, state, ["--from", "now"])
    c.wait_until(lambda: any(x["streaming"] for x in
                             _status(c)["subscribers"]), 10.0,
                 "the subscriber streaming")
    base = _status(c)["last_seq"]
    # It stops reading and acking; events keep coming.
    os.killpg(s.proc.pid, signal.SIGSTOP)
    try:
        t = c.kill(3)
        c.wait_state(1, "n3", "dead", since_ns=t,
                     timeout=c.detect_timeout())
        t = time.monotonic_ns()
        c.start(3)
        c.wait_state(1, "n3", "alive", since_ns=t,
                     timeout=c.recover_timeout())
        t = c.kill(2)
        c.wait_state(1, "n2", "dead", since_ns=t,
                     timeout=c.detect_timeout())
        st = _status(c)
        assert st["last_seq"] >= base + window + 1, st
        sub = st["subscribers"][0]
        # Exactly `window` sent and unacknowledged; the rest waits.
        assert sub["next_seq"] - sub["acked_seq"] - 1 == window, st
        assert sub["next_seq"] <= st["last_seq"], st
        # Silent past events.timeout_ms: disconnected.
        c.wait_until(lambda: _status(c)["closed"]["timeout"] == 1, 15.0,
                     "the silent subscriber disconnected")
        assert _status(c)["subscribers"] == []
    finally:
        os.killpg(s.proc.pid, signal.SIGCONT)
    # It prints what it had received, then learns it was cut off.
    assert s.wait_exit(10.0) == 1, s.stderr()
    assert len(s.events()) == window
    # Resumed from its state: the rest, once, in order.
    s2 = Subscriber(c, ns, key, state)
    total = len(w.snapshot())
    s2.wait_lines(lambda ls: len(s.events()) + len(ls) >= total - base,
                  10.0, "the rest")
    assert s2.stop() == 0
    got = s.events() + s2.events()
    ids = _ids(got)
    inc = ids[0][0]
    assert ids == [(inc, base + n) for n in range(1, len(ids) + 1)]
    ctl = [_key_of(e) for e in w.snapshot()][base:]
    assert [_key_of(e) for e in got] == ctl
