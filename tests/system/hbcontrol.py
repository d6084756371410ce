# SPDX-License-Identifier: MIT
"""hbeatd control-socket client for tests: one-shot requests and an
event-stream follower (docs/control-protocol.md). Used through hbcluster.

No pytest in here: scripts/demo.py uses it too.
"""

import json
import socket
import threading
import time


class ControlError(Exception):
    """The control socket did not answer as the protocol says."""


class WaitTimeout(AssertionError):
    """An awaited condition did not happen in time (a test failure)."""


def ctl_request(sock_path, request, timeout=2.0):
    """Send one JSON request on a new connection, return the JSON answer."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(json.dumps(request).encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                raise ControlError(f"{sock_path}: connection closed before "
                                   f"an answer to {request}")
            buf += chunk
    line = buf.split(b"\n", 1)[0]
    try:
        return json.loads(line)
    except ValueError as e:
        raise ControlError(f"{sock_path}: answer is not JSON ({e}): "
                           f"{line[:200]!r}") from None


def fmt_event(e, t0_ns=None):
    """One event as a short line."""
    at = e.get("at_ns")
    when = (f"+{(at - t0_ns) / 1e6:8.1f}ms" if t0_ns is not None and at
            else f"{at}")
    kind = e.get("event", "peer_state")
    if kind == "role":
        return (f"{when} {e.get('node', '?')}: role {e.get('old')} -> "
                f"{e.get('new')} (term {e.get('term')}, leader "
                f"{e.get('leader')}, {e.get('reason')})")
    if kind == "link":
        return (f"{when} {e.get('node', '?')}: link {e.get('link')} of "
                f"{e.get('peer')} {e.get('old_state')} -> {e.get('state')} "
                f"({e.get('reason')}; peer {e.get('peer_state')})")
    if kind == "quorum":
        return (f"{when} {e.get('node', '?')}: quorum "
                f"{'gained' if e.get('quorate') else 'lost'} (term "
                f"{e.get('term')}, {e.get('reason')})")
    return (f"{when} {e.get('node', '?')}: {e.get('peer')} "
            f"{e.get('old')} -> {e.get('new')} ({e.get('reason')})")


class EventWatcher:
    """Reads `events follow` from one daemon in a thread.

    `events` holds every event seen (dicts, in arrival order), completed at
    connect time with the daemon's ring of recent events, so nothing that
    happened between the daemon's start and the connection is missed.
    """

    def __init__(self, sock_path, name="?", timeout=3.0):
        self.sock_path = sock_path
        self.name = name
        self.events = []
        self.closed = False          # stream ended (daemon gone or close())
        self.error = None
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(sock_path)
            self._sock.sendall(b'{"cmd":"events","follow":true}\n')
            self._file = self._sock.makefile("rb")
            first = self._file.readline()
            ans = json.loads(first) if first else None
            if not ans or not ans.get("ok") or not ans.get("follow"):
                raise ControlError(f"{name}: events follow refused: "
                                   f"{first[:200]!r}")
        except BaseException:
            self._sock.close()
            raise
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"events-{name}")
        self._thread.start()
        self._merge_ring(timeout)

    def _merge_ring(self, timeout):
        """Prepend ring events older than the stream (deduplicated)."""
        try:
            ans = ctl_request(self.sock_path,
                              {"cmd": "events", "follow": False}, timeout)
        except (OSError, ControlError):
            return
        ring = ans.get("events") or []

        def key(e):
            return (e.get("event"), e.get("peer"), e.get("old"),
                    e.get("new"), e.get("quorate"), e.get("at_ns"))
        with self._cond:
            seen = {key(e) for e in self.events}
            first = self.events[0]["at_ns"] if self.events else None
            old = [e for e in ring if key(e) not in seen
                   and (first is None or e.get("at_ns", 0) <= first)]
            self.events[:0] = old
            self._cond.notify_all()

    def _run(self):
        try:
            for line in self._file:
                line = line.strip()
                if not line:
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    ev = {"event": "unparsable", "raw": line[:200].decode(
                        "utf-8", "replace")}
                with self._cond:
                    self.events.append(ev)
                    self._cond.notify_all()
        except (OSError, ValueError) as e:
            self.error = e
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def snapshot(self):
        with self._cond:
            return list(self.events)

    def wait_for(self, pred, timeout, what="matching event"):
        """First event with pred(event) true (past events included), waiting
        at most `timeout` s; WaitTimeout lists every event seen."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = 0
            while True:
                while i < len(self.events):
                    if pred(self.events[i]):
                        return self.events[i]
                    i += 1
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    break
                self._cond.wait(left)
            seen = list(self.events)
            closed = self.closed
        raise WaitTimeout(
            f"{self.name}: no {what} within {timeout:.2f}s"
            + (" (event stream closed: daemon gone?)" if closed else "")
            + "; events seen:\n  "
            + ("\n  ".join(fmt_event(e) for e in seen) or "(none)"))

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=2)
