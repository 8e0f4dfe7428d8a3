#!/bin/bash
# run_bench.sh BENCH_BIN DIR: make the inputs, run the scanner and its
# baselines in one run, print the figures side by side.
set -eu
BIN=$1 DIR=$2
HERE=$(dirname "$0")
PY=${PYTHON:-python3}
"$PY" "$HERE/gen_bench.py" "$DIR"

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

printf '\n== scanner throughput (best of 5), baselines measured in the same run\n'
printf '%-14s %9s  %12s %10s  %12s  %14s  %s\n' file MB "scan MB/s" "Mop/s" "read MB/s" "genops MB/s" "scan/genops"
for f in dense.pkl dense_p0.pkl; do
	r=$("$BIN" "$DIR/$f" 5)
	g=$("$PY" "$HERE/genops_time.py" "$DIR/$f")
	size=$(field size "$r")
	gs=$(field genops_s "$g")
	sm=$(field scan_mbs "$r")
	gm=$(awk -v s="$size" -v t="$gs" 'BEGIN { printf "%.1f", s / t / 1e6 }')
	printf '%-14s %9.1f  %12s %10s  %12s  %14s  %.0fx\n' "$f" \
		"$(awk -v s="$size" 'BEGIN { print s / 1e6 }')" "$sm" "$(field mops "$r")" \
		"$(field read_mbs "$r")" "$gm" "$(awk -v a="$sm" -v b="$gm" 'BEGIN { print a / b }')"
	awk -v m="$sm" -v f="$f" 'BEGIN { if (m < 100) printf "  %s: below the 100 MB/s target\n", f }'
done

printf '\n== large binary payloads: skipped, not read\n'
r=$("$BIN" "$DIR/binary.pkl" 5)
size=$(field size "$r")
printf '%-14s %9.1f MB  scan %.3f ms, bytes read %s (%.4f%% of the file)  read() baseline %.1f ms\n' \
	binary.pkl "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')" \
	"$(awk -v t="$(field scan_s "$r")" 'BEGIN { print t * 1e3 }')" "$(field bytes_read "$r")" \
	"$(awk -v b="$(field bytes_read "$r")" -v s="$size" 'BEGIN { print 100 * b / s }')" \
	"$(awk -v t="$(field read_s "$r")" 'BEGIN { print t * 1e3 }')"
