#!/bin/bash
# bench_probes.sh BUILD_DIR: what the process probes cost: fork + exec +
# exit + wait per second with pickleguardd's BPF programs attached and
# without, in alternating rounds (the daemon guards a tmpfs of its own and
# nothing else).  Target (issue 5): under 5% slower.  Needs root.
set -eu
B=$(realpath "$1")
N=${BENCH_FORKS:-4000}
ROUNDS=${BENCH_ROUNDS:-5}
. "$(dirname "$0")/guard_lib.sh"
bench_setup bench_probes 16m
printf '[audit]\nfile =\n' >"$T/bench.conf"
PROG=$(type -P true)

: >"$T/results"
"$B/fork_rate" 500 "$PROG" >/dev/null # warm up
for r in $(seq "$ROUNDS"); do
	echo "off $("$B/fork_rate" "$N" "$PROG")" >>"$T/results"
	start_guard "$B/pickleguardd" --foreground --config "$T/bench.conf" --guard "$M" \
		--socket "$T/ctl.sock"
	if ! "$B/pickleguard" status --json --socket "$T/ctl.sock" | grep -q '"attribution":"bpf"'; then
		echo "bench_probes: the BPF probes did not load:"; cat "$T/guard.out"; exit 1
	fi
	echo "on $("$B/fork_rate" "$N" "$PROG")" >>"$T/results"
	stop_guard
done
${PYTHON:-python3} - "$T/results" "$N" "$ROUNDS" <<'PY'
import statistics, sys
rate = {"off": [], "on": []}
for line in open(sys.argv[1]):
    case, rest = line.split(" ", 1)
    rate[case].append(float(dict(kv.split("=") for kv in rest.split())["per_s"]))
off, on = statistics.median(rate["off"]), statistics.median(rate["on"])
print("\n== fork + exec + exit + wait, %s a round, median of %s rounds" % (sys.argv[2], sys.argv[3]))
print("  without probes   %8.0f /s   (rounds: %s)" % (off, " ".join("%.0f" % r for r in rate["off"])))
print("  with probes      %8.0f /s   (rounds: %s)" % (on, " ".join("%.0f" % r for r in rate["on"])))
print("  slower by        %7.1f %%    (target: under 5 %%)" % (100 * (off - on) / off))
PY
