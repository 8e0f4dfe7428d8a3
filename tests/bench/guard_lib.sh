# guard_lib.sh: sourced by the benchmarks that run a guard.  bench_setup
# NAME SIZE: skip unless root, make $T with a tmpfs of SIZE at $M (removed
# with everything else on exit); start_guard CMD...: run a guard in the
# background until stop_guard.  The guards only ever watch $M.
bench_setup() {
	if [ "$(id -u)" != 0 ]; then
		echo "$1: skipped (needs root for fanotify and BPF)"
		exit 0
	fi
	T=$(mktemp -d "/tmp/pg-$1.XXXXXX")
	M=$T/mnt
	GUARD=
	trap bench_cleanup EXIT
	mkdir -p "$M"
	mount -t tmpfs -o "size=$2" pg-bench "$M"
	[ "$(findmnt -n -o FSTYPE "$M")" = tmpfs ] || { echo "$1: no tmpfs at $M"; exit 1; }
}

bench_cleanup() {
	set +e # every step, whatever fails before it
	[ -n "$GUARD" ] && kill "$GUARD" 2>/dev/null && wait "$GUARD" 2>/dev/null
	umount -l "$M" 2>/dev/null
	rm -rf "$T"
}

start_guard() {
	"$@" >"$T/guard.out" 2>&1 &
	GUARD=$!
	for _ in $(seq 200); do
		grep -qE "^ready|guarding" "$T/guard.out" 2>/dev/null && break
		sleep 0.02
	done
	sleep 0.2
}

stop_guard() {
	kill "$GUARD"
	wait "$GUARD" 2>/dev/null || true
	GUARD=
}
