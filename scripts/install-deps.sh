#!/bin/sh
# install-deps.sh GROUP...: make sure the Debian packages pickleguard needs
# are installed.  Quick (one dpkg-query) when they are; installs with apt-get
# when not, as root or through sudo.  Groups:
#   build   compile the CLI, the daemon and the BPF programs
#   test    run `make check` (cmocka, sanitizers, Python for fixture checks)
#   fuzz    libFuzzer (clang's runtime)
#   bench   benchmarks (Python for generated inputs)
#   fixtures regenerate tests/fixtures/real (torch, numpy, joblib, pandas...)
set -eu

pkgs=""
for group in "$@"; do
	case "$group" in
	build) pkgs="$pkgs gcc make pkg-config libc6-dev libzip-dev liburing-dev libbpf-dev
		libsystemd-dev libinih-dev zlib1g-dev libbz2-dev liblzma-dev liblz4-dev libzstd-dev
		clang llvm bpftool" ;;
	test) pkgs="$pkgs libcmocka-dev python3 libclang-rt-14-dev systemd util-linux e2fsprogs
		btrfs-progs" ;;
	fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
	bench) pkgs="$pkgs python3" ;;
	fixtures) pkgs="$pkgs python3 python3-numpy python3-torch python3-joblib python3-pandas
		python3-sklearn python3-lz4 python3-zstandard python3-h5py p7zip-full" ;;
	*) echo "install-deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done
[ -n "$pkgs" ] || exit 0

installed=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
	awk '/install ok installed/ { print $1 }')
missing=""
for p in $pkgs; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -n "$missing" ] || exit 0

echo "install-deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "install-deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends $missing; then
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends $missing
fi
