#!/usr/bin/env bash
# Run every benchmark against a build directory and print the figures that
# docs/benchmarks.md records. Benchmarks measure; they are not tests.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
echo "== core path (bench_core)"
"$build/bench_core"
echo
echo "== QoS evaluator (bench_eval)"
"$build/bench_eval"
echo
echo "== hbeat-sim eval end to end (bench/eval_bench.py), 24 h wan trace, --crash-at each"
/usr/bin/python3 bench/eval_bench.py "$build" --runs 5
echo
echo "== hbeatd under load (bench/daemon_bench.py), 1000 peers, max rate"
/usr/bin/python3 bench/daemon_bench.py "$build" --peers 1000 --duration 10
echo
echo "== memberlist anchor (bench/memberlist_bench.py), short: 16/64 members at 1 % loss, 64 processes (all of it: make bench-memberlist)"
/usr/bin/python3 bench/memberlist_bench.py "$build" --sizes 16,64 --losses 0.01 \
        --real-losses 0.01 --crashes 3 --steady 30 \
        --hbeat-sim "$build/hbeat-sim run --topology gossip" \
        --out "$build/memberlist-short.json"
echo
echo "== VIP failover, hbeat vs keepalived (bench/failover_bench.py), 20 runs at 100 ms"
if ! command -v keepalived >/dev/null; then
        echo "skipped: keepalived is not installed (scripts/install-deps keepalived)"
elif [ "$(id -u)" -ne 0 ]; then
        echo "skipped: needs root (network namespaces)"
else
        /usr/bin/python3 bench/failover_bench.py "$build" --runs 20 --interval-ms 100
        echo
        echo "== the same, the holder hung (SIGSTOP) instead of killed"
        /usr/bin/python3 bench/failover_bench.py "$build" --runs 20 --interval-ms 100 --fault stop
fi
echo
echo "== issue 13: the simulator at scale (bench/scale_bench.py), 100..1000 nodes, 60 s at 1 s"
/usr/bin/python3 bench/scale_bench.py "$build" --out "${SCALE_OUT:-docs/plots}"
echo
echo "== issue 13: 10,000 gossip nodes in one process, 1 s probes, 1 % loss, one crash (about 4 GB, minutes)"
/usr/bin/time -f "wall %e s, max RSS %M KiB" "$build/hbeat-sim" run \
        --topology gossip --nodes 10000 --interval-ms 1000 --loss 0.01 \
        --duration-s 30 --fault crash:77:10000 --quiet
