#!/usr/bin/env bash
# Regenerate docs/plots/: for three synthetic trace families (hbeat-sim
# trace --preset lan|wan|stall), the trade-off between detection time and
# mistake rate of every detector, each swept over its main parameter
# (hbeat-sim eval --sweep ... --plot), as SVG, plus the same curves as CSV
# and the evaluator's tables as text. docs/detectors.md ("Measuring: QoS
# and trade-offs") reads them.
#
#   scripts/plots.sh [BUILD_DIR]        (default: build)
#
# Deterministic: fixed seeds, so a re-run rewrites the same files. The
# traces are 24 h each (PLOT_HOURS=N to change; the committed plots use
# 24) and are not kept. Needs gnuplot (Debian: gnuplot-nox).
set -euo pipefail

build=${1:-build}
hours=${PLOT_HOURS:-24}
# BUILD_DIR is taken relative to the current directory, else to the repo.
if [ -d "$build" ]; then build=$(cd "$build" && pwd); fi
cd "$(dirname "$0")/.."
sim="$build/hbeat-sim"
out=docs/plots

if [ ! -x "$sim" ]; then
        echo "plots.sh: $sim not found: build it first (ninja -C $build hbeat-sim)" >&2
        exit 2
fi
if ! command -v gnuplot >/dev/null; then
        echo "plots.sh: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2
        exit 2
fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per detector, each swept over the parameter that moves its
# detection time; the configuration as given (defaults, at 100 ms) is
# marked on each line at its suspect and dead thresholds, and the hbeat
# default (the two phi lines as given) is ringed.
detectors=(
        --detector fixed --sweep k=1:20:0.5
        --detector phi
        --sweep threshold=0.5,1,2,3,4,6,8,10,12,16,20,24,30,40,60,100,300
        --detector phi --label "phi, threshold 8"
        --sweep acceptable_pause_ms=0:1500:50
        --detector phi_exp --sweep threshold=0.5:8.5:0.25
        --detector chen --sweep "alpha_ms=25,$(seq -s, 50 50 1900)"
        --detector bertier
        --sweep threshold=1,1.5,2,3,4,5,6,8,10,12,16,20,24,32,40,48,64,80
        --detector adaptive --sweep threshold=0.4:6:0.2
)

declare -A what=(
        [lan]="LAN-like: 0.2 ms delay, 0.1 % independent loss"
        [wan]="WAN-like: 40 ms log-normal delay with a Pareto tail, 1 % loss in bursts"
        [stall]="stall-prone: LAN plus sender stalls of 0.2-1.3 s, 3.6 per hour"
)

# Both axes log in all three (--plot-log both): the T_D range of these
# sweeps, 100 ms to 2-3 s, sits near the automatic choice's factor of 20,
# and plots read side by side need the same scale.
for family in lan wan stall; do
        trace="$tmp/$family.csv"
        "$sim" trace --preset "$family" --seed 1 --peer peer \
                --duration-s $((hours * 3600)) -q -o "$trace"
        echo "== $family"
        "$sim" eval "$trace" "${detectors[@]}" \
                --crash-at each --plot-log both \
                --title "$family ($hours h at 100 ms): ${what[$family]}" \
                --csv "$out/$family.csv" --plot "$out/$family.svg" \
                | sed "s|$tmp/||" > "$out/$family.txt"
        # The configurations as given (the sweeps are in the CSV).
        awk '/^sweep of/ { exit } { print }' "$out/$family.txt"
done
echo "wrote $out/{lan,wan,stall}.{svg,csv,txt}"
