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

printf '\n== PyTorch zip checkpoint: bytes read against the whole file\n'
CKPT=$DIR/checkpoint_1g.pt
if [ -f "$CKPT" ] || /usr/bin/python3 "$HERE/gen_torch_ckpt.py" "$CKPT" 1; then
	r=$("$BIN" "$CKPT" 3)
	pk=$(/usr/bin/python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print(sum(i.file_size for i in z.infolist() if i.filename.endswith('.pkl')))" "$CKPT")
	size=$(field size "$r")
	br=$(field bytes_read "$r")
	printf '%-14s %9.1f MB  %s  scan %.1f ms (read() of the whole file %.1f ms)\n' \
		checkpoint_1g.pt "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')" "$(field verdict "$r")" \
		"$(awk -v t="$(field scan_s "$r")" 'BEGIN { print t * 1e3 }')" \
		"$(awk -v t="$(field read_s "$r")" 'BEGIN { print t * 1e3 }')"
	printf '               bytes read %s = pickle members %s + %s (target: under + 262144), %.4f%% of the file\n' \
		"$br" "$pk" "$((br - pk))" "$(awk -v b="$br" -v s="$size" 'BEGIN { print 100 * b / s }')"
	[ $((br - pk)) -lt 262144 ] || echo "  checkpoint: above the bytes-read target"
else
	echo "  skipped: python3-torch is not installed (scripts/install-deps.sh fixtures)"
fi
