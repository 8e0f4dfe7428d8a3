#!/usr/bin/env python3
"""Check the cpython: claims of the pickle regression cases against CPython.

usage: verify_cpython.py DIR

For every DIR/NAME.expect with a "cpython:" line, NAME.pkl is loaded by the
real CPython unpickler in a fresh subprocess (cwd a temporary directory,
PYTHONPATH = tests/pickles, PGTEST_MARKER_DIR a fresh temporary directory).
An audit hook on "pickle.find_class" records every import and refuses any
that is not pgtest_marker or on the allowlist (policy/allow/default.allow
plus the case's "allow:" entries), so nothing dangerous ever runs.

Claims:
  runs            a pgtest_marker marker file appeared
  reaches:M.N     the audit hook saw the import M.N (raw or Python 2-mapped)
  fails           the loader raised and no marker appeared
  loads           the loader finished (load-all: every pickle), no marker
                  appeared and every import was on the allowlist

Loaders ("loader:", default load): load, loads, load-all, py-load, py-load-all.
Exit status 1 if any claim does not hold.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_ALLOW = os.path.join(ROOT, "policy", "allow", "default.allow")
LOADERS = ("load", "loads", "load-all", "py-load", "py-load-all")
TIMEOUT = 120

# Runs in the subprocess: argv[1] is a JSON config, argv[2] the result file.
CHILD = r'''
import json, os, sys, traceback
import _compat_pickle

cfg = json.load(open(sys.argv[1]))
allowed = set(tuple(p) for p in cfg["allowed"])
seen = []

def mapped(m, n):
    if (m, n) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(m, n)]
    if m in _compat_pickle.IMPORT_MAPPING:
        return _compat_pickle.IMPORT_MAPPING[m], n
    return m, n

def hook(event, args):
    if event != "pickle.find_class":
        return
    m, n = str(args[0]), str(args[1])
    mm, mn = mapped(m, n)
    listed = (mm, mn) in allowed
    # _pgtest-marker.py: the same payload under a name with a hyphen
    ok = listed or m in ("pgtest_marker", "_pgtest-marker") or mm == "pgtest_marker"
    seen.append([m, n, mm, mn, listed, ok])
    if not ok:
        raise RuntimeError("verify_cpython: refused import %s.%s" % (m, n))

sys.addaudithook(hook)

import copyreg, pickle
if cfg["ext"] is not None:
    copyreg.add_extension("pgtest_marker", "fire", cfg["ext"])

path, loader = cfg["file"], cfg["loader"]
raised, loaded = None, 0
try:
    if loader == "load":
        with open(path, "rb") as f:
            pickle.load(f)
        loaded = 1
    elif loader == "loads":
        with open(path, "rb") as f:
            data = f.read()
        pickle.loads(data)
        loaded = 1
    elif loader == "py-load":
        with open(path, "rb") as f:
            pickle._Unpickler(f).load()
        loaded = 1
    else:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            while f.tell() < size:
                if loader == "load-all":
                    pickle.load(f)
                else:
                    pickle._Unpickler(f).load()
                loaded += 1
except BaseException as e:
    raised = "%s: %s" % (type(e).__name__, str(e)[:300])
    traceback.print_exc()

with open(sys.argv[2], "w") as f:
    json.dump({"raised": raised, "loaded": loaded, "seen": seen}, f)
'''


def parse_allow_line(line):
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    if ":" in line:
        m, n = line.split(":", 1)
    else:
        m, _, n = line.rpartition(".")
    return (m.strip(), n.strip()) if m and n else None


def read_allowlist(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = parse_allow_line(line)
            if p:
                out.add(p)
    return out


def parse_expect(path):
    keys = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            keys[k.strip()] = v.strip()
    return keys


def run_case(pkl, exp, base_allow):
    allowed = set(base_allow)
    for tok in exp.get("allow", "").split():
        p = parse_allow_line(tok)
        if p:
            allowed.add(p)
    loader = exp.get("loader", "load") or "load"
    if loader not in LOADERS:
        return None, "unknown loader %r" % loader, ""
    ext = exp.get("ext-register")
    with tempfile.TemporaryDirectory(prefix="pgverify-") as tmp:
        cwd = os.path.join(tmp, "cwd")
        markers = os.path.join(tmp, "markers")
        os.mkdir(cwd)
        os.mkdir(markers)
        cfg_path = os.path.join(tmp, "config.json")
        res_path = os.path.join(tmp, "result.json")
        with open(cfg_path, "w") as f:
            json.dump({"file": os.path.abspath(pkl), "loader": loader,
                       "allowed": sorted(allowed), "ext": int(ext) if ext else None}, f)
        env = dict(os.environ)
        env.update(PYTHONPATH=HERE, PGTEST_MARKER_DIR=markers, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONSTARTUP", None)
        try:
            p = subprocess.run([sys.executable, "-c", CHILD, cfg_path, res_path], cwd=cwd,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIMEOUT)
            stderr = (p.stdout + p.stderr).decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            return None, "timed out after %ds" % TIMEOUT, (e.stderr or b"").decode("utf-8", "replace")
        if not os.path.exists(res_path):
            if p.returncode < 0:
                return {"crashed": -p.returncode, "markers": sorted(os.listdir(markers))}, \
                    None, stderr
            return None, "subprocess died (exit %d) without a result" % p.returncode, stderr
        with open(res_path) as f:
            res = json.load(f)
        res["markers"] = sorted(os.listdir(markers))
        return res, None, stderr


def check(claim, res):
    """Return None if the claim holds, else why not."""
    if "crashed" in res:
        return None if claim == "crashes" else "the loader crashed (signal %d)" % res["crashed"]
    if claim == "crashes":
        return "the loader did not crash"
    fired, raised, seen = res["markers"], res["raised"], res["seen"]
    got = "markers %s, raised %s, loaded %d, imports %s" % (
        fired or "none", raised or "nothing", res["loaded"],
        " ".join("%s.%s%s" % (s[0], s[1], "" if s[4] else "(unlisted)") for s in seen) or "none")
    if claim == "runs":
        ok = bool(fired)
    elif claim.startswith("reaches:"):
        want = claim[len("reaches:"):]
        ok = any(want in ("%s.%s" % (s[0], s[1]), "%s.%s" % (s[2], s[3])) for s in seen)
    elif claim == "fails":
        ok = raised is not None and not fired
    elif claim == "loads":
        ok = raised is None and not fired and all(s[4] for s in seen)
    else:
        return "unknown claim %r" % claim
    return None if ok else got


def tail(text, n=8):
    lines = text.strip().splitlines()
    return "\n".join("      " + l for l in lines[-n:])


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: verify_cpython.py DIR\n")
        return 2
    d = argv[1]
    base_allow = read_allowlist(DEFAULT_ALLOW)
    checked, skipped, failures = 0, [], []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".expect"):
            continue
        stem = name[:-len(".expect")]
        exp = parse_expect(os.path.join(d, name))
        claim = exp.get("cpython")
        if not claim:
            continue
        needs = exp.get("needs")
        if needs and subprocess.run([sys.executable, "-c", "import " + needs],
                                    capture_output=True).returncode:
            skipped.append("%s (needs %s)" % (stem, needs))
            continue
        checked += 1
        pkl = os.path.join(d, stem + ".pkl")
        if not os.path.exists(pkl):
            failures.append((stem, claim, "missing %s" % pkl, ""))
            continue
        res, err, stderr = run_case(pkl, exp, base_allow)
        why = err if res is None else check(claim, res)
        if why is not None:
            failures.append((stem, claim, why, stderr))
    for stem, claim, why, stderr in failures:
        print("FAIL %s: cpython: %s does not hold: %s" % (stem, claim, why))
        if stderr.strip():
            print("    stderr tail:\n" + tail(stderr))
    if skipped:
        print("verify_cpython: skipped, module missing: " + ", ".join(skipped))
    print("verify_cpython: %d claims checked, %d failed" % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
