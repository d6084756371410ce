# SPDX-License-Identifier: MIT
"""pytest wiring for the hbeat system tests (real hbeatd processes in
network namespaces). Run as root:

    /usr/bin/python3 -m pytest tests/system

Binaries come from $HBEAT_BUILD_DIR (default <repo>/build). Tests that need
namespaces skip, with the reason, when not root or when `ip netns`/nft do
not work. Set HBEAT_KEEP_WORKDIR=1 to keep configs and logs of each cluster
(namespaces are always deleted).
"""

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hbcluster  # noqa: E402


def _sigterm(signum, frame):
    # Turn SIGTERM into KeyboardInterrupt so fixture finalizers and atexit
    # still delete namespaces and kill daemons.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm)
    if os.geteuid() == 0:
        # Leftovers of runs killed with SIGKILL (owner process gone).
        hbcluster.cleanup_stale(verbose=False)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    # An impairment asked of a loopback-mode cluster: skip, don't fail.
    outcome = yield
    exc = outcome.excinfo
    if exc is not None and issubclass(exc[0], hbcluster.NotSupported):
        pytest.skip(f"needs network namespaces: {exc[1]}")


@pytest.fixture(scope="session")
def build_dir():
    d = hbcluster.default_build_dir()
    for prog in ("hbeatd", "hbeatctl"):
        if not os.access(os.path.join(d, prog), os.X_OK):
            pytest.fail(f"{d}/{prog} not found: build it (ninja -C build) or "
                        "set HBEAT_BUILD_DIR", pytrace=False)
    return d


@pytest.fixture(scope="session")
def netns_ok():
    ok, why = hbcluster.netns_available()
    if not ok:
        pytest.skip(f"system tests need network namespaces: {why}")


@pytest.fixture
def make_cluster(request, build_dir):
    """make_cluster(n, start=True, netns=True, **Cluster kwargs) ->
    started cluster (every node sees every other alive); netns=False puts
    it on loopback ports. Always torn down; on failure the daemons' logs
    and events go to the test report."""
    made = []

    def make(n, start=True, netns=True, **kw):
        if netns:
            ok, why = hbcluster.netns_available()
            if not ok:
                pytest.skip(f"system tests need network namespaces: {why}")
        kw.setdefault("interval_ms", 100)
        c = hbcluster.Cluster(n, netns=netns, build_dir=build_dir, **kw)
        made.append(c)
        if start:
            c.start_all()
            c.wait_all_alive(timeout=c.recover_timeout())
        return c

    yield make
    failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed",
                         False) for w in ("setup", "call"))
    problems = []
    for c in made:
        # Stop gracefully, so that a crash or leak at shutdown (and the
        # sanitizers' exit-time checks, for a sanitized build) is seen.
        for i in c.running_nodes():
            c.resume(i)
            try:
                rc = c.stop(i, timeout=5.0)
            except hbcluster.DaemonError as e:
                problems.append(str(e))
                continue
            if rc != 0:
                problems.append(f"n{i} exited with status {rc} on SIGTERM")
        for name, lines in c.sanitizer_reports().items():
            problems.append(f"{name}: sanitizer: {lines[0]}")
        if failed or problems:
            sys.stderr.write("\n" + c.describe(lines=80) + "\n")
        c.close()
    if problems:
        pytest.fail("at teardown: " + "; ".join(problems), pytrace=False)

