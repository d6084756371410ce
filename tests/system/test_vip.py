# SPDX-License-Identifier: MIT
"""Virtual IPs (issue 4, docs/vip.md) with real daemons: 3 nodes, election
on, interval 100 ms, one VIP 10.213.<k>.100/24 on each node's eth0. A tiny
TCP server on every node namespace (bound to 0.0.0.0) answers with its
node's name; a client namespace on the same bridge connects to the VIP and
reads who answers. All traffic stays inside the test's namespaces."""

import os
import sys
import time

VIP_PORT = 9000
HOLD_S = 3.0        # start -> the leader holds the VIP
FAILOVER_S = 2.0    # SIGKILL of the leader -> a new holder
REACH_S = 3.0       # ... and the client reaches it

SERVER = """\
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2])))
s.listen(16)
while True:
    c, _ = s.accept()
    try:
        c.sendall(sys.argv[1].encode())
    finally:
        c.close()
"""

CLIENT = """\
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.3)
    c.settimeout(0.3)
    print(c.recv(64).decode())
except OSError as e:
    print("-", e)
"""


def _setup(make_cluster):
    vip = {}

    def extra(i):
        # The subnet is known once the cluster exists: configs are
        # written again below.
        if "addr" not in vip:
            return {}
        return {"vips": [{"address": vip["addr"], "interface": "eth0"}]}

    c = make_cluster(3, start=False, election=True, extra_config=extra)
    vip["addr"] = f"10.213.{c.subnet}.100/24"
    for i in c.nodes:
        c.write_config(i, c.default_config(i))
    server = c.path("vip_server.py")
    client = c.path("vip_client.py")
    with open(server, "w") as f:
        f.write(SERVER)
    with open(client, "w") as f:
        f.write(CLIENT)
    for i in c.nodes:
        c.spawn_in(c.nodes[i].ns, [sys.executable, server, f"n{i}",
                                   str(VIP_PORT)])
    cns = c.add_host("client", 200)
    c.start_all()
    return c, vip["addr"], cns, client


def _holders(c, addr):
    return [f"n{i}" for i in c.nodes if addr in c.addresses(i)]


def _ask(c, cns, client, addr):
    host = addr.split("/")[0]
    p = c.run_in(cns, [sys.executable, client, host, str(VIP_PORT)])
    return p.stdout.strip()


def _wait_holder(c, addr, want, timeout):
    seen = {}

    def ok():
        seen["h"] = _holders(c, addr)
        return seen["h"] == [want]
    c.wait_until(ok, timeout, lambda: f"{want} alone holding {addr} "
                 f"(holders {seen.get('h')})")


def _wait_answer(c, cns, client, addr, want, timeout):
    seen = {}

    def ok():
        seen["a"] = _ask(c, cns, client, addr)
        return seen["a"] == want
    c.wait_until(ok, timeout, lambda: f"{want} answering on {addr} (last "
                 f"answer {seen.get('a')!r})", interval=0.1)


def _vip_status(c, name):
    st = c.status(int(name[1:]))
    return st["vips"]


def test_vip_kill_leader(make_cluster):
    c, addr, cns, client = _setup(make_cluster)
    leader, term = c.wait_leader(timeout=HOLD_S)
    _wait_holder(c, addr, leader, HOLD_S)
    _wait_answer(c, cns, client, addr, leader, REACH_S)
    vs = _vip_status(c, leader)
    assert vs[0]["address"] == addr and vs[0]["held"] is True, vs
    assert vs[0]["provider"] == "netlink" and vs[0]["interface"] == "eth0"
    other = next(f"n{i}" for i in c.nodes if f"n{i}" != leader)
    assert _vip_status(c, other)[0]["held"] is False

    # SIGKILL the leader: its namespace keeps the address (nobody removed
    # it), and its server keeps running; the new leader's gratuitous ARP
    # moves the client over.
    li = int(leader[1:])
    c.kill(li)
    t0 = time.monotonic()
    rest = [i for i in c.nodes if i != li]
    seen = {}

    def new_holder():
        seen["h"] = [h for h in _holders(c, addr) if h != leader]
        return seen["h"][0] if len(seen["h"]) == 1 else None
    new = c.wait_until(new_holder, FAILOVER_S,
                       lambda: f"a new holder of {addr} ({seen})")
    took = time.monotonic() - t0
    print(f"vip: {leader} killed, {new} holds {addr} after {took:.2f} s")
    nl, _ = c.wait_leader(nodes=rest, timeout=1.0, min_term=term + 1)
    assert nl == new
    _wait_answer(c, cns, client, addr, new, REACH_S)

    # The old leader restarts: it removes its stale copy at start.
    c.start(li)
    _wait_holder(c, addr, new, 2.0)
    for _ in range(5):
        assert _ask(c, cns, client, addr) == new
        time.sleep(0.1)


