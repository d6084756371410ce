# SPDX-License-Identifier: MIT
"""The real-time heartbeat path (realtime.*, docs/operations.md "Real-time
scheduling"), with real daemons in network namespaces: by default hbeatd's
loop thread runs SCHED_FIFO (with SCHED_RESET_ON_FORK) at the configured
priority, its memory is locked and, with realtime.cpus, it is pinned; a
notify script it runs reports SCHED_OTHER, no locked memory and hbeatd's
CPUs from before the pinning. realtime.enabled: false changes nothing.
Without CAP_SYS_NICE, CAP_IPC_LOCK, RLIMIT_RTPRIO and an unlimited
RLIMIT_MEMLOCK hbeatd starts all the same, logs one warning naming what is
missing, and the status says so."""

import os
import stat

import pytest

SCHED_RESET_ON_FORK = 0x40000000
START_S = 5.0      # start -> the first notify script has run


def cpu_list(cpus):
    """{0, 1, 3} -> "0-1,3" (the kernel's Cpus_allowed_list)."""
    out, run = [], []
    for c in sorted(cpus) + [None]:
        if run and (c is None or c != run[-1] + 1):
            out.append(str(run[0]) if len(run) == 1
                       else f"{run[0]}-{run[-1]}")
            run = []
        if c is not None:
            run.append(c)
    return ",".join(out)


def proc_fields(text):
    """'Key:\\tvalue' lines of /proc/PID/status (and 'key : value' of
    /proc/PID/sched) into a dict of stripped strings."""
    out = {}
    for line in text.splitlines():
        for sep in (":\t", " : ", ":"):
            if sep in line:
                k, v = line.split(sep, 1)
                out.setdefault(k.strip(), v.strip())
                break
    return out


def vm_locked_kib(fields):
    return int(fields["VmLck"].split()[0])


def daemon_view(c, i):
    """(pid, scheduler policy with flags, priority, /proc status fields,
    CPUs) of node i's hbeatd, from the kernel."""
    pid = c.status(i)["node"]["pid"]
    with open(f"/proc/{pid}/status") as f:
        fields = proc_fields(f.read())
    return (pid, os.sched_getscheduler(pid),
            os.sched_getparam(pid).sched_priority, fields,
            os.sched_getaffinity(pid))


def write_child_probe(c, i):
    """Node i's notify script: the script's own /proc status and sched
    into child-n<i>.txt (written whole, then renamed)."""
    out = c.path(f"child-n{i}.txt")
    script = c.path(f"probe-n{i}.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\n"
                f"cat /proc/$$/status /proc/$$/sched > {out}.tmp && "
                f"mv {out}.tmp {out}\n")
    os.chmod(script, stat.S_IRWXU)
    return script, out


def read_child(c, path):
    def done():
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            return None
    return proc_fields(c.wait_until(done, START_S,
                                    f"the notify script's report {path}"))


def realtime_warnings(c, i):
    with open(c.nodes[i].log_path) as f:
        return [ln for ln in f if "real-time:" in ln and "warning" in ln]


def asan_build(st):
    return any("AddressSanitizer" in p for p in st["problems"])


