# SPDX-License-Identifier: MIT
"""Hostile and broken datagrams are counted per reason and dropped: no
state change, no event, the daemon keeps running."""

import os
import time

import hbwire

REASONS = ("truncated", "bad_magic", "bad_version", "bad_length", "bad_tlv",
           "bad_tag", "wrong_cluster", "oversized", "bad_type",
           "unknown_peer", "replay", "self", "old_incarnation",
           "future_incarnation")
# Sent from the switch's address, not n2's: authentic, but from elsewhere.
FOREIGN = ("bad_source",)


def drops(c, i):
    return c.status(i)["counters"]["drops"]


def test_bad_packets_are_counted_and_dropped(make_cluster):
    c = make_cluster(2)
    key = c.key()
    cid = c.cluster_id

    def n2_seen():
        n2 = {m["name"]: m for m in c.members_full(1)}["n2"]
        return n2 if n2["seq"] > 5 else None
    n2 = c.wait_until(n2_seen, 3.0, "n1 has 5 heartbeats from n2")
    inc, seq = n2["incarnation"], n2["seq"]
    now = time.monotonic_ns()

    def hb(**kw):
        args = dict(sender_id=2, cluster_id=cid, incarnation=inc, seq=seq,
                    send_time_ns=now)
        args.update(kw)
        return hbwire.encode(key, **args)

    good = hb()
    assert len(good) == hbwire.HEARTBEAT_LEN
    bad_version = bytearray(good)
    bad_version[2] = 2
    cases = {
        "truncated": [good[:2], good[:20], good[:-1]],
        "bad_magic": [b"XX" + os.urandom(54), b"\x00" * 56],
        "bad_version": [bytes(bad_version)],
        "bad_length": [hb(length=57), hb(length=1000)],
        "bad_tlv": [hb(tlv=b"\x00\x07\x00\x09abc")],
        "bad_tag": [hbwire.encode(os.urandom(32), sender_id=2,
                                  cluster_id=cid, incarnation=inc,
                                  seq=seq + 1000),
                    good[:-1] + bytes([good[-1] ^ 1])],
        "wrong_cluster": [hb(cluster_id=cid + 1)],
        "oversized": [b"HB\x01\x01" + os.urandom(1296)],
        "bad_type": [hb(msg_type=9, seq=seq + 1000)],
        "unknown_peer": [hb(sender_id=99, seq=seq + 1000)],
        # valid, authentic, from the real n2, but stale: sequence below the
        # last accepted one
        "replay": [hb(seq=seq - 3), hb(seq=seq - 2)],
        "self": [hb(sender_id=1, seq=seq + 1000)],
        # an older incarnation (review F6: named apart from replays)
        "old_incarnation": [hb(incarnation=inc - 1, seq=seq + 1000)],
        # a start time 2 h ahead of n1's clock (review F9; the bound is
        # membership.max_clock_skew_ms, 1 h)
        "future_incarnation": [hb(incarnation=int(time.time() * 1e6)
                                  + 7200 * 10**6, seq=1)],
    }
    foreign = {
        # review F8: n2's authentic heartbeat relayed from another host
        "bad_source": [hb(seq=seq + 2000)],
    }
    assert set(cases) == set(REASONS) and set(foreign) == set(FOREIGN)

    before = drops(c, 1)
    assert set(REASONS + FOREIGN) <= set(before), \
        f"drops lacks reasons: {before}"
    accepted_before = c.status(1)["counters"]["rx_accepted"]
    t = time.monotonic_ns()
    # From n2's namespace: source address of a configured peer.
    c.send_raw(1, [d for ds in cases.values() for d in ds], from_ns=2)
    c.send_raw(1, [d for ds in foreign.values() for d in ds])
    cases.update(foreign)

    want = {r: before[r] + len(cases[r]) for r in cases}
    try:
        c.wait_until(lambda: all(drops(c, 1)[r] >= want[r] for r in cases),
                     timeout=3.0, what="drop counters")
    finally:
        after = drops(c, 1)
        delta = {r: after[r] - before[r] for r in cases}
        print(f"drops delta: {delta}")
    expected = {r: len(cases[r]) for r in cases}
    assert delta == expected, f"drop counters: got {delta}, want {expected}"

    # Nothing else happened: no event, still running, peer still alive and
    # real heartbeats still accepted.
    c.wait_until(lambda: c.status(1)["counters"]["rx_accepted"]
                 >= accepted_before + 3, timeout=2.0,
                 what="real heartbeats accepted after the junk")
    assert c.running(1)
    assert c.members(1) == {"n2": "alive"}
    assert c.events(1, since_ns=t) == [], c.events(1, since_ns=t)
    n2_after = {m["name"]: m for m in c.members_full(1)}["n2"]
    assert n2_after["incarnation"] == inc
    assert n2_after["seq"] > seq
