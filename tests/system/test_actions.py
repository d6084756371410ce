# SPDX-License-Identifier: MIT
"""Resource actions and fencing with real daemons (issue 4,
docs/actions.md): the leader starts the resource, a new leader fences the
old one before it starts, a failed fence blocks the start until a retry
succeeds (with backoff) or the old leader is back and says its resource
is stopped, and a stop that hangs makes the stepping-down node
self-fence. Three nodes, election on,
interval 100 ms.

Every action is a shell script written here that appends one line to one
log file in the work directory (all namespaces share the file system):
"start NODE TERM", "stop NODE TERM", "fence TARGET TERM", "self NODE TERM".
Each hbeatd runs the stop once at start-up (term 0), before its first
heartbeat, to clear a copy a crashed predecessor may have left running.
"""

import os
import subprocess

ELECT_S = 3.0
FAILOVER_S = 4.0


def _script(c, name, body):
    path = c.path(name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def _setup(c, fence_exit=0, self_fence=False):
    log = c.path("actions.log")
    open(log, "w").close()
    start = _script(c, "start.sh",
                    f'echo "start $HBEAT_NODE $HBEAT_TERM" >> {log}')
    # Hangs only on a node the test marks (hang-NODE in the work dir).
    stop = _script(c, "stop.sh",
                   f'echo "stop $HBEAT_NODE $HBEAT_TERM" >> {log}\n'
                   f'[ -e {c.workdir}/hang-$HBEAT_NODE ] && exec sleep 60\n'
                   "exit 0")
    fence = _script(c, "fence.sh",
                    f'echo "fence $HBEAT_FENCE_TARGET $HBEAT_TERM" >> {log}\n'
                    f"exit {fence_exit}")
    fencing = {"command": [fence], "timeout_ms": 2000}
    if self_fence:
        fencing["self_fence"] = [_script(
            c, "self.sh", f'echo "self $HBEAT_NODE $HBEAT_TERM" >> {log}')]
    extra = {"resource": {"start": [start], "stop": [stop],
                          "start_timeout_ms": 2000, "stop_timeout_ms": 500},
             "fencing": fencing}
    for i in c.nodes:
        cfg = c.config_dict(i)
        cfg.update(extra)
        c.write_config(i, cfg)
    return log


def _lines(log):
    with open(log) as f:
        return [line.split() for line in f.read().splitlines() if line]


def _wait_line(c, log, want, timeout):
    return c.wait_until(lambda: want in _lines(log), timeout,
                        lambda: f"{want} in {_lines(log)}")


def _resource(c, i):
    return c.status(i)["resource"]


def _started(c, log):
    """Start every node; the first leader and its term, once it has started
    the resource."""
    c.start_all()
    leader, term = c.wait_leader(timeout=ELECT_S)
    _wait_line(c, log, ["start", leader, str(term)], 2.0)
    return leader, term


def _successor(c, leader, term, gone):
    """The leader the nodes other than `gone` elect after `leader`."""
    rest = [i for i in c.nodes if i not in gone]
    return c.wait_leader(nodes=rest, timeout=FAILOVER_S, min_term=term + 1,
                         exclude=(leader,))


def _blocked_on_fence(c, leader, term, k):
    """Kill the leader (node k); the successor's resource waits on a
    failed fence. Returns (successor name, its index, its new term, its
    resource document)."""
    c.kill(k)
    new_leader, new_term = _successor(c, leader, term, (k,))
    j = int(new_leader[1:])
    r = c.wait_until(lambda: (_resource(c, j)["state"]
                              == "blocked: fence failed"
                              and _resource(c, j)), 3.0,
                     lambda: f"blocked on {new_leader}: {_resource(c, j)}")
    return new_leader, j, new_term, r


def test_fence_before_start_on_failover(make_cluster):
    c = make_cluster(3, start=False, election=True)
    log = _setup(c)
    leader, term = _started(c, log)
    k = int(leader[1:])
    # Every hbeatd stopped any stale copy before its first heartbeat (term
    # 0); no previous leader and every peer alive: nothing fenced before
    # the first start.
    lines = _lines(log)
    first = lines.index(["start", leader, str(term)])
    assert sorted(lines[:first]) == sorted(["stop", f"n{i}", "0"]
                                           for i in c.nodes), lines
    r = _resource(c, k)
    assert r["state"] == "started" and r["term"] == term, r

    # SIGKILL: its stop never runs; the new leader fences it first.
    c.kill(k)
    new_leader, new_term = _successor(c, leader, term, (k,))
    _wait_line(c, log, ["start", new_leader, str(new_term)], 3.0)
    lines = _lines(log)
    print("actions:", lines)
    starts = [(n, int(t)) for a, n, t in lines if a == "start"]
    assert [t for _, t in starts] == sorted({t for _, t in starts}), lines
    # Exactly one start at a time: each later start is preceded (since
    # the previous start) by a fence of the previous starter in its term.
    for (prev, pt), (node, t) in zip(starts, starts[1:]):
        between = lines[lines.index(["start", prev, str(pt)]) + 1:
                        lines.index(["start", node, str(t)])]
        assert ["fence", prev, str(t)] in between, lines
    r = _resource(c, int(new_leader[1:]))
    assert r["state"] == "started" and r["term"] == new_term, r
    assert r["fence"]["target"] == leader and r["fence"]["result"] == "ok", r
    assert r["fence"]["term"] == new_term, r


def test_new_leader_fences_every_unclean_peer(make_cluster):
    """Five nodes: a follower dies, then the leader. The new leader fences
    both before it starts — the old leader (the last it followed) and the
    dead follower (it may have been a leader nobody heard of) — and
    nobody that is alive."""
    c = make_cluster(5, start=False, election=True)
    log = _setup(c)
    leader, term = _started(c, log)
    k = int(leader[1:])
    f = next(i for i in c.nodes if i != k)
    t_f = c.kill(f)
    for i in c.nodes:
        if i not in (k, f):
            c.wait_event(i, peer=f"n{f}", new="dead", since_ns=t_f,
                         timeout=2.0)
    c.kill(k)
    new_leader, new_term = _successor(c, leader, term, (k, f))
    _wait_line(c, log, ["start", new_leader, str(new_term)], 5.0)
    lines = _lines(log)
    print("actions:", lines)
    begin = lines.index(["start", leader, str(term)])
    end = lines.index(["start", new_leader, str(new_term)])
    fenced = sorted(x[1] for x in lines[begin:end]
                    if x[0] == "fence" and x[2] == str(new_term))
    assert fenced == sorted([leader, f"n{f}"]), lines


def test_clean_handover_is_not_fenced(make_cluster):
    """The leader shuts down (SIGTERM): it stops its resource, then
    leaves. The new leader starts without fencing it."""
    c = make_cluster(3, start=False, election=True)
    log = _setup(c)
    leader, term = _started(c, log)
    k = int(leader[1:])
    c.stop(k)
    new_leader, new_term = _successor(c, leader, term, (k,))
    _wait_line(c, log, ["start", new_leader, str(new_term)], 3.0)
    lines = _lines(log)
    print("actions:", lines)
    assert ["stop", leader, str(term)] in lines, lines
    assert not [x for x in lines if x[0] == "fence"], lines


def test_preempted_leader_is_spared(make_cluster):
    """n1 (priority 200, preempt) joins late and takes over. The leader it
    displaces stays alive: it stops its resource and says so in its
    heartbeats, so n1 starts after that stop and fences nobody."""
    # (The first leader fences n1, not started yet: never seen, unclean.)
    def election(i):
        return ({"priority": 200, "preempt": True} if i == 1
                else {"priority": 100})
    c = make_cluster(3, start=False, election=election)
    log = _setup(c)
    c.start(2)
    c.start(3)
    old, term = c.wait_leader(nodes=[2, 3], timeout=ELECT_S)
    _wait_line(c, log, ["start", old, str(term)], 2.0)
    c.start(1)
    new, new_term = c.wait_leader(timeout=FAILOVER_S + 2, min_term=term + 1)
    assert new == "n1", new
    _wait_line(c, log, ["start", "n1", str(new_term)], 3.0)
    lines = _lines(log)
    print("actions:", lines)
    assert lines.index(["stop", old, str(term)]) < \
        lines.index(["start", "n1", str(new_term)]), lines
    # n1 had never been seen when the first leader started: it was fenced
    # then (startup fencing, as Pacemaker's). The handover fenced nobody.
    assert [x for x in lines if x[0] == "fence"] == [["fence", "n1",
                                                      str(term)]], lines


def test_failed_fence_blocks_start(make_cluster):
    c = make_cluster(3, start=False, election=True)
    log = _setup(c, fence_exit=1)
    leader, term = _started(c, log)
    k = int(leader[1:])
    new_leader, j, new_term, r = _blocked_on_fence(c, leader, term, k)
    assert r["fence"]["target"] == leader, r
    assert r["fence"]["result"] == "exit 1", r
    ev = c.watcher(j).wait_for(
        lambda e: e.get("event") == "fence" and not e.get("ok"), 2.0,
        "fence event")
    assert ev["target"] == leader and ev["term"] == new_term, ev
    lines = _lines(log)
    assert ["fence", leader, str(new_term)] in lines, lines
    assert not [x for x in lines if x[0] == "start" and x[1] != leader], \
        lines


def _flaky_fence(c, log):
    """A fence that logs each run, and fails while the work dir holds
    "fence-out" (the device is out), or while "fence-count" (an attempt
    counter, created by the test) has counted two attempts or fewer."""
    out, count = c.path("fence-out"), c.path("fence-count")
    return _script(c, "fence.sh",
                   f'echo "fence $HBEAT_FENCE_TARGET $HBEAT_TERM" >> {log}\n'
                   f"[ -e {out} ] && exit 1\n"
                   f"[ -e {count} ] || exit 0\n"
                   f"n=$(( $(cat {count}) + 1 ))\n"
                   f"echo $n > {count}\n"
                   f'[ "$n" -gt 2 ]')


def _fence_events(c, j, target, term):
    return [e for e in c.watcher(j).snapshot()
            if e.get("event") == "fence" and e.get("target") == target
            and e.get("term") == term]


def test_failed_fence_is_retried_with_backoff(make_cluster):
    """The fence device fails the first two attempts, then works. The new
    leader is blocked meanwhile ("blocked: fence failed", the next attempt
    announced), tries again 1 s and then 2 s after each failure (the
    backoff), and starts the resource after the third attempt succeeds.
    Every attempt is reported: a fence event and log line with its
    number, and the counters in the status."""
    c = make_cluster(3, start=False, election=True)
    log = _setup(c)
    _flaky_fence(c, log)
    # The notify script hears every attempt too.
    notes = c.path("notify.log")
    notify = _script(c, "notify.sh",
                     '[ "$HBEAT_EVENT" = fence ] || exit 0\n'
                     f'echo "$HBEAT_NODE $HBEAT_FENCE_TARGET '
                     f'$HBEAT_FENCE_ATTEMPT $HBEAT_FENCE_RESULT" >> {notes}')
    for i in c.nodes:
        cfg = c.config_dict(i)
        cfg["notify"] = {"script": notify}
        c.write_config(i, cfg)
    leader, term = _started(c, log)
    k = int(leader[1:])
    with open(c.path("fence-count"), "w") as f:
        f.write("0\n")
    new_leader, j, new_term, r = _blocked_on_fence(c, leader, term, k)
    assert r["fence"]["target"] == leader and r["fence"]["result"] == "exit 1"
    assert r["fence"]["next_attempt_ms"] is not None, r
    assert 0 <= r["fence"]["next_attempt_ms"] <= 2000, r

    def ctl_status():
        return subprocess.run([c.hbeatctl, "-s", c.nodes[j].sock_path,
                               "status"], capture_output=True, text=True,
                              timeout=10).stdout

    c.wait_until(lambda: "; next attempt in" in ctl_status(), 3.0,
                 lambda: f"next attempt in hbeatctl status: {ctl_status()}")
    # 1 s + 2 s of backoff, plus the fences and the start: generous.
    _wait_line(c, log, ["start", new_leader, str(new_term)], 15.0)
    lines = _lines(log)
    print("actions:", lines)
    start = lines.index(["start", new_leader, str(new_term)])
    assert [x for x in lines[:start] if x == ["fence", leader,
                                              str(new_term)]] == \
        [["fence", leader, str(new_term)]] * 3, lines

    evs = _fence_events(c, j, leader, new_term)
    print("fence events:", evs)
    assert [(e["attempt"], e["ok"]) for e in evs] == \
        [(1, False), (2, False), (3, True)], evs
    gaps = [(b["at_ns"] - a["at_ns"]) / 1e9 for a, b in zip(evs, evs[1:])]
    print("between attempts (s):", gaps)
    # Each retry waits its backoff after the failure before it (the
    # results' times also hold the runs of the quick script).
    assert gaps[0] >= 1.0 and gaps[1] >= 2.0, gaps

    st = c.status(j)
    r = st["resource"]
    assert r["state"] == "started" and r["term"] == new_term, r
    assert r["fence"]["result"] == "ok" and r["fence"]["attempt"] == 3, r
    assert r["fence"]["next_attempt_ms"] is None, r
    assert st["counters"]["fence_attempts"] == 3, st["counters"]
    assert st["counters"]["fence_failures"] == 2, st["counters"]
    tail = c.log_tail(j, 200)
    assert "attempt 2 in 1000 ms" in tail and "attempt 3 in 2000 ms" in tail, \
        tail
    out = ctl_status()
    assert "(attempt 3)" in out and "next attempt" not in out, out
    want = [[new_leader, leader, "1", "exit", "1"],
            [new_leader, leader, "2", "exit", "1"],
            [new_leader, leader, "3", "ok"]]
    c.wait_until(lambda: _lines(notes) == want, 5.0,
                 lambda: f"notify runs {_lines(notes)}")


def test_failed_fence_spared_once_the_target_rejoins(make_cluster):
    """The fence device stays out; the old leader comes back. Its hbeatd
    stops any stale copy before its first heartbeat, which then says its
    resource is stopped: the new leader spares it within an interval or
    so (no fence needed, no waiting for the next attempt) and starts."""
    c = make_cluster(3, start=False, election=True)
    log = _setup(c)
    _flaky_fence(c, log)
    leader, term = _started(c, log)
    k = int(leader[1:])
    open(c.path("fence-out"), "w").close()
    new_leader, j, new_term, _ = _blocked_on_fence(c, leader, term, k)
    c.start(k)
    _wait_line(c, log, ["start", new_leader, str(new_term)], 5.0)
    lines = _lines(log)
    print("actions:", lines)
    start = lines.index(["start", new_leader, str(new_term)])
    # Its start-up stop came first; no fence succeeded.
    assert ["stop", leader, "0"] in lines[:start], lines
    evs = _fence_events(c, j, leader, new_term)
    assert evs and not [e for e in evs if e["ok"]], evs
    r = _resource(c, j)
    assert r["state"] == "started", r
    tail = c.log_tail(j, 200)
    assert f"fence of {leader} (id {k}) not needed" in tail, tail
    assert "target spared" in tail, tail


def _hanging_stop(make_cluster, self_fence):
    c = make_cluster(3, start=False, election=True)
    log = _setup(c, self_fence=self_fence)
    leader, term = _started(c, log)
    k = int(leader[1:])
    open(c.path(f"hang-{leader}"), "w").close()
    c.isolate(k)
    _wait_line(c, log, ["stop", leader, str(term)], c.detect_timeout())
    return c, log, leader, term, k


def test_hanging_stop_exits_3(make_cluster):
    c, log, leader, term, k = _hanging_stop(make_cluster, False)
    # stop_timeout_ms 500, then exit 3 at once.
    rc = c.nodes[k].proc.wait(3.0)
    assert rc == 3, c.log_tail(k)
    assert "self-fence" in c.log_tail(k, 60)


def test_hanging_stop_runs_self_fence(make_cluster):
    c, log, leader, term, k = _hanging_stop(make_cluster, True)
    _wait_line(c, log, ["self", leader, str(term)], 3.0)
    r = c.wait_until(lambda: (_resource(c, k)["state"] == "stopped"
                              and _resource(c, k)), 2.0,
                     lambda: f"stopped on {leader}: {_resource(c, k)}")
    assert r["last_action"] == "self_fence", r
    assert c.running(k)
    os.unlink(c.path(f"hang-{leader}"))
    c.heal()


class _FifoReader:
    """Reads what hbeatd writes to a FIFO standing in for /dev/watchdog:
    (monotonic ns, bytes) per read. Opened before hbeatd (a writer's
    non-blocking open needs a reader)."""

    def __init__(self, path):
        import threading
        os.mkfifo(path)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.got = []
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        import time
        while not self.stop:
            try:
                b = os.read(self.fd, 4096)
                if b:
                    self.got.append((time.monotonic_ns(), b))
            except BlockingIOError:
                pass
            time.sleep(0.01)

    def close(self):
        self.stop = True
        self.t.join(2)
        os.close(self.fd)

    def feeds_between(self, a, b):
        return [t for t, d in self.got if a <= t <= b and b"\0" in d]

    def saw_magic_close(self):
        return any(b"V" in d for _, d in self.got)


def test_watchdog_fencing(make_cluster):
    """fencing.watchdog without a fence command: the leader arms its
    watchdog (here a FIFO we read) before its start and feeds it every
    interval; hung (SIGSTOP), it feeds it no more, and the new leader
    starts only after the watchdog timeout (2 s) plus two intervals since
    it last heard it. A leader shutting down disarms it ("V")."""
    import time
    c = make_cluster(3, start=False, election=True)
    log = _setup(c)
    readers = {}
    for i in c.nodes:
        readers[i] = _FifoReader(c.path(f"wd-n{i}"))
        cfg = c.config_dict(i)
        del cfg["fencing"]["command"]
        cfg["fencing"]["watchdog"] = c.path(f"wd-n{i}")
        cfg["fencing"]["watchdog_timeout_ms"] = 2000
        c.write_config(i, cfg)
    try:
        leader, term = _started(c, log)
        k = int(leader[1:])
        time.sleep(1.0)
        now = time.monotonic_ns()
        fed = readers[k].feeds_between(now - 800_000_000, now)
        assert len(fed) >= 4, readers[k].got[-5:]
        # Followers never arm theirs.
        assert all(not readers[i].got for i in c.nodes if i != k)

        t_stop = c.pause(k)
        new_leader, new_term = _successor(c, leader, term, (k,))
        j = int(new_leader[1:])
        _wait_line(c, log, ["start", new_leader, str(new_term)], 6.0)
        t_start = c.wait_until(
            lambda: _resource(c, j)["state"] == "started" and
            time.monotonic_ns(), 1.0, "started")
        waited_s = (t_start - t_stop) / 1e9
        print(f"watchdog fence: started {waited_s:.2f} s after the hang")
        assert waited_s >= 2.0, waited_s
        r = _resource(c, j)
        assert r["fence"]["target"] == leader, r
        assert "watchdog" in r["fence"]["result"], r
        assert not readers[k].feeds_between(t_stop + 50_000_000,
                                            time.monotonic_ns())
        assert not [x for x in _lines(log) if x[0] == "fence"]

        # Shutdown: stop, then the magic close.
        c.stop(j)
        c.wait_until(readers[j].saw_magic_close, 2.0,
                     lambda: f"magic close in {readers[j].got[-3:]}")
    finally:
        for r in readers.values():
            r.close()


def _running_overlaps(lines):
    """Replay the action log: a start makes the resource run on that node,
    its stop or a fence of it (a power-off) ends that; returns the
    moments (line index, nodes) where two nodes ran it at once."""
    running, bad = set(), []
    for n, x in enumerate(lines):
        if x[0] == "start":
            running.add(x[1])
            if len(running) > 1:
                bad.append((n, sorted(running)))
        elif x[0] in ("stop", "fence"):
            running.discard(x[1])
    return bad


def test_two_node_survives_either_loss_and_a_split(make_cluster):
    """quorum.two_node with a fence that really powers the target off
    (SIGKILLs its hbeatd): the cluster survives the loss of either node,
    and a split (both alive, cut off from each other) never has the
    resource running on both — the lower id keeps quorum and fences the
    other before it can start (fencing.two_node_delay_ms, at its default
    of 6 intervals + 1 s, holds the higher id back)."""
    c = make_cluster(2, start=False,
                     election=True,
                     extra_config={"quorum": {"two_node": True}})
    log = _setup(c)
    # A fence that powers off: kill the target's hbeatd by its pid file.
    fence = _script(c, "fence.sh",
                    f'echo "fence $HBEAT_FENCE_TARGET $HBEAT_TERM" >> {log}\n'
                    f'kill -9 "$(cat {c.workdir}/pid-$HBEAT_FENCE_TARGET)" '
                    "2>/dev/null\nexit 0")
    for i in c.nodes:
        cfg = c.config_dict(i)
        cfg["fencing"]["command"] = [fence]
        c.write_config(i, cfg)

    def start(i):
        c.start(i)
        with open(c.path(f"pid-n{i}"), "w") as f:
            f.write(str(c.pid(i)))

    for i in c.nodes:
        start(i)
    leader, term = c.wait_leader(timeout=ELECT_S)
    _wait_line(c, log, ["start", leader, str(term)], 2.0)

    # Lose either node in turn: the other carries on alone.
    for _ in range(2):
        k = int(leader[1:])
        other = 3 - k
        c.kill(k)
        leader, term = c.wait_leader(nodes=[other], timeout=FAILOVER_S + 2,
                                     min_term=term + 1)
        assert leader == f"n{other}"
        _wait_line(c, log, ["start", leader, str(term)], 4.0)
        start(k)
        c.wait_all_alive(timeout=c.recover_timeout())
        # The node that came back does not take over, nor unsettle the
        # leader (its probation does not cost the leader its quorum).
        assert c.wait_leader(timeout=2.0) == (leader, term), _lines(log)
        assert ["stop", leader, str(term)] not in _lines(log)

    # A split: both alive, cut off from each other.
    c.partition(1, 2)
    c.wait_until(lambda: not c.running(2), 5.0, "n2 powered off by n1")
    c.heal()
    start(2)
    c.wait_all_alive(timeout=c.recover_timeout())
    final, _ = c.wait_leader(timeout=FAILOVER_S)
    lines = _lines(log)
    print("actions:", lines)
    assert final == "n1", lines
    assert not _running_overlaps(lines), lines
