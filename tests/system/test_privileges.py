# SPDX-License-Identifier: MIT
"""daemon.user (docs/operations.md "User and capabilities"), with real daemons in
network namespaces: started as root, hbeatd switches to the configured
user once its sockets are open and keeps only the capabilities its config
needs (CAP_SYS_NICE and CAP_IPC_LOCK for realtime, CAP_NET_ADMIN and
CAP_NET_RAW for netlink vips), none inheritable or ambient; its scripts
run as that user without any. The cluster works as before: peers stay
alive, the control socket answers, a reload re-reads the config and the
key file (owned by the user), and a vip is still added."""

import os
import pwd
import signal
import stat
import time

import pytest

CAP_NET_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK, CAP_SYS_NICE = 12, 13, 14, 23
START_S = 5.0


def mask(*caps):
    return sum(1 << c for c in caps)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def creds(fields):
    """(uids, gids, {CapInh, CapPrm, CapEff, CapAmb} as ints)."""
    caps = {k: int(fields[k], 16)
            for k in ("CapInh", "CapPrm", "CapEff", "CapAmb")}
    return (fields["Uid"].split(), fields["Gid"].split(), caps)


@pytest.fixture
def nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this system")


def user_cluster(make_cluster, nobody, n, extra=None, **kw):
    """n nodes with daemon.user: nobody; the work directory readable by
    it, the key file its own (a reload reads it again), a state
    directory it may write."""
    def config(i):
        cfg = {"daemon": {"user": "nobody"}}
        if callable(extra):
            cfg.update(extra(i))
        elif extra:
            cfg.update(extra)
        return cfg

    c = make_cluster(n, start=False, extra_config=config, **kw)
    os.chmod(c.workdir, 0o755)
    os.chown(c.key_path, nobody.pw_uid, nobody.pw_gid)
    for i in c.nodes:
        c.write_config(i, c.default_config(i))
        os.chmod(c.nodes[i].cfg_path, 0o644)
    return c


def test_runs_as_user_with_needed_caps(make_cluster, nobody):
    probe = {}

    def extra(i):
        return {"notify": {"script": probe["script"]}} if probe else {}

    c = user_cluster(make_cluster, nobody, 2, extra=extra)
    # A notify script that writes its own credentials where nobody may
    # (a file per run: both nodes run it at once, rename is atomic).
    out_dir = c.path("probe")
    os.mkdir(out_dir)
    os.chown(out_dir, nobody.pw_uid, nobody.pw_gid)
    script = c.path("probe.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\n"
                f"cat /proc/$$/status > {out_dir}/s.$$ && "
                f"mv {out_dir}/s.$$ {out_dir}/status\n")
    os.chmod(script, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP |
             stat.S_IROTH | stat.S_IXOTH)
    probe["script"] = script
    for i in c.nodes:
        c.write_config(i, c.default_config(i))
        os.chmod(c.nodes[i].cfg_path, 0o644)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())

    uid, gid = str(nobody.pw_uid), str(nobody.pw_gid)
    for i in c.nodes:
        uids, gids, caps = creds(proc_status(c.pid(i)))
        assert uids == [uid] * 4 and gids == [gid] * 4, (uids, gids)
        # realtime.enabled and lock_memory by default; no vips.
        want = mask(CAP_SYS_NICE, CAP_IPC_LOCK)
        assert caps == {"CapInh": 0, "CapPrm": want, "CapEff": want,
                        "CapAmb": 0}, caps
        st = c.status(i)["privileges"]
        assert st["user"] == "nobody" and st["uid"] == nobody.pw_uid, st

    # The script ran (peer n2 alive on n1) as nobody, without capabilities.
    path = os.path.join(out_dir, "status")
    c.wait_until(lambda: os.path.exists(path), START_S, "the notify script")
    uids, _, caps = creds(proc_status_file(path))
    assert uids == [uid] * 4 and set(caps.values()) == {0}, (uids, caps)

    # Still works: alive for a while, a reload (re-reads config and key).
    t = time.monotonic_ns()
    time.sleep(1.0)
    assert [e for e in c.events(1, peer="n2", since_ns=t)
            if e.get("new") == "dead"] == []
    c.send_signal(1, signal.SIGHUP)
    c.wait_until(lambda: reloads(c, 1) == (1, 0), 5, "a reload as nobody")
    assert c.members(1)["n2"] == "alive"


