#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Make docs/img/dashboard.png: the dashboard of n1 in a 3-node cluster
(election on, network namespaces: run as root), in headless Chromium at
1280x800, after a minute with two SIGSTOP pauses of n2 (0.7 s, then 1.2 s:
suspect, then dead and back through probation) and a SIGKILL of n3.

    scripts/dashboard-screenshot.py [--build-dir build] [--out PATH]
"""

import argparse
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import hbbrowser  # noqa: E402
import hbcluster  # noqa: E402

PORT = 8080


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "img",
                                                  "dashboard.png"))
    args = ap.parse_args()
    with hbcluster.Cluster(3, netns=True, build_dir=args.build_dir,
                           election=True) as c:
        for i, node in c.nodes.items():
            cfg = c.config_dict(i)
            cfg["http"] = {"listen": f"{node.host}:{PORT}"}
            c.write_config(i, cfg)
        c.start_all()
        c.wait_all_alive(timeout=c.recover_timeout())
        c.wait_leader(timeout=5.0)
        b = hbbrowser.Browser(c, c.add_host("browser"), 1280, 800)
        try:
            b.open(f"http://{c.nodes[1].host}:{PORT}/")
            for pause_s in (0.7, 1.2):
                time.sleep(15)
                c.pause(2)
                time.sleep(pause_s)
                c.resume(2)
            time.sleep(12)
            c.kill(3)
            time.sleep(4)
            b.screenshot(os.path.abspath(args.out))
        finally:
            b.close()
    print(args.out)


if __name__ == "__main__":
    main()
