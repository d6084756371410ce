# SPDX-License-Identifier: MIT
"""Test-only UDP relay that puts a path between two nodes `--delay-ms`
away (the kernel here has no netem; docs/classes.md). Run it inside a test
cluster's switch namespace (`ip netns exec hbt-...-sw`), never on the
host's network:

    udp_relay.py --a 10.213.7.254:7600 --b 10.213.7.254:7601 \\
                 --to-a 10.213.7.1:7400 --to-b 10.213.7.2:7400 \\
                 --delay-ms 100 [--log FILE]

Node A is told that node B is at --a, and node B that A is at --b. A
datagram that comes in on --a (from A) leaves from --b to --to-b after the
delay, one that comes in on --b (from B) leaves from --a to --to-a: each
node sees its peer's datagrams come from the address it has for that peer.
Datagrams keep their order. One round trip through the relay costs about
2 x the delay. Stops on SIGTERM or SIGINT; the log (if any) gets one line
with the datagrams relayed each way.
"""

import argparse
import heapq
import select
import signal
import socket
import sys
import time


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=addr, required=True)
    ap.add_argument("--b", type=addr, required=True)
    ap.add_argument("--to-a", type=addr, required=True)
    ap.add_argument("--to-b", type=addr, required=True)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--log")
    args = ap.parse_args()

    sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sa.bind(args.a)
    sb.bind(args.b)
    delay = args.delay_ms / 1000.0
    # In on a: out of b to B; in on b: out of a to A.
    route = {sa.fileno(): (sb, args.to_b), sb.fileno(): (sa, args.to_a)}
    counts = {sa.fileno(): 0, sb.fileno(): 0}
    queue = []          # (due, n, out socket, destination, datagram)
    n = 0
    stop = []

    def on_signal(signum, frame):
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("ready", flush=True)
    while not stop:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, dest, data = heapq.heappop(queue)
            try:
                out.sendto(data, dest)
            except OSError:
                pass    # the node is gone: as a lost datagram
        timeout = max(0.0, queue[0][0] - now) if queue else 0.5
        try:
            ready, _, _ = select.select([sa, sb], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for s in ready:
            try:
                data = s.recv(65536)
            except OSError:
                continue    # ICMP error of an earlier send
            out, dest = route[s.fileno()]
            counts[s.fileno()] += 1
            n += 1
            heapq.heappush(queue, (now + delay, n, out, dest, data))
    if args.log:
        with open(args.log, "a") as f:
            f.write(f"relayed a->b {counts[sa.fileno()]}, "
                    f"b->a {counts[sb.fileno()]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