def test_realtime_applied_children_run_unprivileged(make_cluster):
    allowed = os.sched_getaffinity(0)
    pin = {min(allowed)} if len(allowed) > 1 else None
    rt = {"priority": 33}
    if pin:
        rt["cpus"] = cpu_list(pin)
    c = make_cluster(2, start=False, extra_config={"realtime": rt})
    script, report = write_child_probe(c, 1)
    cfg = c.config_dict(1)
    cfg["notify"] = {"script": script, "timeout_ms": 5000}
    c.write_config(1, cfg)
    c.start_all()
    c.wait_all_alive(timeout=c.recover_timeout())

    # hbeatd's loop thread (the main thread: its pid).
    pid, policy, prio, fields, cpus = daemon_view(c, 1)
    st = c.status(1)["realtime"]
    print(f"hbeatd {pid}: policy {policy:#x}, priority {prio}, VmLck "
          f"{fields['VmLck']}, CPUs {cpu_list(cpus)}; status {st}")
    assert policy & ~SCHED_RESET_ON_FORK == os.SCHED_FIFO
    assert policy & SCHED_RESET_ON_FORK
    assert prio == 33
    assert cpus == (pin or allowed)
    assert st["enabled"] and st["policy"] == "SCHED_FIFO"
    assert st["priority"] == 33 and st["reset_on_fork"]
    assert st["cpus"] == cpu_list(pin or allowed)
    assert st["child_cpus"] == cpu_list(allowed)
    if asan_build(st):
        # Its shadow memory cannot be locked: said, not tried.
        assert not st["memory_locked"] and vm_locked_kib(fields) == 0
        assert len(st["problems"]) == 1, st
    else:
        assert st["memory_locked"] and vm_locked_kib(fields) > 0
        assert st["problems"] == [], st
        assert realtime_warnings(c, 1) == []

    # The child: normal scheduling, nothing locked, hbeatd's CPUs.
    child = read_child(c, report)
    print(f"notify script: policy {child['policy']}, prio {child['prio']}, "
          f"VmLck {child['VmLck']}, CPUs {child['Cpus_allowed_list']}")
    assert int(child["policy"]) == os.SCHED_OTHER
    assert int(child["prio"]) == 120       # nice 0
    assert vm_locked_kib(child) == 0
    assert child["Cpus_allowed_list"] == cpu_list(allowed)

    # Every other thread: libuv's pool at the loop's priority (on
    # purpose: realtime.c, pool_start()), on hbeatd's CPUs.
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) == pid:
            continue
        with open(f"/proc/{pid}/task/{tid}/sched") as f:
            th = proc_fields(f.read())
        assert int(th["policy"]) == os.SCHED_FIFO, (tid, th["policy"])
        assert os.sched_getaffinity(int(tid)) == allowed

    # realtime.cpus is the one key a reload changes: unpinned again.
    if pin:
        cfg = c.config_dict(1)
        del cfg["realtime"]["cpus"]
        c.write_config(1, cfg)
        assert c.ctl(1, {"cmd": "reload"}).get("ok")
        assert os.sched_getaffinity(pid) == allowed
        assert c.status(1)["realtime"]["cpus"] == cpu_list(allowed)


def test_realtime_disabled_changes_nothing(make_cluster):
    allowed = os.sched_getaffinity(0)
    c = make_cluster(2, extra_config={"realtime": {"enabled": False}})
    pid, policy, prio, fields, cpus = daemon_view(c, 1)
    st = c.status(1)["realtime"]
    assert policy == os.SCHED_OTHER and prio == 0
    assert vm_locked_kib(fields) == 0
    assert cpus == allowed
    assert not st["enabled"] and not st["memory_locked"]
    assert st["policy"] == "SCHED_OTHER" and st["problems"] == []
    assert realtime_warnings(c, 1) == []


def test_realtime_without_privilege(make_cluster):
    for tool in ("/usr/bin/prlimit", "/usr/bin/setpriv"):
        if not os.access(tool, os.X_OK):
            pytest.skip(f"{tool} not found")
    # No real-time priority and 8 MiB of lockable memory (the common
    # default), without the capabilities that override either.
    wrap = ["prlimit", "--rtprio=0", f"--memlock={8 << 20}",
            "setpriv", "--bounding-set=-sys_nice,-ipc_lock", "--"]
    c = make_cluster(2, wrap=wrap)
    pid, policy, prio, fields, cpus = daemon_view(c, 1)
    st = c.status(1)["realtime"]
    print(f"status: {st}")
    assert policy == os.SCHED_OTHER
    assert vm_locked_kib(fields) == 0
    assert st["enabled"] and st["policy"] == "SCHED_OTHER"
    assert not st["memory_locked"]
    sched_problem = [p for p in st["problems"] if "SCHED_FIFO" in p]
    assert len(sched_problem) == 1, st
    assert "CAP_SYS_NICE" in sched_problem[0]
    assert "RLIMIT_RTPRIO is 0" in sched_problem[0]
    if not asan_build(st):
        mem = [p for p in st["problems"] if "memory" in p]
        assert len(mem) == 1 and "CAP_IPC_LOCK" in mem[0], st
        assert "RLIMIT_MEMLOCK is 8192 KiB" in mem[0]
    # One warning, naming what is missing; the cluster works all the same.
    warnings = realtime_warnings(c, 1)
    print("".join(warnings))
    assert len(warnings) == 1, warnings
    assert "CAP_SYS_NICE" in warnings[0] and "RLIMIT_RTPRIO" in warnings[0]
    assert c.members(1) == {"n2": "alive"}
