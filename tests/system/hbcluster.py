# SPDX-License-Identifier: MIT
"""Run a real hbeat cluster on one host, for system tests and the demo.

    with Cluster(3) as c:
        c.start_all()
        c.wait_all_alive(timeout=5)
        t = c.kill(3)                                   # SIGKILL n3
        ev = c.wait_event(1, peer="n3", new="dead", since_ns=t, timeout=3)

Two modes:

* netns (root and `ip netns` work): one network namespace per node
  (`hbt-<id>-n<i>`) plus a switch namespace (`hbt-<id>-sw`) holding a Linux
  bridge; a veth pair joins each node to the bridge. Node i has address
  10.213.<k>.<i>/24 (k random per cluster), the bridge 10.213.<k>.254. All of
  it exists only inside these namespaces: nothing is added to the host's
  namespace, nothing is routed. With links=2 (redundant links,
  docs/links.md) a second bridge br1 (10.214.<k>.254/24) and a second
  veth pair per node (eth1, 10.214.<k>.<i>) make a second network; the
  configs then name links ring0 (eth0) and ring1 (eth1) and give every
  peer an address on each. Impairments are nftables rules (table
  `inet hbtest`) inside a node's namespace.
* loopback (otherwise): every node on 127.0.0.1 with its own free port.
  Impairments raise NotSupported.

Nodes are numbered from 1 (node i is named "n<i>" and has id i). Every wait
is bounded and raises WaitTimeout (an AssertionError) listing what was seen.
close() (also from `with`, and at interpreter exit) SIGKILLs every daemon and
every process still running from the work directory, deletes the
namespaces and removes the work directory.

The control-socket client and EventWatcher live in hbcontrol.py (re-exported
here); the wire encoder for forged datagrams in hbwire.py.

No pytest in here: scripts/demo.py uses it too.
"""

import atexit
import base64
import copy
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from hbcontrol import (ControlError, EventWatcher, WaitTimeout,  # noqa: F401
                       ctl_request, fmt_event)

PORT = 7400
NFT_TABLE = "hbtest"
STATES = ("unknown", "alive", "suspect", "dead", "probation", "left")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class HarnessError(ControlError):
    """The harness itself could not do what was asked."""


class NotSupported(HarnessError):
    """The operation needs netns mode (tests skip on this)."""


class DaemonError(HarnessError):
    """A daemon did not start or died unexpectedly."""


def default_build_dir():
    return os.environ.get("HBEAT_BUILD_DIR") or os.path.join(REPO, "build")


def _run(cmd, *, input=None, timeout=10, check=True):
    """Run a helper command (ip, nft) with a time limit."""
    p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)}: exit {p.returncode}: "
                           f"{p.stderr.strip() or p.stdout.strip()}")
    return p


def netns_available():
    """(True, "") if netns mode can work here, else (False, reason)."""
    if os.geteuid() != 0:
        return False, "netns mode needs root"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return False, f"'{tool}' not found"
    probe = f"hbt-probe-{secrets.token_hex(3)}"
    try:
        p = _run(["ip", "netns", "add", probe], check=False)
        if p.returncode != 0:
            return False, f"ip netns add failed: {p.stderr.strip()}"
        p = _run(["ip", "netns", "exec", probe, "nft", "add", "table",
                  "inet", NFT_TABLE], check=False)
        if p.returncode != 0:
            return False, f"nft in a namespace failed: {p.stderr.strip()}"
        return True, ""
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"netns probe failed: {e}"
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True,
                       timeout=10)