def reloads(c, i):
    """(successful, failed) reloads of node i."""
    st = c.status(i)
    st = st["counters"]
    return st["reloads"], st["reload_failures"]


def proc_status_file(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def test_no_caps_without_realtime(make_cluster, nobody):
    c = user_cluster(make_cluster, nobody, 1,
                     extra={"realtime": {"enabled": False}})
    c.start(1)
    uids, _, caps = creds(proc_status(c.pid(1)))
    assert uids == [str(nobody.pw_uid)] * 4
    assert set(caps.values()) == {0}, caps
    assert c.status(1)["privileges"]["capabilities"] == "none"


def test_vip_as_user(make_cluster, nobody):
    """A netlink vip: CAP_NET_ADMIN and CAP_NET_RAW kept, the address
    added by the leader after the switch."""
    vip = {}
    state_dir = {}

    def extra(i):
        cfg = {"realtime": {"enabled": False}}
        if vip:
            cfg["vips"] = [{"address": vip["addr"], "interface": "eth0"}]
            cfg["election"] = {"enabled": True,
                               "state_file": f"{state_dir['d']}/n{i}.state"}
        return cfg

    c = user_cluster(make_cluster, nobody, 2, extra=extra,
                     election={"enabled": True})
    state_dir["d"] = c.path("state")
    os.mkdir(state_dir["d"])
    os.chown(state_dir["d"], nobody.pw_uid, nobody.pw_gid)
    vip["addr"] = f"10.213.{c.subnet}.100/24"
    for i in c.nodes:
        c.write_config(i, c.default_config(i))
        os.chmod(c.nodes[i].cfg_path, 0o644)
    c.start_all()
    for i in c.nodes:
        _, _, caps = creds(proc_status(c.pid(i)))
        want = mask(CAP_NET_ADMIN, CAP_NET_RAW)
        assert caps["CapEff"] == want and caps["CapAmb"] == 0, caps

    def holders():
        return [i for i in c.nodes if vip["addr"] in c.addresses(i)]

    c.wait_until(lambda: len(holders()) == 1, 10, "one vip holder")
    for i in c.nodes:
        assert c.status(i)["privileges"]["uid"] == nobody.pw_uid


def test_started_as_user_with_ambient_caps(make_cluster, nobody):
    """As the unit starts it (User= and AmbientCapabilities= of all four):
    no daemon.user, and hbeatd still keeps only what it needs and clears
    the ambient set."""
    caps = "+net_admin,+net_raw,+sys_nice,+ipc_lock"
    wrap = ["setpriv", f"--reuid={nobody.pw_uid}",
            f"--regid={nobody.pw_gid}", "--clear-groups",
            f"--inh-caps={caps}", f"--ambient-caps={caps}", "--"]
    c = make_cluster(1, start=False, wrap=wrap)
    # The control socket goes into the work directory: nobody may create
    # it there (sticky, as /tmp), and owns the key.
    os.chmod(c.workdir, 0o1777)
    os.chown(c.key_path, nobody.pw_uid, nobody.pw_gid)
    os.chmod(c.nodes[1].cfg_path, 0o644)
    c.start(1)
    uids, _, got = creds(proc_status(c.pid(1)))
    assert uids == [str(nobody.pw_uid)] * 4
    want = mask(CAP_SYS_NICE, CAP_IPC_LOCK)
    assert got == {"CapInh": 0, "CapPrm": want, "CapEff": want,
                   "CapAmb": 0}, got
    st = c.status(1)["privileges"]
    assert st["user"] is None and st["uid"] == nobody.pw_uid, st
