#!/bin/bash
# test_cli.sh BIN: the `pickleguard scan` command line: exit statuses, one
# line per file, JSON Lines valid for any file name, clear errors on bad
# input.  Needs python3 (stdlib) to check JSON.
set -u
BIN=$(realpath "$1")
T=$(mktemp -d /tmp/pg-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# expect STATUS DESCRIPTION -- COMMAND...: runs it, keeps stdout/stderr
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else
		bad "$what: exit $got, expected $want"
		sed 's/^/    out: /' "$T/out" | head -5
		sed 's/^/    err: /' "$T/err" | head -5
	fi
}
contains() { # FILE TEXT DESCRIPTION
	if grep -qF -- "$2" "$1"; then ok; else bad "$3: no '$2' in $(head -c 300 "$1")"; fi
}

mkdir -p "$T/tree/sub/deeper" "$T/elsewhere"
printf 'N.' >"$T/tree/safe.pkl"
printf '\x80\x02cos\nsystem\n(S\x27x\x27\ntR.' >"$T/tree/sub/evil.pkl"
printf '# just text\n' >"$T/tree/sub/deeper/README.md"
: >"$T/tree/empty.bin"
printf '\x80\x02cos\nsystem\n(S\x27x\x27\ntR.' >"$T/elsewhere/hidden.pkl"
ln -s "$T/elsewhere" "$T/tree/link-to-dir"
ln -s "$T/tree/safe.pkl" "$T/tree/link-to-file.pkl"
mkfifo "$T/tree/fifo"

# usage
expect 2 "no arguments" -- "$BIN"
contains "$T/err" "usage: pickleguard" "usage text"
expect 2 "scan without a path" -- "$BIN" scan
contains "$T/err" "no PATH given" "missing path message"
expect 2 "unknown option" -- "$BIN" scan --frobnicate "$T/tree/safe.pkl"
contains "$T/err" "usage: pickleguard scan" "scan usage on bad option"
expect 2 "unknown command" -- "$BIN" frob
expect 0 "help" -- "$BIN" scan --help
contains "$T/out" "--allow-import" "help lists options"
expect 0 "version" -- "$BIN" --version

# verdicts and exit statuses
expect 0 "safe file" -- "$BIN" scan "$T/tree/safe.pkl"
contains "$T/out" "$T/tree/safe.pkl: safe" "safe line"
expect 1 "unsafe file" -- "$BIN" scan "$T/tree/sub/evil.pkl"
contains "$T/out" "$T/tree/sub/evil.pkl: unsafe (pickle @ 0x2: import os.system)" "unsafe line"
expect 2 "missing file" -- "$BIN" scan "$T/nope.pkl"
contains "$T/out" "$T/nope.pkl: error (cannot open: No such file or directory)" "missing file line"
expect 1 "unsafe wins over error" -- "$BIN" scan "$T/nope.pkl" "$T/tree/sub/evil.pkl"
expect 0 "empty file is not a pickle" -- "$BIN" scan "$T/tree/empty.bin"
contains "$T/out" "empty.bin: not-pickle (unknown)" "not-pickle line"
expect 2 "a FIFO named on the command line" -- "$BIN" scan "$T/tree/fifo"
contains "$T/out" "fifo: error (not a regular file" "fifo line"

# directory walk: recursive, sorted, symlinked dirs not followed, FIFOs skipped
expect 1 "directory walk" -- "$BIN" scan "$T/tree"
lines=$(wc -l <"$T/out")
if [ "$lines" = 5 ]; then ok; else bad "walk printed $lines lines, expected 5"; cat "$T/out"; fi
if grep -q hidden.pkl "$T/out"; then bad "walk followed a symlinked directory"; else ok; fi
if grep -q fifo "$T/out"; then bad "walk reported a FIFO"; else ok; fi
contains "$T/out" "link-to-file.pkl: safe" "symlinked file scanned"
if [ "$(cut -d: -f1 "$T/out")" = "$(cut -d: -f1 "$T/out" | LC_ALL=C sort)" ]; then ok; else
	bad "walk not in name order"; fi

# allowlist options
printf 'os.system  # for the test\n' >"$T/ok.allow"
expect 0 "--allow FILE" -- "$BIN" scan --allow "$T/ok.allow" "$T/tree/sub/evil.pkl"
printf 'fine.name\nnot valid\n' >"$T/bad.allow"
expect 2 "--allow with a bad line" -- "$BIN" scan --allow "$T/bad.allow" "$T/tree/safe.pkl"
contains "$T/err" "$T/bad.allow:2: one entry per line" "bad allow line names file and line"
expect 2 "--allow missing file" -- "$BIN" scan --allow "$T/none.allow" "$T/tree/safe.pkl"
contains "$T/err" "--allow $T/none.allow: No such file or directory" "missing allow file"
expect 0 "--allow-import" -- "$BIN" scan --allow-import os.system "$T/tree/sub/evil.pkl"
expect 2 "--allow-import bad" -- "$BIN" scan --allow-import nodot "$T/tree/safe.pkl"
contains "$T/err" "--allow-import nodot: expected module.name" "bad allow-import"
expect 2 "--profile unknown" -- "$BIN" scan --profile nosuch "$T/tree/safe.pkl"
contains "$T/err" "unknown profile 'nosuch'" "unknown profile"
expect 1 "options after paths" -- "$BIN" scan "$T/tree/sub/evil.pkl" --json
contains "$T/out" '"verdict":"unsafe"' "--json after the path"

# JSON Lines: valid for any name bytes, all fields, names round-trip
weird=$(printf 'we\377ird\nname.pkl')
printf '\x80\x02cos\nsystem\n(S\x27x\x27\ntR.' >"$T/tree/$weird"
expect 1 "--json" -- "$BIN" scan --json "$T/tree" "$T/nope.pkl"
if python3 - "$T/out" "$T/tree/$weird" <<'EOF'; then ok; else bad "JSON Lines check"; fi
import json, os, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
objs = [json.loads(l) for l in lines]
want = {"path", "verdict", "format", "reasons", "imports", "bytes_read", "scan_us"}
for o in objs:
    assert want <= set(o), o
    for r in o["reasons"]:
        assert {"kind", "module", "name", "offset", "member", "detail"} <= set(r), r
paths = [os.fsencode(o["path"]) for o in objs]
assert os.fsencode(sys.argv[2]) in paths, paths
evil = [o for o in objs if o["path"].endswith("evil.pkl")][0]
assert evil["verdict"] == "unsafe" and evil["imports"] == ["os.system"], evil
assert evil["reasons"][0] == {"kind": "import", "module": "os", "name": "system",
                              "offset": 2, "member": None,
                              "detail": "not on the allowlist"}, evil["reasons"][0]
missing = [o for o in objs if o["path"].endswith("nope.pkl")][0]
assert missing["verdict"] == "error" and "No such file" in missing["error"], missing
assert len(objs) == 7, len(objs)
EOF
# the human line escapes control bytes, so one file is one line
expect 1 "weird name, text output" -- "$BIN" scan "$T/tree/$weird"
if [ "$(wc -l <"$T/out")" = 1 ]; then ok; else bad "weird name broke the line"; fi
contains "$T/out" 'we\xffird\x0aname.pkl: unsafe' "escaped name"

echo "test_cli: $n checks, $fails failed"
[ "$fails" = 0 ]