def test_vip_isolated_leader(make_cluster):
    c, addr, cns, client = _setup(make_cluster)
    leader, term = c.wait_leader(timeout=HOLD_S)
    _wait_holder(c, addr, leader, HOLD_S)
    _wait_answer(c, cns, client, addr, leader, REACH_S)
    li = int(leader[1:])
    rest = [i for i in c.nodes if i != li]

    c.isolate(li)
    # The isolated leader loses its quorum and removes the address; the
    # majority elects another that takes it.
    seen = {}

    def moved():
        seen["h"] = _holders(c, addr)
        return (len(seen["h"]) == 1 and seen["h"][0] != leader) or None
    c.wait_until(moved, c.detect_timeout() + 3.0,
                 lambda: f"{addr} moved off {leader} ({seen})")
    new = _holders(c, addr)[0]
    nl, _ = c.wait_leader(nodes=rest, timeout=2.0, min_term=term + 1)
    assert nl == new
    _wait_answer(c, cns, client, addr, new, REACH_S)

    # Healed, the old leader rejoins as a follower: it never answers on
    # the VIP again.
    c.heal()
    c.wait_leader(timeout=c.recover_timeout() + 3.0)
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        assert leader not in _holders(c, addr)
        assert _ask(c, cns, client, addr) == _holders(c, addr)[0]
        time.sleep(0.1)
    assert os.path.exists(c.path("vip_server.py"))


def test_vip_reload(make_cluster):
    """vips[] take part in the all-or-nothing reload (docs/vip.md): on the
    leader a new entry is added at once and a removed one released; an
    entry that stays is not touched; followers hold nothing throughout."""
    c, addr, cns, client = _setup(make_cluster)
    leader, _ = c.wait_leader(timeout=HOLD_S)
    _wait_holder(c, addr, leader, HOLD_S)
    other = next(f"n{i}" for i in c.nodes if f"n{i}" != leader)
    second = f"10.213.{c.subnet}.101/24"

    def reload_all(vips):
        for i in c.nodes:
            cfg = c.default_config(i)
            cfg["vips"] = [{"address": a, "interface": "eth0"} for a in vips]
            c.write_config(i, cfg)
        for i in c.nodes:
            ans = c.ctl(i, {"cmd": "reload"}, timeout=5.0)
            assert ans["ok"] is True, (i, ans)

    reload_all([addr, second])
    _wait_holder(c, second, leader, 2.0)
    assert _holders(c, addr) == [leader]     # kept, never released
    vs = {v["address"]: v for v in _vip_status(c, leader)}
    assert vs[addr]["held"] and vs[second]["held"], vs
    assert not any(v["held"] for v in _vip_status(c, other))
    _wait_answer(c, cns, client, second, leader, REACH_S)

    reload_all([second])
    c.wait_until(lambda: _holders(c, addr) == [], 2.0,
                 f"{addr} released after it left the config")
    assert _holders(c, second) == [leader]
    assert [v["address"] for v in _vip_status(c, leader)] == [second]
    lead, _ = c.wait_leader(timeout=1.0)
    assert lead == leader, "a VIP reload moved the leadership"
