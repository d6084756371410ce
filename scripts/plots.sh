#!/usr/bin/env bash
# Regenerate docs/plots/: the trade-off between detection time and
# mistake rate of every detector, each swept over its main parameter
# (hbeat-sim eval --sweep ... --plot), as SVG, plus the same curves as CSV
# and the evaluator's tables as text, for
#   - three synthetic trace families (hbeat-sim trace --preset
#     lan|wan|stall, 100 ms),
#   - the recorded corpus in bench/traces/ (real hbeatd, 20 ms: idle,
#     cpu-stress, mixed-stress, loss-5, loss-20, pauses),
#   - one PlanetLab sender (../shared/traces/, node0's real send times
#     through the wan network model), when that directory is there;
# and docs/plots/pareto.md, the default's place against the front of
# every family and Akka's defaults beside it (scripts/pareto.py).
# docs/detectors.md ("Measuring: QoS and trade-offs") reads them.
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
# detection time; the configuration as given (defaults, at the trace's
# interval) is marked on each line at its suspect and dead thresholds,
# and the hbeat default (the two phi lines as given) is ringed. Durations
# in the sweeps scale with the interval: set_detectors INTERVAL_MS.
set_detectors() {
        local f=$1 alphas pauses
        alphas=$(awk -v f="$f" 'BEGIN { printf "%g", 25 * f / 100;
                for (a = 50; a <= 1900; a += 50) printf ",%g", a * f / 100 }')
        pauses=$(awk -v f="$f" 'BEGIN { printf "0";
                for (p = 50; p <= 1500; p += 50) printf ",%g", p * f / 100 }')
        detectors=(
                --detector fixed
                --sweep "k=$(seq -s, 1 0.5 20),25,30,35,40,45,50,55,60"
                --detector phi
                --sweep threshold=0.5,1,2,3,4,6,8,10,12,16,20,24,30,40,60,100,300
                --detector phi --label "phi, threshold 8"
                --sweep "acceptable_pause_ms=$pauses"
                --detector phi_exp --sweep threshold=0.5:8.5:0.25
                --detector chen --sweep "alpha_ms=$alphas"
                --detector bertier
                --sweep threshold=1,1.5,2,3,4,5,6,8,10,12,16,20,24,32,40,48,64,80
                --detector adaptive --sweep threshold=0.4:6:0.2
        )
}

declare -A what=(
        [lan]="LAN-like: 0.2 ms delay, 0.1 % independent loss"
        [wan]="WAN-like: 40 ms log-normal delay with a Pareto tail, 1 % loss in bursts"
        [stall]="stall-prone: LAN plus sender stalls of 0.2-1.3 s, 3.6 per hour"
)

# Both axes log in all three (--plot-log both): the T_D range of these
# sweeps, 100 ms to 2-3 s, sits near the automatic choice's factor of 20,
# and plots read side by side need the same scale.
set_detectors 100
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
traces=("$tmp/lan.csv" "$tmp/wan.csv" "$tmp/stall.csv")

# The recorded corpus (bench/traces/README.md says how each was made).
declare -A rec=(
        [idle]="idle: nothing done, real-time on"
        [cpu-stress]="stress-ng --cpu 2, real-time off"
        [mixed-stress]="stress-ng cpu + io + vm, real-time off"
        [loss-5]="5 % of datagrams dropped by nftables"
        [loss-20]="20 % of datagrams dropped by nftables"
        [pauses]="sender SIGSTOPped 0.2-1 s every 10-30 s"
)
set_detectors 20
for family in idle cpu-stress mixed-stress loss-5 loss-20 pauses; do
        trace=bench/traces/$family.csv.gz
        echo "== $family"
        "$sim" eval "$trace" "${detectors[@]}" \
                --crash-at each --plot-log both \
                --title "$family (recorded, 9 min at 20 ms): ${rec[$family]}" \
                --csv "$out/$family.csv" --plot "$out/$family.svg" \
                > "$out/$family.txt"
        awk '/^sweep of/ { exit } { print }' "$out/$family.txt"
        traces+=("$trace")
done

# A PlanetLab sender's real send times (its stalls included) through the
# wan network model.
pl=../shared/traces/planetlab-lip6-sentinterval/node0_sentinterval.csv.gz
if [ -r "$pl" ]; then
        trace="$tmp/planetlab-node0.csv"
        "$sim" trace --sender-times "$pl" --preset wan --seed 1 \
                --peer node0 -q -o "$trace"
        set_detectors 100
        echo "== planetlab-node0"
        "$sim" eval "$trace" "${detectors[@]}" \
                --crash-at each --plot-log both \
                --title "PlanetLab node0 (LIP6 send times, wan network model, 100 ms)" \
                --csv "$out/planetlab-node0.csv" \
                --plot "$out/planetlab-node0.svg" \
                | sed "s|$tmp/||" > "$out/planetlab-node0.txt"
        awk '/^sweep of/ { exit } { print }' "$out/planetlab-node0.txt"
        traces+=("$trace")
fi

/usr/bin/python3 scripts/pareto.py --build "$build" --markdown \
        "${traces[@]}" | sed "s|$tmp/||" > "$out/pareto.md"
cat "$out/pareto.md"
echo "wrote $out/*.{svg,csv,txt} and $out/pareto.md"