def _free_udp_port():
    """A UDP port free on 127.0.0.1 right now, also free for TCP."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            try:
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


# ---------------------------------------------------------------- YAML out

def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return _flow(v)         # a mapping inside a list entry
    return json.dumps(str(v))   # a JSON string is a YAML double-quoted one


def _flow(d):
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in d.items()) + "}"


def to_yaml(d, indent=0):
    """Block-style YAML for a config dict (dicts, lists of dicts/scalars)."""
    pad = " " * indent
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:")
            out.append(to_yaml(v, indent + 2))
        elif isinstance(v, list):
            if not v:
                out.append(f"{pad}{k}: []")
                continue
            out.append(f"{pad}{k}:")
            for item in v:
                if isinstance(item, dict):
                    out.append(f"{pad}  - {_flow(item)}")
                else:
                    out.append(f"{pad}  - {_scalar(item)}")
        else:
            out.append(f"{pad}{k}: {_scalar(v)}")
    return "\n".join(x for x in out if x)


def deep_merge(base, extra):
    """`base` updated recursively with `extra` (a new dict)."""
    out = copy.deepcopy(base)
    for k, v in (extra or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# ------------------------------------------------------------------ cluster

class Node:
    def __init__(self, index):
        self.index = index
        self.name = f"n{index}"
        self.id = index
        self.ns = None
        self.host = None
        self.hosts = []              # per link (links=2: two)
        self.port = None
        self.cfg_path = None
        self.sock_path = None
        self.log_path = None
        self.proc = None
        self.watcher = None
        self.config = None           # dict last written

    @property
    def address(self):
        return f"{self.host}:{self.port}"


_LIVE = set()


def _close_all_live():
    for c in list(_LIVE):
        try:
            c.close()
        except Exception as e:  # noqa: BLE001 - best effort at exit
            print(f"hbcluster: cleanup at exit: {e}", file=sys.stderr)


atexit.register(_close_all_live)


class Cluster:
    """n hbeatd nodes, their configs, namespaces and impairments."""

    def __init__(self, n, interval_ms=100, detector="phi", netns=None,
                 workdir=None, build_dir=None, extra_config=None,
                 probation_ms=500, cluster_id=7, log_format=None,
                 election=None, wrap=None, links=1):
        if n < 1:
            raise ValueError("n must be >= 1")
        if links not in (1, 2):
            raise ValueError("links must be 1 or 2")
        # links=2: a second network and links ring0/ring1 (netns only).
        self.links = links
        self.n = n
        self.interval_ms = interval_ms
        self.detector = detector
        self.probation_ms = probation_ms
        self.cluster_id = cluster_id
        self.log_format = log_format
        self.extra_config = extra_config
        # election: None (off), True, or a dict of election settings (all
        # nodes) or a function i -> dict; the state file is always
        # <workdir>/n<i>.state unless the dict names one.
        self.election = election
        # wrap: commands hbeatd runs under (inside its namespace), such as
        # ["setpriv", "--bounding-set=-sys_nice", "--"]: each must exec
        # the next, so that the pid stays the daemon's.
        self.wrap = list(wrap or [])
        self.build_dir = os.path.abspath(build_dir or default_build_dir())
        self.hbeatd = os.path.join(self.build_dir, "hbeatd")
        self.hbeatctl = os.path.join(self.build_dir, "hbeatctl")
        if not os.access(self.hbeatd, os.X_OK):
            raise HarnessError(f"{self.hbeatd}: not found or not executable "
                               "(build first, or set HBEAT_BUILD_DIR)")
        self.tag = secrets.token_hex(3)
        self.closed = False
        self.namespaces = []
        self.switch_ns = None
        self._rules = {}
        self.subnet = secrets.randbelow(256)
        if netns is None:
            netns, _ = netns_available()
        elif netns:
            ok, why = netns_available()
            if not ok:
                raise NotSupported(why)
        self.netns = bool(netns)
        if links > 1 and not self.netns:
            raise NotSupported("links=2 needs netns mode")
        self.own_workdir = workdir is None
        self.workdir = (tempfile.mkdtemp(prefix=f"hbt-{self.tag}-", dir="/tmp")
                        if workdir is None else os.path.abspath(workdir))
        os.makedirs(self.workdir, exist_ok=True)
        self.nodes = {i: Node(i) for i in range(1, n + 1)}
        _LIVE.add(self)
        try:
            self._write_state()
            if self.netns:
                self._make_network()
            else:
                # Distinct ports: the kernel may hand the same free port
                # to two draws in a row (64 nodes: a collision in about
                # one run of 15).
                used = set()
                for node in self.nodes.values():
                    port = _free_udp_port()
                    while port in used:
                        port = _free_udp_port()
                    used.add(port)
                    node.host, node.port = "127.0.0.1", port
            self.key_path = os.path.join(self.workdir, "cluster.key")
            self._write_key(self.key_path)
            for i in self.nodes:
                self.write_config(i, self.default_config(i))
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ setup

    def _write_state(self):
        """Who owns what, for `hbcluster.py --cleanup-stale`."""
        with open(os.path.join(self.workdir, "cluster.json"), "w") as f:
            json.dump({"pid": os.getpid(), "tag": self.tag,
                       "namespaces": self.namespaces}, f)

    def _add_ns(self, name):
        _run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        self._write_state()
        _run(["ip", "-n", name, "link", "set", "lo", "up"])

    def _make_network(self):
        self.switch_ns = f"hbt-{self.tag}-sw"
        self._add_ns(self.switch_ns)
        sw = ["ip", "-n", self.switch_ns]
        _run(sw + ["link", "add", "br0", "type", "bridge"])
        _run(sw + ["addr", "add", f"10.213.{self.subnet}.254/24",
                   "dev", "br0"])
        _run(sw + ["link", "set", "br0", "up"])
        for i, node in self.nodes.items():
            node.ns = f"hbt-{self.tag}-n{i}"
            node.host, node.port = f"10.213.{self.subnet}.{i}", PORT
            self._add_ns(node.ns)
            # Both ends are created inside our namespaces, never on the host.
            _run(sw + ["link", "add", f"p{i}", "type", "veth", "peer",
                       "name", "eth0", "netns", node.ns])
            _run(sw + ["link", "set", f"p{i}", "master", "br0"])
            _run(sw + ["link", "set", f"p{i}", "up"])
            nn = ["ip", "-n", node.ns]
            _run(nn + ["addr", "add", f"{node.host}/24", "dev", "eth0"])
            _run(nn + ["link", "set", "eth0", "up"])
            self._rules[i] = {"input": [], "output": [], "loss": None}
            node.hosts = [node.host]
        if self.links > 1:
            self._make_second_network()

    def _make_second_network(self):
        """links=2: br1 and eth1 in every node, 10.214.<k>.0/24."""
        sw = ["ip", "-n", self.switch_ns]
        _run(sw + ["link", "add", "br1", "type", "bridge"])
        _run(sw + ["addr", "add", f"10.214.{self.subnet}.254/24",
                   "dev", "br1"])
        _run(sw + ["link", "set", "br1", "up"])
        for i, node in self.nodes.items():
            host1 = f"10.214.{self.subnet}.{i}"
            _run(sw + ["link", "add", f"q{i}", "type", "veth", "peer",
                       "name", "eth1", "netns", node.ns])
            _run(sw + ["link", "set", f"q{i}", "master", "br1"])
            _run(sw + ["link", "set", f"q{i}", "up"])
            nn = ["ip", "-n", node.ns]
            _run(nn + ["addr", "add", f"{host1}/24", "dev", "eth1"])
            _run(nn + ["link", "set", "eth1", "up"])
            node.hosts.append(host1)

    def link_address(self, i, link):
        """Node i's address (HOST:PORT) on link `link` (0 or 1)."""
        node = self.nodes[i]
        if link == 0:
            return node.address
        return f"{node.hosts[link]}:{node.port}"

    @staticmethod
    def _write_key(path):
        data = base64.b64encode(secrets.token_bytes(32)) + b"\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)

    def key(self):
        """The cluster key (32 bytes)."""
        with open(self.key_path, "rb") as f:
            return base64.b64decode(f.read().strip())

    def path(self, name):
        return os.path.join(self.workdir, name)

    def default_config(self, i, peers=None):
        """The config dict for node i (before extra_config)."""
        node = self.nodes[i]
        node.cfg_path = self.path(f"{node.name}.yaml")
        node.sock_path = self.path(f"{node.name}.sock")
        node.log_path = self.path(f"{node.name}.log")
        cfg = {
            "node": {"name": node.name, "id": node.id,
                     "incarnation_file": self.incarnation_file(i)},
            "listen": node.address,
            "cluster": {"id": self.cluster_id, "key_file": self.key_path},
            "heartbeat": {"interval_ms": self.interval_ms},
            "detector": {"kind": self.detector},
            "membership": {"probation_ms": self.probation_ms},
            "control": {"socket": node.sock_path},
            "peers": [{"name": p.name, "id": p.id, "address": p.address}
                      for j, p in self.nodes.items()
                      if j != i and (peers is None or j in peers)],
        }
        if self.links > 1:
            del cfg["listen"]
            cfg["links"] = [{"name": f"ring{k}",
                             "listen": self.link_address(i, k),
                             "interface": f"eth{k}"}
                            for k in range(self.links)]
            for p in cfg["peers"]:
                j = p.pop("id")
                del p["address"]
                p["id"] = j
                p["addresses"] = [self.link_address(j, k)
                                  for k in range(self.links)]
        if self.election:
            el = self.election
            if callable(el):
                el = el(i)
            el = {} if el is True else dict(el)
            cfg["election"] = deep_merge(
                {"enabled": True, "state_file": self.state_file(i)}, el)
        extra = self.extra_config
        if callable(extra):
            extra = extra(i)
        return deep_merge(cfg, extra)

    def incarnation_file(self, i):
        """Where node i keeps its last incarnation (node.incarnation_file)."""
        return self.path(f"{self.nodes[i].name}.incarnation")

    def state_file(self, i):
        """Where node i keeps its term (election.state_file)."""
        return self.path(f"{self.nodes[i].name}.state")

    def read_state(self, i):
        """(term, voted_for) from node i's state file, or None."""
        try:
            with open(self.state_file(i)) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        return int(lines[1].split()[1]), int(lines[2].split()[1])

    def config_dict(self, i):
        return copy.deepcopy(self.nodes[i].config)

    def write_config(self, i, cfg):
        """Write node i's config from a dict (used at next start/reload)."""
        self.nodes[i].config = copy.deepcopy(cfg)
        self.write_config_text(i, "# written by tests/system/hbcluster.py\n"
                               + to_yaml(cfg) + "\n")

    def write_config_text(self, i, text):
        path = self.nodes[i].cfg_path
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    # ----------------------------------------------------- timing budgets

    @property
    def interval_s(self):
        return self.interval_ms / 1000.0

    def detect_timeout(self):
        """Generous bound for alive -> dead after a failure (s)."""
        return 12 * self.interval_s + 1.5

    def recover_timeout(self):
        """Generous bound for dead -> probation -> alive after a return."""
        return self.probation_ms / 1000.0 + 10 * self.interval_s + 2.0

    # ------------------------------------------------------- processes

    def _argv(self, i):
        node = self.nodes[i]
        argv = self.wrap + [self.hbeatd, "-c", node.cfg_path]
        if self.log_format:
            argv += ["--log-format", self.log_format]
        if self.netns:
            argv = ["ip", "netns", "exec", node.ns] + argv
        return argv

    def running(self, i):
        p = self.nodes[i].proc
        return p is not None and p.poll() is None

    def pid(self, i):
        return self.nodes[i].proc.pid

    def start(self, i, wait=True, timeout=5.0):
        """Start node i's daemon; with wait, until its control socket
        answers and its event watcher is connected."""
        node = self.nodes[i]
        if self.running(i):
            raise HarnessError(f"{node.name} is already running")
        self._close_watcher(i)
        try:
            os.unlink(node.sock_path)
        except FileNotFoundError:
            pass
        with open(node.log_path, "ab") as log:
            log.write(f"=== hbcluster: start {node.name} "
                      f"({time.strftime('%H:%M:%S')}) ===\n".encode())
            log.flush()
            # Own session: a ^C on the terminal reaches the harness, which
            # then kills the daemons itself.
            node.proc = subprocess.Popen(
                self._argv(i), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, start_new_session=True)
        if wait:
            self.wait_ready(i, timeout)

    def start_all(self, timeout=5.0):
        """Start every node (all processes first, then wait for each)."""
        for i in self.nodes:
            if not self.running(i):
                self.start(i, wait=False)
        for i in self.nodes:
            self.wait_ready(i, timeout)

    def wait_ready(self, i, timeout=5.0):
        node = self.nodes[i]
        deadline = time.monotonic() + timeout
        last = None
        while True:
            rc = node.proc.poll()
            if rc is not None:
                raise DaemonError(f"{node.name} exited with status {rc} "
                                  f"during start-up; log:\n"
                                  f"{self.log_tail(i)}")
            if os.path.exists(node.sock_path):
                try:
                    ans = ctl_request(node.sock_path, {"cmd": "status"}, 1.0)
                    if ans.get("ok"):
                        break
                    last = ans
                except (OSError, ControlError) as e:
                    last = e
            if time.monotonic() > deadline:
                raise DaemonError(f"{node.name}: control socket "
                                  f"{node.sock_path} not answering after "
                                  f"{timeout}s (last: {last}); log:\n"
                                  f"{self.log_tail(i)}")
            time.sleep(0.02)
        node.watcher = EventWatcher(node.sock_path, node.name)

    def _close_watcher(self, i):
        w = self.nodes[i].watcher
        if w is not None:
            w.close()

    def kill(self, i, sig=signal.SIGKILL, timeout=5.0):
        """Send `sig` to node i; returns time.monotonic_ns() just before.
        For SIGKILL, also waits until the process is reaped."""
        node = self.nodes[i]
        if node.proc is None:
            raise HarnessError(f"{node.name} was never started")
        t = time.monotonic_ns()
        node.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            node.proc.wait(timeout)
        return t

    def stop(self, i, timeout=5.0):
        """SIGTERM node i and wait for it; returns its exit status. Raises
        DaemonError (after SIGKILL) if it does not exit in time."""
        node = self.nodes[i]
        if not self.running(i):
            return node.proc.returncode if node.proc else None
        node.proc.send_signal(signal.SIGTERM)
        try:
            return node.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            node.proc.kill()
            node.proc.wait(5)
            raise DaemonError(f"{node.name} did not exit within {timeout}s "
                              "of SIGTERM (killed)") from None

    def restart(self, i, timeout=5.0):
        if self.running(i):
            self.stop(i)
        self.start(i, timeout=timeout)

    def pause(self, i):
        """SIGSTOP node i; returns monotonic ns just before."""
        return self.kill(i, signal.SIGSTOP)

    def resume(self, i):
        """SIGCONT node i; returns monotonic ns just before."""
        return self.kill(i, signal.SIGCONT)

    def send_signal(self, i, sig):
        """Send any signal (SIGHUP for a reload...); returns monotonic ns."""
        return self.kill(i, sig)

    # ------------------------------------------------------- observation

    def ctl(self, i, request, timeout=2.0):
        return ctl_request(self.nodes[i].sock_path, request, timeout)

    def status(self, i, timeout=2.0):
        ans = self.ctl(i, {"cmd": "status"}, timeout)
        if not ans.get("ok"):
            raise HarnessError(f"n{i}: status failed: {ans}")
        return ans

    def members_full(self, i, timeout=2.0):
        ans = self.ctl(i, {"cmd": "members"}, timeout)
        if not ans.get("ok"):
            raise HarnessError(f"n{i}: members failed: {ans}")
        return ans["members"]

    def members(self, i, timeout=2.0):
        """{peer name: state} as node i sees it."""
        return {m["name"]: m["state"] for m in self.members_full(i, timeout)}

    def watcher(self, i):
        w = self.nodes[i].watcher
        if w is None:
            raise HarnessError(f"n{i} has no event watcher (not started?)")
        return w

    def coord(self, i, timeout=2.0):
        """The "coordination" object of node i's status."""
        return self.status(i, timeout)["coordination"]

    def coord_events(self, i, kind="role", since_ns=None):
        """Role or quorum events seen by node i (current run)."""
        return [e for e in self.watcher(i).snapshot()
                if e.get("event") == kind
                and (since_ns is None or e.get("at_ns", 0) >= since_ns)]

    def wait_leader(self, nodes=None, timeout=3.0, min_term=0, exclude=()):
        """Until every node in `nodes` (default: all running) reports the
        same leader (not in `exclude`), that leader itself reporting role
        leader in a term >= min_term. Followers may be in a later term (a
        node back with the term it reached while cut off follows the
        leader of an earlier one: docs/election.md). Returns (leader
        name, the leader's term)."""
        nodes = list(nodes or self.running_nodes())
        seen = {}

        def agreed():
            seen.clear()
            for i in nodes:
                co = self.coord(i, timeout=1.0)
                seen[f"n{i}"] = (co.get("role"), co.get("leader"),
                                 co.get("term"))
            leaders = {v[1] for v in seen.values()}
            if len(leaders) != 1:
                return None
            leader = leaders.pop()
            if leader is None or leader in exclude:
                return None
            own = seen.get(leader)
            if own is None:
                # The leader is not among `nodes`: the followers' views.
                term = min(v[2] for v in seen.values())
            elif own[0] != "leader":
                return None
            else:
                term = own[2]
            if term < min_term or any(v[2] < term for v in seen.values()):
                return None
            return leader, term
        return self.wait_until(agreed, timeout,
                               lambda: f"agreement on a leader ({seen})")

    def events(self, i, peer=None, since_ns=None):
        """Events seen by node i (current run), filtered."""
        return [e for e in self.watcher(i).snapshot()
                if e.get("event", "peer_state") == "peer_state"
                and (peer is None or e.get("peer") == peer)
                and (since_ns is None or e.get("at_ns", 0) >= since_ns)]

    def wait_event(self, observer, peer=None, new=None, old=None,
                   since_ns=None, timeout=None, reason=None):
        """First event at `observer` matching the filters (at_ns >=
        since_ns); raises WaitTimeout."""
        timeout = self.detect_timeout() if timeout is None else timeout

        def pred(e):
            return ((peer is None or e.get("peer") == peer)
                    and (new is None or e.get("new") == new)
                    and (old is None or e.get("old") == old)
                    and (reason is None or e.get("reason") == reason)
                    and (since_ns is None or e.get("at_ns", 0) >= since_ns))
        what = "event " + ", ".join(
            f"{k}={v}" for k, v in (("peer", peer), ("old", old),
                                    ("new", new), ("reason", reason))
            if v is not None)
        return self.watcher(observer).wait_for(pred, timeout, what)

    def wait_state(self, observer, peer, state, timeout=None, since_ns=None):
        """Until `observer` sees `peer` in `state`: either its members say
        so now, or an event to that state (at_ns >= since_ns when given)
        arrived. Returns the event, or None if seen via members."""
        timeout = self.detect_timeout() if timeout is None else timeout
        deadline = time.monotonic() + timeout
        w = self.watcher(observer)

        def pred(e):
            return (e.get("peer") == peer and e.get("new") == state
                    and (since_ns is None or e.get("at_ns", 0) >= since_ns))
        last = None
        while True:
            for e in w.snapshot():
                if since_ns is not None and pred(e):
                    return e
            try:
                last = self.members(observer, timeout=1.0)
                if last.get(peer) == state:
                    return None
            except (OSError, ControlError) as e:
                last = f"members failed: {e}"
            if time.monotonic() > deadline:
                ev = "\n  ".join(fmt_event(e) for e in w.snapshot())
                raise WaitTimeout(
                    f"n{observer} does not see {peer} {state} within "
                    f"{timeout:.2f}s; members: {last}; events:\n  "
                    f"{ev or '(none)'}")
            # Woken early by any new event.
            with w._cond:
                w._cond.wait(0.05)

    def wait_transitions(self, observer, peer, states, since_ns,
                         timeout=None):
        """Until `observer`'s events for `peer` since `since_ns` go through
        `states` in this order (other transitions may be interleaved).
        Returns all of that peer's events since since_ns."""
        timeout = self.recover_timeout() if timeout is None else timeout
        w = self.watcher(observer)
        deadline = time.monotonic() + timeout
        while True:
            evs = self.events(observer, peer=peer, since_ns=since_ns)
            k = 0
            for e in evs:
                if k < len(states) and e.get("new") == states[k]:
                    k += 1
            if k == len(states):
                return evs
            left = deadline - time.monotonic()
            if left <= 0 or w.closed:
                raise WaitTimeout(
                    f"n{observer}: {peer} did not go through "
                    f"{' -> '.join(states)} within {timeout:.2f}s; its "
                    "events since the mark:\n  "
                    + ("\n  ".join(fmt_event(e, since_ns) for e in evs)
                       or "(none)"))
            with w._cond:
                w._cond.wait(min(left, 0.1))

    def events_into(self, observer, peers, states=("suspect", "dead"),
                    since_ns=None):
        """Events at `observer` that moved one of `peers` (names) into one
        of `states` since since_ns: the false alarms a test forbids."""
        return [e for e in self.events(observer, since_ns=since_ns)
                if e.get("peer") in peers and e.get("new") in states]

    def running_nodes(self):
        return [i for i in self.nodes if self.running(i)]

    def wait_all_alive(self, timeout=5.0, nodes=None):
        """Until every node in `nodes` (default: all running) sees every
        other one alive."""
        nodes = list(nodes or self.running_nodes())
        deadline = time.monotonic() + timeout
        while True:
            bad = {}
            for i in nodes:
                try:
                    m = self.members(i, timeout=1.0)
                except (OSError, ControlError) as e:
                    bad[f"n{i}"] = f"members failed: {e}"
                    continue
                wrong = {f"n{j}": m.get(f"n{j}") for j in nodes
                         if j != i and m.get(f"n{j}") != "alive"}
                if wrong:
                    bad[f"n{i}"] = wrong
            if not bad:
                return
            if time.monotonic() > deadline:
                raise WaitTimeout(f"not all alive within {timeout:.2f}s: "
                                  f"{bad}")
            time.sleep(0.05)

    def wait_until(self, fn, timeout, what="condition", interval=0.05):
        """Until fn() returns a truthy value (returned); WaitTimeout.
        `what` may be a function, called for the message on failure."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = fn()
                if last:
                    return last
            except (OSError, ControlError) as e:
                last = e
            if time.monotonic() > deadline:
                what = what() if callable(what) else what
                raise WaitTimeout(f"{what} not reached within {timeout:.2f}s"
                                  f" (last: {last!r})")
            time.sleep(interval)

    def log_tail(self, i, lines=30):
        try:
            with open(self.nodes[i].log_path, "rb") as f:
                data = f.read()[-20000:]
        except OSError as e:
            return f"(no log: {e})"
        text = data.decode("utf-8", "replace").splitlines()[-lines:]
        return "\n".join("    " + x for x in text)

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:", "WARNING: ThreadSanitizer")

    def sanitizer_reports(self):
        """Lines of sanitizer reports (ASan, LSan, UBSan) in any daemon
        log: {node name: [lines]}; empty for a clean run."""
        found = {}
        for i, node in self.nodes.items():
            try:
                with open(node.log_path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            hits = [ln for ln in text.splitlines()
                    if any(m in ln for m in self.SANITIZER_MARKS)]
            if hits:
                found[node.name] = hits
        return found

    def describe(self, lines=25):
        """Logs and events of every node, for a failure report."""
        out = [f"cluster {self.tag} ({'netns' if self.netns else 'loopback'}"
               f", workdir {self.workdir})"]
        for i, node in self.nodes.items():
            st = ("running" if self.running(i) else
                  f"exited {node.proc.returncode}" if node.proc else
                  "never started")
            out.append(f"--- {node.name} [{st}] {node.address} log tail:")
            out.append(self.log_tail(i, lines))
            if node.watcher:
                evs = node.watcher.snapshot()
                out.append(f"--- {node.name} events ({len(evs)}):")
                out.extend("    " + fmt_event(e) for e in evs[-40:])
        return "\n".join(out)

    # ------------------------------------------------------- impairments

    def _need_netns(self, what):
        if not self.netns:
            raise NotSupported(f"{what} needs netns mode")

    def _apply_nft(self, i):
        r = self._rules[i]
        inp = list(r["input"])
        if r["loss"]:
            percent, protos = r["loss"]
            inp.append(f"meta l4proto {{ {', '.join(protos)} }} numgen "
                       f"random mod 100 < {int(percent)} counter drop "
                       "comment \"loss\"")
        text = f"table inet {NFT_TABLE} {{}}\ndelete table inet {NFT_TABLE}\n"
        if inp or r["output"]:
            text += (f"table inet {NFT_TABLE} {{\n"
                     "  chain input { type filter hook input priority 0; "
                     "policy accept;\n"
                     + "".join(f"    {x}\n" for x in inp) + "  }\n"
                     "  chain output { type filter hook output priority 0; "
                     "policy accept;\n"
                     + "".join(f"    {x}\n" for x in r["output"]) + "  }\n"
                     "}\n")
        _run(["ip", "netns", "exec", self.nodes[i].ns, "nft", "-f", "-"],
             input=text)

    def partition(self, i, j, proto=None):
        """Drop all traffic between nodes i and j (both directions, rules in
        both namespaces); with `proto` ("udp", "tcp"), only that
        protocol's."""
        self._need_netns("partition")
        only = f" meta l4proto {proto}" if proto else ""
        for a, b in ((i, j), (j, i)):
            hb = self.nodes[b].host
            self._rules[a]["input"].append(f"ip saddr {hb}{only} drop")
            self._rules[a]["output"].append(f"ip daddr {hb}{only} drop")
            self._apply_nft(a)

    def isolate(self, i):
        """Cut node i off from everyone."""
        self._need_netns("isolate")
        self._rules[i]["input"].append('iifname "eth0" drop')
        self._rules[i]["output"].append('oifname "eth0" drop')
        self._apply_nft(i)

    def cut_link(self, i, link):
        """Cut node i's link `link` (its eth<link>: everything in and out
        dropped), the other links untouched."""
        self._need_netns("cut_link")
        self._rules[i]["input"].append(f'iifname "eth{link}" drop')
        self._rules[i]["output"].append(f'oifname "eth{link}" drop')
        self._apply_nft(i)

    def link_events(self, i, peer=None, since_ns=None):
        """Link events (docs/links.md) seen by node i (current run)."""
        return [e for e in self.watcher(i).snapshot()
                if e.get("event") == "link"
                and (peer is None or e.get("peer") == peer)
                and (since_ns is None or e.get("at_ns", 0) >= since_ns)]

    def wait_link_event(self, observer, peer, link, state, since_ns=None,
                        timeout=None):
        """First link event at `observer`: `link` of `peer` to `state`."""
        timeout = self.detect_timeout() if timeout is None else timeout

        def pred(e):
            return (e.get("event") == "link" and e.get("peer") == peer
                    and e.get("link") == link and e.get("state") == state
                    and (since_ns is None or e.get("at_ns", 0) >= since_ns))
        return self.watcher(observer).wait_for(
            pred, timeout, f"link {link} of {peer} {state}")

    def links_of(self, i, timeout=2.0):
        """`links` of node i: {(peer, link): row}."""
        ans = self.ctl(i, {"cmd": "links"}, timeout)
        return {(r["peer"], r["link"]): r for r in ans["peers"]}

    def loss(self, i, percent, protocols=("udp",)):
        """Randomly drop `percent`% of the packets of `protocols` (nft
        names: "udp"; "vrrp" for keepalived's adverts, IP protocol 112)
        arriving at node i (0 removes). Each packet is drawn on its own, so
        every directed link into node i loses `percent`%."""
        self._need_netns("loss")
        if not 0 <= percent <= 100:
            raise ValueError("percent must be in 0..100")
        self._rules[i]["loss"] = ((percent, tuple(protocols)) if percent
                                  else None)
        self._apply_nft(i)

    def heal(self):
        """Remove every impairment on every node."""
        self._need_netns("heal")
        for i in self.nodes:
            self._rules[i] = {"input": [], "output": [], "loss": None}
            self._apply_nft(i)

    def loss_drops(self, i):
        """Packets the loss rule of node i has dropped so far."""
        self._need_netns("loss")
        out = _run(["ip", "netns", "exec", self.nodes[i].ns, "nft", "list",
                    "table", "inet", NFT_TABLE], check=False).stdout
        for line in out.splitlines():
            if 'comment "loss"' in line and "counter packets" in line:
                return int(line.split("counter packets", 1)[1].split()[0])
        return 0

    def nft_counters(self, i):
        """The ruleset of node i's namespace (text), for diagnostics."""
        self._need_netns("nft")
        return _run(["ip", "netns", "exec", self.nodes[i].ns, "nft", "list",
                     "table", "inet", NFT_TABLE], check=False).stdout

    _SEND = ("import socket,sys\n"
             "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
             "for h in sys.argv[3:]:\n"
             "    s.sendto(bytes.fromhex(h),(sys.argv[1],int(sys.argv[2])))\n")

    def send_raw(self, i, data, from_ns="switch"):
        """Send datagram(s) (bytes or a list of bytes) to node i's listen
        address. netns mode: from the switch namespace ("switch", source
        10.213.k.254) or from node j's namespace (from_ns=j, source = j's
        address, another port). Loopback mode: from this process."""
        datagrams = [data] if isinstance(data, (bytes, bytearray)) else data
        node = self.nodes[i]
        if not self.netns:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for d in datagrams:
                    s.sendto(bytes(d), (node.host, node.port))
            return
        ns = self.switch_ns if from_ns == "switch" else self.nodes[from_ns].ns
        _run(["ip", "netns", "exec", ns, sys.executable, "-c", self._SEND,
              node.host, str(node.port)] + [bytes(d).hex() for d in datagrams])

    # ---------------------------------------------------------- teardown

    def add_host(self, name="client", index=200):
        """netns mode: one more namespace (not a node) on the bridge, with
        address 10.213.<k>.<index>/24 on its eth0; for clients of the
        nodes (virtual IPs). Returns the namespace's name."""
        self._need_netns("add_host")
        ns = f"hbt-{self.tag}-{name}"
        self._add_ns(ns)
        sw = ["ip", "-n", self.switch_ns]
        _run(sw + ["link", "add", f"h{index}", "type", "veth", "peer",
                   "name", "eth0", "netns", ns])
        _run(sw + ["link", "set", f"h{index}", "master", "br0"])
        _run(sw + ["link", "set", f"h{index}", "up"])
        _run(["ip", "-n", ns, "addr", "add", f"10.213.{self.subnet}.{index}/24",
              "dev", "eth0"])
        _run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        return ns

    def spawn_in(self, ns, argv):
        """Start a helper process in namespace `ns` (killed by close() when
        its argv mentions the work directory)."""
        return subprocess.Popen(["ip", "netns", "exec", ns] + list(argv),
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def run_in(self, ns, argv, timeout=10, check=False):
        """Run a command in namespace `ns`; the CompletedProcess."""
        return _run(["ip", "netns", "exec", ns] + list(argv),
                    timeout=timeout, check=check)

    def addresses(self, i, dev="eth0"):
        """The addresses ("A/P") on node i's interface (netns mode)."""
        self._need_netns("addresses")
        out = _run(["ip", "-n", self.nodes[i].ns, "-o", "addr", "show",
                    "dev", dev], check=False).stdout
        return [line.split()[3] for line in out.splitlines()
                if len(line.split()) > 3]

    def _kill_leftovers(self):
        """SIGKILL any process still running from our work directory (our
        daemons, notify scripts they started)."""
        _kill_processes_mentioning(self.workdir)

    def close(self):
        """Kill everything, delete namespaces, remove the work directory.
        Idempotent; never raises for cleanup trouble (prints it)."""
        if self.closed:
            return
        self.closed = True
        problems = []
        for i, node in self.nodes.items():
            if node.proc is not None and node.proc.poll() is None:
                try:
                    node.proc.kill()
                    node.proc.wait(5)
                except (OSError, subprocess.TimeoutExpired) as e:
                    problems.append(f"{node.name}: {e}")
        try:
            self._kill_leftovers()
        except OSError as e:
            problems.append(f"leftovers: {e}")
        for i, node in self.nodes.items():
            if node.watcher is not None:
                node.watcher.close()
        for ns in reversed(self.namespaces):
            p = subprocess.run(["ip", "netns", "del", ns], capture_output=True,
                               text=True, timeout=10)
            if p.returncode != 0 and os.path.exists(f"/run/netns/{ns}"):
                problems.append(f"ip netns del {ns}: {p.stderr.strip()}")
        if (self.own_workdir and not os.environ.get("HBEAT_KEEP_WORKDIR")):
            shutil.rmtree(self.workdir, ignore_errors=True)
        _LIVE.discard(self)
        if problems:
            print("hbcluster: cleanup problems: " + "; ".join(problems),
                  file=sys.stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _kill_processes_mentioning(path):
    """SIGKILL, by pid, every process whose command line contains `path`
    (a work directory of ours: unique, random name)."""
    needle = path.rstrip("/").encode() + b"/"
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if needle in cmd:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def cleanup_stale(verbose=True):
    """Remove namespaces and work directories of clusters whose owning
    process is gone (after a kill -9 of a test run)."""
    import glob
    for state in glob.glob("/tmp/hbt-*/cluster.json"):
        try:
            with open(state) as f:
                st = json.load(f)
            os.kill(st["pid"], 0)
            continue                       # owner alive: not ours to touch
        except ProcessLookupError:
            pass
        except (OSError, ValueError, KeyError):
            continue
        _kill_processes_mentioning(os.path.dirname(state))
        for ns in st.get("namespaces", []):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True,
                           timeout=10)
        shutil.rmtree(os.path.dirname(state), ignore_errors=True)
        if verbose:
            print(f"removed stale cluster {st.get('tag')} "
                  f"({', '.join(st.get('namespaces', []))})")


if __name__ == "__main__":
    if sys.argv[1:] == ["--cleanup-stale"]:
        cleanup_stale()
    else:
        print("usage: hbcluster.py --cleanup-stale", file=sys.stderr)
        sys.exit(2)
