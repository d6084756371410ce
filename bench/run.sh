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
echo "== hbeatd under load (bench/daemon_bench.py), 1000 peers, max rate"
/usr/bin/python3 bench/daemon_bench.py "$build" --peers 1000 --duration 10
