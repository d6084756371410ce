# SPDX-License-Identifier: MIT
"""Forged ICMP port unreachable (issue 9, reliability review F1): a host
on the cluster segment that is not a member, and holds no key, sends
ICMP port unreachable to a follower naming the leader, from its own
address and then spoofing the leader's, quoting a made-up heartbeat. The
follower counts and ignores every one: the leader stays alive at every
node and keeps leading in the same term. Then the leader is really
killed: its host's own ICMP still convicts it at once.

The attacker is the cluster's switch namespace (address .254 on the
bridge), which is a host on the segment like any other."""

import struct
import time

import pytest

from hbcluster import fmt_event

# Runs in the attacker's namespace as root: one raw IPv4 packet per report,
# ICMP type 3 code 3 quoting an IPv4+UDP datagram from the victim to the
# named peer. argv: icmp_src victim peer port quote_hex count gap_s.
SENDER = r"""
import socket, struct, sys, time
def csum(b):
    b += b'\0' * (len(b) % 2)
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
def iph(src, dst, proto, plen, ident):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + plen, ident, 0, 64, proto,
                    0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:]
src, victim, peer, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
quote, count, gap = bytes.fromhex(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for k in range(count):
    udp = struct.pack('!HHHH', port, port, 8 + len(quote), 0) + quote
    inner = iph(victim, peer, 17, len(udp), 1000 + k) + udp
    icmp = struct.pack('!BBHI', 3, 3, 0, 0) + inner
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    s.sendto(iph(src, victim, 1, len(icmp), 2000 + k) + icmp, (victim, 0))
    time.sleep(gap)
"""

COUNT = 10          # reports of each kind
GAP_S = 0.05


def _fake_heartbeat(cluster_id, sender_id):
    """What a forger without the key can write: a well-formed v2 header
    (docs/wire-format.md) and a tag of zeros."""
    now = time.monotonic_ns()
    return (struct.pack("!HBBBBHI", 0x4842, 2, 0, 0, 0, 60, cluster_id)
            + struct.pack("!BBHIQQQ", 1, 0, 0, sender_id, 1, 1, now)
            + bytes(16))


def _counters(c, i):
    k = c.status(i)["counters"]
    return k["port_unreachable_foreign"], k["port_unreachable_rejected"]


def test_forged_icmp_changes_nothing(make_cluster):
    c = make_cluster(3, election=True)
    leader, term = c.wait_leader(timeout=3.0)
    k = int(leader[1:])
    f = next(i for i in c.nodes if i != k)
    victim, named = c.nodes[f].host, c.nodes[k].host
    attacker = c.nodes[f].host.rsplit(".", 1)[0] + ".254"
    cluster_id = c.cluster_id
    foreign0, rejected0 = _counters(c, f)
    t0 = time.monotonic_ns()

    def send(src, quote):
        p = c.run_in(c.switch_ns,
                     ["/usr/bin/python3", "-c", SENDER, src, victim, named,
                      str(c.nodes[f].port), quote.hex(), str(COUNT),
                      str(GAP_S)], timeout=30)
        assert p.returncode == 0, p.stderr

    # 1. The attacker's own address, quoting 8 bytes (the review's F1).
    send(attacker, b"HB\x02\x00" + bytes(4))
    # 2. The leader's address spoofed, quoting a whole made-up heartbeat
    #    "from" the victim: it does not authenticate.
    send(named, _fake_heartbeat(cluster_id, f))
    time.sleep(3 * c.interval_s)

    foreign, rejected = _counters(c, f)
    print(f"n{f}: {foreign - foreign0} reports from a foreign address, "
          f"{rejected - rejected0} with a bad quote, all ignored")
    assert foreign - foreign0 == COUNT
    assert rejected - rejected0 == COUNT
    for i in c.nodes:
        bad = c.events_into(i, [leader], since_ns=t0) if i != k else []
        assert not bad, f"n{i}: " + "\n  ".join(fmt_event(e, t0) for e in bad)
        moved = [e for e in c.coord_events(i, "role", t0)
                 if e.get("old") != e.get("new")]
        assert not moved, "\n  ".join(fmt_event(e, t0) for e in moved)
    assert c.wait_leader(timeout=1.0) == (leader, term)

    # The real thing still works: the leader's process dies, its host
    # answers the next heartbeat with a port unreachable quoting it.
    t_kill = c.kill(k)
    dead = c.wait_event(f, peer=leader, new="dead", since_ns=t_kill,
                        timeout=2.0)
    assert dead["reason"] == "port_unreachable", dead
    assert _counters(c, f)[1] == rejected
