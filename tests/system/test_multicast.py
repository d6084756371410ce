# SPDX-License-Identifier: MIT
"""Multicast and broadcast links (docs/links.md, "Multicast and
broadcast"): nodes in namespaces on one bridge (multicast snooping off in
the switch namespace), one link each with transport multicast (IPv4 group)
or broadcast.

- 5 nodes, multicast only: all alive; each node sends ONE heartbeat
  datagram per interval (to the group), not one per peer; a SIGKILLed
  node is dead at the others.
- A 6th node runs hbeatd in the same group with every node as its peer,
  but is configured at none of them: its heartbeats reach them and are
  dropped as unknown_peer; it never becomes a member (no implicit
  membership).
- Broadcast: 3 nodes alive, one heartbeat datagram per interval each, a
  killed node dead.
- IPv6 multicast (ff02::4711 on eth0): the same with 3 nodes.
- A group that is not multicast, a TTL out of range: exit 2 with
  file:line:col.
"""

import signal
import time

import pytest

from hbcluster import _run

GROUP = "239.77.1.2"
GROUP_PORT = 7471


def _as_link(c, i, cfg, transport, peers):
    """Turn node i's single-link config into a links list of one with
    `transport`, and its peers' address into addresses."""
    cfg = dict(cfg)
    node = c.nodes[i]
    link = {"name": "lan", "listen": cfg.pop("listen"),
            "interface": "eth0", "transport": transport}
    if transport == "multicast":
        link["group"] = f"{GROUP}:{GROUP_PORT}"
        link["ttl"] = 1
    else:
        link["group"] = f"10.213.{c.subnet}.255:{GROUP_PORT}"
    cfg["links"] = [link]
    cfg["peers"] = [{"name": c.nodes[j].name, "id": c.nodes[j].id,
                     "addresses": [c.nodes[j].address]}
                    for j in peers if j != i]
    assert node.address == link["listen"]
    return cfg


def _setup(c, transport, members, outsider=None):
    _run(["ip", "-n", c.switch_ns, "link", "set", "br0", "type", "bridge",
          "mcast_snooping", "0"])
    for i in c.nodes:
        # The outsider knows everybody; nobody knows the outsider.
        peers = list(c.nodes) if i == outsider else members
        c.write_config(i, _as_link(c, i, c.default_config(i), transport,
                                   peers))


def _counters(c, i):
    return c.status(i)["counters"]


def _heartbeats_per_interval(c, i, seconds=2.0):
    """Heartbeat datagrams node i sent per interval over `seconds`."""
    a = _counters(c, i)
    t0 = time.monotonic()
    time.sleep(seconds)
    b = _counters(c, i)
    dt = time.monotonic() - t0
    sent = b["heartbeats_sent"] - a["heartbeats_sent"]
    group = b["group_sent"] - a["group_sent"]
    return sent / (dt / c.interval_s), group, sent


def _check_one_per_interval(c, i, n_peers):
    per, group, sent = _heartbeats_per_interval(c, i)
    print(f"n{i}: {per:.2f} heartbeat datagrams per interval "
          f"({sent} sent, {group} to the group)")
    assert group == sent, (group, sent)
    # Unicast would be n_peers per interval; a loaded machine may send a
    # little less than one (late ticks), never more than about one.
    assert 0.5 < per < 1.5, per
    assert per < n_peers - 1


def _kill_and_see_dead(c, victim, observers):
    t0 = time.monotonic_ns()
    c.kill(victim, signal.SIGKILL)
    for obs in observers:
        c.wait_state(obs, c.nodes[victim].name, "dead", since_ns=t0)


def test_multicast_five_nodes_and_an_outsider(make_cluster):
    members = [1, 2, 3, 4, 5]
    c = make_cluster(6, start=False)
    _setup(c, "multicast", members, outsider=6)
    for i in members:
        c.start(i)
    c.wait_all_alive(timeout=c.recover_timeout(), nodes=members)
    for i in (1, 3):
        _check_one_per_interval(c, i, len(members) - 1)

    # The outsider joins the group later: dropped as unknown_peer, never
    # a member anywhere.
    drops0 = {i: _counters(c, i)["drops"]["unknown_peer"] for i in members}
    c.start(6)
    c.wait_until(lambda: all(_counters(c, i)["drops"]["unknown_peer"]
                             >= drops0[i] + 10 for i in members),
                 timeout=c.recover_timeout(), what="outsider dropped")
    for i in members:
        m = c.members(i)
        assert "n6" not in m, (i, m)
        assert sorted(m) == sorted(f"n{j}" for j in members if j != i), m
    # The outsider itself hears the members (it has them configured).
    c.wait_until(lambda: all(v == "alive" for v in c.members(6).values()),
                 timeout=c.recover_timeout(), what="members alive at n6")

    _kill_and_see_dead(c, 2, [1, 3, 4, 5])
    for i in (1, 3, 4, 5):
        assert c.members(i)["n2"] == "dead"


def test_broadcast_three_nodes(make_cluster):
    members = [1, 2, 3]
    c = make_cluster(3, start=False)
    _setup(c, "broadcast", members)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    _check_one_per_interval(c, 1, 2)
    # Its own broadcasts come back to a node and are not read.
    assert _counters(c, 1)["rx_own"] > 0
    _kill_and_see_dead(c, 3, [1, 2])


def test_ipv6_multicast_three_nodes(make_cluster):
    c = make_cluster(3, start=False)
    _run(["ip", "-n", c.switch_ns, "link", "set", "br0", "type", "bridge",
          "mcast_snooping", "0"])

    def v6(j):
        return f"[fd00:213:{c.subnet:x}::{j}]:{c.nodes[j].port}"
    for i, node in c.nodes.items():
        _run(["ip", "-n", node.ns, "addr", "add",
              f"fd00:213:{c.subnet:x}::{i}/64", "dev", "eth0", "nodad"])
    for i in c.nodes:
        cfg = c.default_config(i)
        del cfg["listen"]
        cfg["links"] = [{"name": "lan6", "listen": v6(i),
                         "interface": "eth0", "transport": "multicast",
                         "group": f"[ff02::4711]:{GROUP_PORT}", "ttl": 1}]
        cfg["peers"] = [{"name": c.nodes[j].name, "id": j,
                         "addresses": [v6(j)]} for j in c.nodes if j != i]
        c.write_config(i, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())
    _check_one_per_interval(c, 2, 2)
    _kill_and_see_dead(c, 1, [2, 3])


@pytest.mark.parametrize("bad, why", [
    ({"group": "10.1.2.3:7400"}, "not a multicast address"),
    ({"ttl": 0}, "ttl"),
])
def test_multicast_bad_config_exits_2(make_cluster, bad, why):
    c = make_cluster(2, start=False)
    _setup(c, "multicast", [1, 2])
    cfg = c.config_dict(1)
    cfg["links"][0].update(bad)
    c.write_config(1, cfg)
    out = _run([c.hbeatd, "-c", c.nodes[1].cfg_path], check=False)
    assert out.returncode == 2, out
    assert why in out.stderr, out.stderr
    assert f"{c.nodes[1].cfg_path}:" in out.stderr, out.stderr
