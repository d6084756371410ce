# SPDX-License-Identifier: MIT
"""hbeatd under systemd's notify protocol (sd_notify(3), sd_watchdog_
enabled(3); docs/operations.md "systemd"), without systemd: the test binds
the unix datagram socket systemd would (NOTIFY_SOCKET) and sets
WATCHDOG_USEC and WATCHDOG_PID as systemd does for WatchdogSec=.

hbeatd says READY=1 once started; then WATCHDOG=1 every half period from
its event loop; RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a
reload (SIGHUP); STOPPING=1 on SIGTERM. A stopped loop (SIGSTOP) sends no
WATCHDOG=1, so that systemd restarts a stuck hbeatd."""

import signal
import socket
import time

import pytest

WATCHDOG_S = 2.0          # WatchdogSec=2: a ping each second


class NotifySocket:
    """The service manager's end: every datagram with its arrival time."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.seen = []            # (time.monotonic(), text)

    def close(self):
        self.sock.close()

    def recv(self, timeout):
        """One datagram within timeout s, or None."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        msg = (time.monotonic(), data.decode())
        self.seen.append(msg)
        return msg

    def collect(self, seconds):
        """Everything that arrives in the next `seconds`."""
        out, end = [], time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            m = self.recv(left)
            if m is not None:
                out.append(m)

    def wait_for(self, pred, timeout, what):
        """The first datagram matching pred within timeout s, and those
        before it."""
        before, end = [], time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            m = self.recv(left) if left > 0 else None
            if m is None:
                raise AssertionError(f"no {what} within {timeout}s; got "
                                     f"{[t for _, t in before]}")
            if pred(m[1]):
                return m, before
            before.append(m)


def fields(text):
    return dict(line.split("=", 1) for line in text.splitlines() if line)


@pytest.fixture
def notify(tmp_path):
    s = NotifySocket(str(tmp_path / "notify.sock"))
    yield s
    s.close()


def test_notify_and_watchdog(make_cluster, notify):
    # sh -c: WATCHDOG_PID must be hbeatd's own pid (sd_watchdog_enabled()
    # checks it), known only once the shell runs; exec keeps it.
    wrap = ["env", f"NOTIFY_SOCKET={notify.path}",
            f"WATCHDOG_USEC={int(WATCHDOG_S * 1e6)}",
            "sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh"]
    c = make_cluster(1, start=False, wrap=wrap)
    c.start(1)

    # READY=1 first: nothing before it.
    _, before = notify.wait_for(lambda t: t == "READY=1", 10, "READY=1")
    assert before == [], f"before READY=1: {before}"

    # WATCHDOG=1 about every WATCHDOG_S / 2, and nothing else meanwhile.
    msgs = notify.collect(4.5)
    texts = [t for _, t in msgs]
    assert set(texts) == {"WATCHDOG=1"}, texts
    assert len(msgs) >= 3, f"{len(msgs)} pings in 4.5 s: {msgs}"
    gaps = [b[0] - a[0] for a, b in zip(msgs, msgs[1:])]
    # Not a flood, and never as late as the period itself (systemd would
    # kill): generous bounds on a loaded machine.
    assert all(0.3 < g < WATCHDOG_S for g in gaps), gaps
    assert 0.6 < sorted(gaps)[len(gaps) // 2] < 1.5, gaps

    # A stuck loop sends nothing: SIGSTOP for two periods.
    c.pause(1)
    notify.collect(0.3)            # what was on its way
    stuck = notify.collect(2 * WATCHDOG_S)
    c.resume(1)
    assert stuck == [], f"while stopped: {stuck}"
    notify.wait_for(lambda t: t == "WATCHDOG=1", WATCHDOG_S + 2,
                    "WATCHDOG=1 after SIGCONT")

    # Reload: RELOADING=1 with the monotonic time, then READY=1.
    t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
    c.send_signal(1, signal.SIGHUP)
    (_, text), _ = notify.wait_for(lambda t: t.startswith("RELOADING=1"),
                                   10, "RELOADING=1")
    t1 = time.clock_gettime(time.CLOCK_MONOTONIC)
    usec = int(fields(text)["MONOTONIC_USEC"])
    assert t0 * 1e6 - 1e6 <= usec <= t1 * 1e6 + 1e6, (t0, usec, t1)
    _, between = notify.wait_for(lambda t: t == "READY=1", 10,
                                 "READY=1 after the reload")
    assert all(t == "WATCHDOG=1" for _, t in between), between

    st = c.status(1)["systemd_watchdog"]
    assert st["enabled"] is True and st["period_ms"] == WATCHDOG_S * 1000
    assert st["pings_total"] >= 4, st

    # Shutdown: STOPPING=1, exit 0.
    c.send_signal(1, signal.SIGTERM)
    notify.wait_for(lambda t: t == "STOPPING=1", 10, "STOPPING=1")
    assert c.nodes[1].proc.wait(10) == 0


def test_no_watchdog_without_watchdog_usec(make_cluster, notify):
    """NOTIFY_SOCKET alone (no WatchdogSec=): READY=1, and no pings."""
    wrap = ["env", f"NOTIFY_SOCKET={notify.path}"]
    c = make_cluster(1, start=False, wrap=wrap)
    c.start(1)
    notify.wait_for(lambda t: t == "READY=1", 10, "READY=1")
    assert notify.collect(2.0) == []
    st = c.status(1)["systemd_watchdog"]
    assert st["enabled"] is False and st["pings_total"] == 0, st
