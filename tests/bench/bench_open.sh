#!/bin/bash
# bench_open.sh BUILD_DIR: per-open latency through the guard, on a tmpfs of
# its own, beside no guard at all and beside the least a fanotify permission
# guard can do (floor_responder: allow every event at once, blocking read).
# ROUNDS rounds, each on fresh files, alternate the guards so that the
# machine's drift hits them alike; the figures are medians over the rounds
# of each round's median.  Twice: on an idle machine, where waking a
# sleeping CPU can dominate (virtual machines especially), and on a busy
# one (a nice-19 spinner per CPU keeps them awake, as a loaded host does),
# where the guard's own work shows.  Needs root.  Targets (issue 4):
#   non-model repeat opens   within 1.1x of no guard
#   non-model first opens    added latency within 1.25x of the floor's first opens
#   cached model opens       added latency within 1.25x of the floor's repeat opens
set -eu
B=$(realpath "$1")
N=${BENCH_OPENS:-10000}
ROUNDS=${BENCH_ROUNDS:-5}
PY=${PYTHON:-python3}
. "$(dirname "$0")/guard_lib.sh"
bench_setup bench_open 2g

# per round: fresh non-model files for each guard, fresh models to scan
"$PY" - "$M" "$N" "$((2 * ROUNDS))" <<'PY'
import os, pickle, sys
root, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = b"x = 1  # a source file, not a model\n" * 8
model = lambda i: pickle.dumps({"layer%d" % j: [float(i + j)] * 16 for j in range(8)}, protocol=4)
for r in range(rounds):
    for d in ("none", "floor", "guard", "scan"):
        os.makedirs(os.path.join(root, "r%d" % r, d))
    for i in range(n):
        for d in ("none", "floor", "guard"):
            with open(os.path.join(root, "r%d" % r, d, "f%06d" % i), "wb") as f:
                f.write(b"%d\n" % i + text)
        if i < 1000:
            with open(os.path.join(root, "r%d" % r, "scan", "f%06d" % i), "wb") as f:
                f.write(model(i))
os.makedirs(os.path.join(root, "model"))
with open(os.path.join(root, "model", "f000000"), "wb") as f:
    f.write(model(0))
PY
# older than the 2 s after a change in which pickleguardd neither caches a
# verdict nor places an ignore mark, as most files on a host are
sleep 2.1

# pinned: the opener on the first CPU, the guard on the last, so that every
# round wakes the same way
FIRST_CPU=0
LAST_CPU=$(($(nproc) - 1))
lat() { taskset -c "$FIRST_CPU" "$B/open_lat" "$M/$1" f "$2" "$3"; }
printf '[audit]\nfile =\nlog = denied\n' >"$T/bench.conf"
measure() { # FIRST_ROUND RESULTS
	for r in $(seq "$1" $(($1 + ROUNDS - 1))); do
		lat r$r/none "$N" 1 >/dev/null # dentries in cache, as for the others
		echo "none_first $(lat r$r/none "$N" 1)" >>"$2"
		echo "none_repeat $(lat model 1 "$N")" >>"$2"
		start_guard taskset -c "$LAST_CPU" "$B/floor_responder" "$M"
		lat r$r/floor "$N" 1 >/dev/null
		echo "floor_first $(lat r$r/floor "$N" 1)" >>"$2"
		echo "floor_repeat $(lat model 1 "$N")" >>"$2"
		stop_guard
		start_guard taskset -c "$LAST_CPU" "$B/pickleguardd" --foreground \
			--config "$T/bench.conf" --guard "$M" --socket "$T/ctl.sock"
		echo "guard_first $(lat r$r/guard "$N" 1)" >>"$2"
		sleep 0.1 # the ignore marks follow the answers
		echo "guard_repeat $(lat r$r/guard "$N" 1)" >>"$2"
		lat model 1 1 >/dev/null # scanned once, then cached
		echo "guard_cached $(lat model 1 "$N")" >>"$2"
		echo "guard_scan $(lat r$r/scan 1000 1)" >>"$2"
		"$B/pickleguard" status --json --socket "$T/ctl.sock" >"$T/status"
		stop_guard
	done
}

report() { # RESULTS TITLE
	"$PY" - "$1" "$T/status" "$N" "$ROUNDS" "$2" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    case, rest = line.split(" ", 1)
    f = dict(kv.split("=") for kv in rest.split())
    rows.setdefault(case, []).append(f)
st = json.load(open(sys.argv[2]))["counters"]
def med(case, key="p50_us"):
    return statistics.median(float(f[key]) for f in rows[case])
print("\n== per-open latency (us), %s: tmpfs, %s opens a case, median of %s rounds"
      % (sys.argv[5], sys.argv[3], sys.argv[4]))
print("%-36s %8s %8s %8s %7s" % ("case", "p50", "mean", "p99", "failed"))
names = [("none_first", "no guard: first opens"), ("none_repeat", "no guard: repeat opens"),
         ("floor_first", "floor responder: first opens"),
         ("floor_repeat", "floor responder: repeat opens"),
         ("guard_first", "pickleguardd: non-model first"),
         ("guard_repeat", "pickleguardd: non-model repeat"),
         ("guard_cached", "pickleguardd: cached model"),
         ("guard_scan", "pickleguardd: model scan (1000)")]
for case, name in names:
    print("%-36s %8.2f %8.2f %8.2f %7d" % (name, med(case), med(case, "mean_us"),
          med(case, "p99_us"), sum(int(f["failed"]) for f in rows[case])))
nf, nr = med("none_first"), med("none_repeat")
ff, fr = med("floor_first") - nf, med("floor_repeat") - nr
gf, gr, gc = med("guard_first") - nf, med("guard_repeat"), med("guard_cached") - nr
print("ratios on medians (target)")
print("  non-model repeat / no guard               %5.2fx  (<= 1.10)" % (gr / nf))
print("  non-model first, added / floor's added    %5.2fx  (<= 1.25)  %.2f vs %.2f us"
      % (gf / ff, gf, ff))
print("  cached model, added / floor's added       %5.2fx  (<= 1.25)  %.2f vs %.2f us"
      % (gc / fr, gc, fr))
print("last round's counters: events %d, not_model %d, ignore_marks %d, cache_hits %d, scans %d"
      % (st["events"], st["not_model"], st["ignore_marks"], st["cache_hits"], st["scans"]))
PY
}

measure 0 "$T/idle"
report "$T/idle" "idle machine"
SPIN=()
for cpu in $(seq 0 "$LAST_CPU"); do
	taskset -c "$cpu" nice -n 19 sh -c 'while :; do :; done' &
	SPIN+=($!)
done
trap 'kill "${SPIN[@]}" 2>/dev/null || true; bench_cleanup' EXIT
measure "$ROUNDS" "$T/busy"
kill "${SPIN[@]}"
wait "${SPIN[@]}" 2>/dev/null || true
report "$T/busy" "busy machine (a nice-19 spinner per CPU)"
