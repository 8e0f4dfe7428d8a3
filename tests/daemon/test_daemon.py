#!/usr/bin/env python3
"""Integration tests of pickleguardd, as root, on tmpfs mounts they make.

    test_daemon.py --daemon PICKLEGUARDD --cli PICKLEGUARD --unit SERVICE [TEST...]

Each test gets a fresh tmpfs and a daemon guarding only it (see
harness.py for the safety checks).  The malicious files call
pgtest_marker.fire(), which only creates a marker file, so a test that
fails open shows up as a marker, never as harm.  Prints one line per test;
exits 1 if any fails.  Without root or fanotify permission events the
tests are skipped, loudly (PGD_TESTS_REQUIRED=1 turns that into failure).
"""
import ctypes
import errno
import json
import os
import pickle
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Failure, Sandbox, cat, check, fixture, python_load,  # noqa: E402
                     run_tests, try_open, wait_for)

CLEAN = pickle.dumps({"weights": [0.5, 1.5], "name": "tiny"}, protocol=2)
EVIL = b"cpgtest_marker\nfire\n(S'evil'\ntR."


def same_size_clean(n):
    """A protocol 0 pickle of a str, exactly n bytes long."""
    body = n - len(b"S''\n.")
    return b"S'" + b"a" * body + b"'\n."


def zip_of(name, data):
    path = tempfile.mktemp()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(name, data)
    with open(path, "rb") as f:
        out = f.read()
    os.unlink(path)
    return out


def slow_pickle(mb):
    """An opcode-dense pickle that takes the scanner a while (~1 s/100 MB)."""
    return b"\x80\x04" + b"K\x010" * (mb * 1000000 // 3) + b"N."


def evil_files(sb):
    return {
        "evil.pkl": sb.put("evil.pkl", EVIL),
        "evil.zip": sb.put("evil.zip", zip_of("model.pkl", EVIL)),
        "notes.txt": sb.put("notes.txt", EVIL),  # a pickle by content
        "torch_payload.pt": sb.put("torch_payload.pt",
                                   fixture("fixtures/containers/torch_zip_payload_start.pt")),
        "polyglot.pt": sb.put("polyglot.pt", fixture("fixtures/containers/zip_pickle_polyglot.pt")),
    }


def clean_files(sb):
    return {
        "clean.pkl": sb.put("clean.pkl", CLEAN),
        "clean.zip": sb.put("clean.zip", zip_of("model.pkl", CLEAN)),
        "torch.pt": sb.put("torch.pt", fixture("fixtures/containers/torch_state_dict.pt")),
        "object.npy": sb.put("object.npy", fixture("fixtures/containers/npy_object.npy")),
        "readme.txt": sb.put("readme.txt", b"not a model\n"),
    }


# ---------------------------------------------------------------- tests

def test_enforce(sb):
    """Clean models open; unsafe ones are EPERM for a Python loader and cat."""
    clean, evil = clean_files(sb), evil_files(sb)
    markers = tempfile.mkdtemp(dir=sb.dir)
    sb.start()
    for name in ("clean.pkl", "clean.zip"):
        rc, out = python_load(clean[name], markers)
        check(rc == 0, "python loader on %s: exit %d %s" % (name, rc, out))
    for name, path in clean.items():
        rc, err = cat(path)
        check(rc == 0, "cat %s: %s" % (name, err))
    for name in ("evil.pkl", "evil.zip", "notes.txt"):
        rc, out = python_load(evil[name], markers)
        check(rc == 13, "python loader on %s: exit %d %s" % (name, rc, out))
    for name, path in evil.items():
        rc, err = cat(path)
        check(rc != 0 and "Operation not permitted" in err, "cat %s: rc %d %s" % (name, rc, err))
        check(try_open(path) == errno.EPERM, "open %s not EPERM" % name)
    check(os.listdir(markers) == [], "a payload ran: %s" % os.listdir(markers))
    c = sb.counters()
    check(c["denied"] >= 3 + 2 * len(evil), "denied %d" % c["denied"])
    check(c["events"] == c["allowed"] + c["denied"], "events != allowed + denied: %s" % c)
    check(wait_for(lambda: len([r for r in sb.records() if r["decision"] == "deny"]) ==
                   c["denied"], 5), "not one deny record per denial")
    for name, path in evil.items():
        recs = sb.wait_records(lambda r: r["path"] == path and r["decision"] == "deny")
        check(recs, "no deny record for " + name)
        r = recs[0]
        check(r["verdict"] == "unsafe" and r["mode"] == "enforce" and r["reasons"],
              "record for %s: %s" % (name, r))
        proc = r["process"]
        # /proc is read after the answer: an opener that has exited is
        # said to be unverified, never given another's details
        check(proc["pid"] > 0 and (proc["comm"] if proc["verified"] else proc["unverified"]),
              "process in %s" % r)
    check(any(r["verdict"] == "safe" and r["path"] == clean["torch.pt"] for r in sb.records()),
          "no record of the clean torch file (log = model)")
    check(not any(r["path"] == clean["readme.txt"] for r in sb.records()),
          "a non-model allow was recorded with log = model")


def test_audit_mode(sb):
    """Audit mode: every open succeeds, each would-deny is recorded."""
    evil = evil_files(sb)
    clean = clean_files(sb)
    sb.start("--mode", "audit")
    for name, path in list(evil.items()) + list(clean.items()):
        rc, err = cat(path)
        check(rc == 0, "audit mode: cat %s: %s" % (name, err))
    c = sb.counters()
    check(c["denied"] == 0, "audit mode denied %d" % c["denied"])
    check(c["would_deny"] == len(evil), "would_deny %d, expected %d" % (c["would_deny"], len(evil)))
    for name, path in evil.items():
        recs = sb.wait_records(lambda r: r["path"] == path)
        check(recs and recs[0]["decision"] == "would-deny" and recs[0]["mode"] == "audit",
              "record for %s: %s" % (name, recs))


def settle():
    """Past the daemon's 2 s after a change, until which a file's verdict
    is not cached nor an ignore mark placed (coarse timestamps)."""
    time.sleep(2.1)


def test_cache(sb):
    """Unchanged models come from the cache; any change is scanned again,
    and a file changed in the last 2 s at every open."""
    path = sb.put("model.pkl", same_size_clean(len(EVIL)))
    settle()
    sb.start()
    check(try_open(path) == 0, "first open")
    c1 = sb.counters()
    check(c1["scans"] == 1, "first open: scans %d" % c1["scans"])
    check(try_open(path) == 0, "second open")
    c2 = sb.counters()
    check(c2["scans"] == 1 and c2["cache_hits"] == 1, "second open rescanned: %s" % c2)
    recs = sb.wait_records(lambda r: r["path"] == path and r["cache"] == "hit")
    check(recs, "no cache-hit record")

    with open(path, "r+b") as f:  # modified: same size, new content, still clean
        f.write(same_size_clean(len(EVIL)).replace(b"a", b"b"))
    check(try_open(path) == 0 and try_open(path) == 0, "modified clean file")
    check(sb.counters()["scans"] == 3, "a file changed just now was not scanned at each open")
    settle()
    hits = sb.counters()["cache_hits"]
    check(try_open(path) == 0 and try_open(path) == 0, "settled clean file")
    c3 = sb.counters()
    check(c3["scans"] == 4 and c3["cache_hits"] == hits + 1, "settled file not cached: %s" % c3)

    st = os.stat(path)  # malicious, same size, mtime put back
    with open(path, "r+b") as f:
        f.write(EVIL)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    check(os.stat(path).st_mtime_ns == st.st_mtime_ns, "utime did not restore mtime")
    check(try_open(path) == errno.EPERM, "payload behind a restored mtime was allowed")
    check(sb.counters()["scans"] == 5, "restored-mtime file not rescanned")

    # an unsafe file is denied to writers too: replace it instead
    check(try_open(path) == errno.EPERM, "unsafe file")
    os.unlink(path)
    with open(path, "wb") as f:  # clean again, cached, then replaced by rename
        f.write(CLEAN)
    settle()
    check(try_open(path) == 0 and try_open(path) == 0, "clean again")
    scans = sb.counters()["scans"]
    staged = sb.put("staging/next.pkl", EVIL)
    os.rename(staged, path)
    check(try_open(path) == errno.EPERM, "renamed-in payload allowed")
    check(sb.counters()["scans"] == scans + 1, "renamed-in file not scanned")


def test_ignore_marks(sb):
    """Non-models are asked about once, if only root can write them and they
    have settled; a write makes them count again.  ignore_marks = all marks
    other users' files too; = no marks none."""
    path = sb.put("notes.txt", b"plain text, not a model\n")
    users = sb.put("users.txt", b"a user's text\n")
    os.chown(users, 65534, 65534)
    settle()
    fresh = sb.put("fresh.txt", b"just written\n")
    sb.start()
    check(try_open(path) == 0, "first open")
    # the mark is placed just after the answer
    check(wait_for(lambda: sb.counters()["ignore_marks"] == 1, 2), "no ignore mark")
    c1 = sb.counters()
    check(c1["not_model"] == 1, "first open: %s" % c1)
    for _ in range(5):
        check(try_open(path) == 0, "repeat open")
    c2 = sb.counters()
    check(c2["events"] == c1["events"], "repeat opens reached the daemon: %s" % c2)
    with open(path, "wb") as f:  # the write clears the mark (FAN_MODIFY)
        f.write(EVIL)
    check(try_open(path) == errno.EPERM, "a text file turned pickle was allowed")
    for name in (users, fresh):  # another user could write it; changed just now
        check(try_open(name) == 0 and try_open(name) == 0, "open of %s" % name)
    c3 = sb.counters()
    check(c3["ignore_marks"] == 1 and c3["not_model"] == 5,
          "marked a file another user can write, or one just written: %s" % c3)

    sb.stop()
    other = sb.put("other.txt", b"more text\n")
    settle()
    sb.start(config=sb.write_config("[guard]\nignore_marks = all\n"))
    check(try_open(users) == 0, "open with ignore_marks = all")
    check(wait_for(lambda: sb.counters()["ignore_marks"] == 1, 2),
          "ignore_marks = all: another user's file not marked")

    sb.stop()
    sb.start(config=sb.write_config("[guard]\nignore_marks = no\n"))
    for _ in range(3):
        check(try_open(other) == 0, "open with ignore_marks = no")
    c4 = sb.counters()
    check(c4["events"] == 3 and c4["ignore_marks"] == 0, "ignore_marks = no: %s" % c4)


def test_new_mount(sb):
    """A tmpfs mounted under the guarded path is guarded within 1 s."""
    sb.start()
    sub = os.path.join(sb.mnt, "sub")
    sb.mount_tmpfs(sub)
    t0 = time.monotonic()
    path = sb.put("evil.pkl", EVIL, where=sub)
    denied = wait_for(lambda: try_open(path) == errno.EPERM, 1.0, step=0.005)
    took = time.monotonic() - t0
    check(denied, "new mount not guarded within 1 s")
    check(sub in sb.status()["guarded"], "status does not list the new mount")
    print("    new mount guarded after %.1f ms" % (took * 1000))
    sb.umount(sub)
    check(wait_for(lambda: sub not in sb.status()["guarded"], 2),
          "unmounted filesystem still listed")


def background_open(path):
    """A process opening path: exits 0 when the open succeeds, 1 if not."""
    return subprocess.Popen([sys.executable, "-c",
                             "import os,sys; os.close(os.open(sys.argv[1], os.O_RDONLY))", path],
                            stderr=subprocess.DEVNULL)


def test_mount_swapped(sb):
    """A tmpfs unmounted and another mounted in its place at once gets the
    same device number and mount ID; the new one is guarded all the same."""
    libc = ctypes.CDLL(None, use_errno=True)
    sb.start()
    sub = os.path.join(sb.mnt, "sub")
    sb.mount_tmpfs(sub)
    check(wait_for(lambda: sub in sb.status()["guarded"], 2), "first mount not guarded")
    for i in range(20):
        before = os.stat(sub).st_dev
        # the denial's record holds the file open until it is written
        check(wait_for(lambda: len(sb.records()) == i, 5), "records of the denials")
        check(wait_for(lambda: libc.umount2(sub.encode(), 0) == 0, 5),
              "umount: %s" % os.strerror(ctypes.get_errno()))
        # at once, so that the daemon reads the table once for both
        if libc.mount(b"pgd-test", sub.encode(), b"tmpfs", ctypes.c_ulong(0), b"size=1m"):
            raise Failure("mount: %s" % os.strerror(ctypes.get_errno()))
        path = sb.put("evil.pkl", EVIL, where=sub)
        check(wait_for(lambda: try_open(path) == errno.EPERM, 1.0, step=0.005),
              "swap %d (device %s now %s): the new tmpfs is not guarded"
              % (i, before, os.stat(sub).st_dev))
    sb.umount(sub)


def waiting_opener(sb, path, backlog=1):
    """A process opening path, once its open waits on a worker."""
    opener = background_open(path)
    check(wait_for(lambda: sb.status()["backlog"] == backlog, 5),
          "the open never reached a worker")
    check(opener.poll() is None, "the opener did not wait for the worker")
    return opener


def test_sigkill(sb):
    """Killing the daemon while openers wait lets them through: no hang."""
    path = sb.put("slow.pkl", slow_pickle(240))
    cfg = sb.write_config("[scan]\ntimeout = 60s\nworkers = 1\n")
    sb.start(config=cfg)
    opener = waiting_opener(sb, path)
    t0 = time.monotonic()
    sb.proc.kill()
    try:
        rc = opener.wait(5)
    except subprocess.TimeoutExpired:
        opener.kill()
        raise Failure("opener still blocked 5 s after SIGKILL")
    print("    opener released %.1f ms after SIGKILL" % ((time.monotonic() - t0) * 1000))
    check(rc == 0, "opener failed after SIGKILL: %d" % rc)
    sb.proc.wait()
    sb.proc = None


def test_timeout(sb):
    """A scan past scan_timeout gets on_timeout: deny by default, allow if set."""
    path = sb.put("slow.pkl", slow_pickle(120))
    cfg = sb.write_config("[scan]\ntimeout = 50ms\n")
    sb.start(config=cfg)
    t0 = time.monotonic()
    check(try_open(path) == errno.EPERM, "slow scan not denied at its deadline")
    took = time.monotonic() - t0
    check(took < 1.0, "deadline answer took %.2f s" % took)
    check(sb.counters()["timeouts"] == 1, "timeouts not counted")
    check(sb.wait_records(lambda r: r["cause"] == "timeout" and r["decision"] == "deny"),
          "no timeout record")
    sb.write_config("[scan]\ntimeout = 50ms\non_timeout = allow\n", cfg)
    r = sb.ctl("reload")
    check(r.returncode == 0, "reload: %s %s" % (r.stdout, r.stderr))
    check(try_open(path) == 0, "on_timeout = allow still denied")
    check(sb.counters()["timeouts"] == 2, "second timeout not counted")


def test_backlog(sb):
    """A full backlog gets on_timeout at once, counted."""
    a = sb.put("slow-a.pkl", slow_pickle(150))
    b = sb.put("slow-b.pkl", slow_pickle(1))
    cfg = sb.write_config("[scan]\ntimeout = 60s\nworkers = 1\nbacklog = 1\n")
    sb.start(config=cfg)
    opener = waiting_opener(sb, a)
    check(try_open(b) == errno.EPERM, "open past a full backlog not denied")
    check(sb.counters()["backlog_full"] == 1, "backlog_full not counted")
    check(opener.wait(30) == 0, "the first opener failed")


def test_ext4_cold_reads(sb):
    """On ext4 with the page cache dropped (reads that would wait for the
    disk go to the workers): models denied, text allowed, and text still
    allowed when the scan threads are all busy and the scan backlog full."""
    disk = os.path.join(sb.dir, "disk")
    sb.mount_ext4(disk)
    slow = sb.put("slow.pkl", slow_pickle(40), where=disk)
    evil = sb.put("evil.pkl", EVIL, where=disk)
    text = sb.put("notes.txt", b"plain text\n" * 100, where=disk)
    cfg = sb.write_config("[scan]\ntimeout = 60s\nworkers = 1\nbacklog = 1\n")
    sb.start("--guard", disk, config=cfg, guard=False, expect_guarded=[disk])

    def drop_caches():
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
    drop_caches()
    check(try_open(evil) == errno.EPERM, "cold model not denied")
    check(try_open(text) == 0, "cold text file denied")
    opener = waiting_opener(sb, slow)  # the one worker busy, the backlog full
    other = sb.put("other.txt", b"more plain text\n" * 100, where=disk)
    drop_caches()
    check(try_open(other) == 0, "a text file was denied for a full backlog")
    check(opener.wait(60) == 0, "the slow open failed")


def test_btrfs_subvolumes(sb):
    """btrfs, whose files carry a device number per subvolume and none the
    mount's: guarded from a guard path inside a nested subvolume, and the
    whole filesystem with it."""
    disk = os.path.join(sb.dir, "btrfs")
    sb.mount_btrfs(disk)
    sub = os.path.join(disk, "sub")
    subprocess.run(["btrfs", "-q", "subvolume", "create", sub], check=True)
    models = os.path.join(sub, "models")
    os.makedirs(models)
    check(os.stat(models).st_dev != os.stat(disk).st_dev, "the subvolume shares the device")
    in_root = sb.put("evil.pkl", EVIL, where=disk)
    in_sub = sb.put("evil.pkl", EVIL, where=models)
    clean = sb.put("clean.pkl", CLEAN, where=models)
    sb.start("--guard", models, guard=False, expect_guarded=[disk])
    check(try_open(in_sub) == errno.EPERM, "payload in the subvolume allowed")
    check(try_open(in_root) == errno.EPERM, "payload at the top of the filesystem allowed")
    check(try_open(clean) == 0, "clean model denied")


def test_cold_text_beside_scans(sb):
    """A cold text file on ext4 (its head must come from the disk, so a
    thread reads it) is not kept waiting behind a long scan: classifying
    has a thread of its own.  SIGTERM then denies the model still being
    scanned (on_timeout)."""
    disk = os.path.join(sb.dir, "disk")
    sb.mount_ext4(disk, size_mb=160)
    slow = sb.put("slow.pkl", slow_pickle(100), where=disk)
    text = sb.put("notes.txt", b"plain text\n" * 100, where=disk)
    cfg = sb.write_config("[scan]\ntimeout = 60s\nworkers = 1\n")
    sb.start("--guard", disk, config=cfg, guard=False, expect_guarded=[disk])
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")
    model_opener = waiting_opener(sb, slow)
    text_opener = background_open(text)
    check(text_opener.wait(10) == 0, "the cold text file was denied")
    check(model_opener.poll() is None, "the scan ended before the text file was read")
    check(sb.stop() == 0, "SIGTERM exit status")
    check(model_opener.wait(10) == 1, "the model waiting on its scan was not denied")


def test_fifo_and_devices(sb):
    """A FIFO or a device node on a guarded filesystem never stalls the
    loop: opening one for an event must not wait for the other end."""
    sb.start()
    fifo = os.path.join(sb.mnt, "pipe")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.DEVNULL)
    try:
        text = sb.put("notes.txt", b"plain text\n")
        try:
            r = subprocess.run(["cat", text], capture_output=True, timeout=5)
        except subprocess.TimeoutExpired:
            raise Failure("an open waited while a FIFO reader was blocked")
        check(r.returncode == 0 and r.stdout == b"plain text\n", "text behind a FIFO: %s" % r)
        with open(fifo, "w") as w:
            w.write("x")
        check(reader.wait(5) == 0, "the FIFO reader failed")
    finally:
        reader.kill()
        reader.wait()
    null = os.path.join(sb.mnt, "null")
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    check(try_open(null) == 0, "a device node was not allowed")
    check(sb.try_status() is not None, "the daemon stopped answering")


def test_reload_bad_config(sb):
    """A bad configuration: refused at start; on SIGHUP the old one stays."""
    bad = sb.write_config("[guard]\nmode = audit\n\n[scan]\nworkers = lots\n",
                          os.path.join(sb.dir, "bad.conf"))
    r = subprocess.run([sb.daemon_bin, "--foreground", "--config", bad, "--guard", sb.mnt,
                        "--socket", sb.socket], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "bad.conf:5: workers must be 1 to 64" in r.stderr,
          "bad config at start: rc %d %s" % (r.returncode, r.stderr))

    cfg = sb.write_config("[guard]\nmode = audit\n")
    sb.start(config=cfg)
    sb.write_config("[guard]\nmode = sometimes\n", cfg)
    sb.proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: "keeping the configuration in use" in sb.log_text(), 5),
          "no message about the refused config: " + sb.log_text())
    check(cfg + ":2: mode must be enforce or audit" in sb.log_text(), "message lacks file:line")
    check(sb.proc.poll() is None and sb.status()["mode"] == "audit", "old config not kept")
    r = sb.ctl("reload")
    check(r.returncode == 1 and ":2: mode must be" in r.stdout, "pickleguard reload: %s" % r.stdout)
    sb.write_config("[guard]\nmode = enforce\n", cfg)
    r = sb.ctl("reload")
    check(r.returncode == 0, "good reload: %s" % r.stdout)
    st = sb.status()
    check(st["mode"] == "enforce" and st["reloads"] >= 1, "reload not applied: %s" % st)


def test_config_on_guarded_mount(sb):
    """Configuration and audit file on a guarded filesystem: no deadlock."""
    cfg = sb.write_config("[guard]\nmode = enforce\n[audit]\nlog = all\n",
                          os.path.join(sb.mnt, "pickleguard.conf"))
    sb.audit = os.path.join(sb.mnt, "log", "audit.jsonl")
    evil = sb.put("evil.pkl", EVIL)
    sb.start(config=cfg)
    check(try_open(evil) == errno.EPERM, "not denied")
    check(sb.wait_records(lambda r: r["path"] == evil), "no record on the guarded mount")
    for _ in range(3):
        t0 = time.monotonic()
        r = sb.ctl("reload")
        check(r.returncode == 0, "reload: %s %s" % (r.stdout, r.stderr))
        check(time.monotonic() - t0 < 5, "reload took %.1f s" % (time.monotonic() - t0))
    sb.proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: sb.status()["reloads"] >= 4, 5), "SIGHUP reload did not finish")
    check(sb.counters()["own"] > 0, "the daemon's own opens were not seen")
    check(try_open(evil) == errno.EPERM, "still guarding after reloads")


OPENER = r"""
import errno, json, os, sys
ok = denied = other = 0
for name in sorted(os.listdir(sys.argv[1])):
    try:
        os.close(os.open(os.path.join(sys.argv[1], name), os.O_RDONLY))
        ok += 1
    except OSError as e:
        if e.errno == errno.EPERM:
            denied += 1
        else:
            other += 1
print(json.dumps({"ok": ok, "denied": denied, "other": other}))
"""


def test_many_opens(sb):
    """2 processes x 100,000 opens: nothing lost, no hang, counters add up."""
    per, models, evil = 100000, 1000, 100
    dirs = []
    for p in range(2):
        d = os.path.join(sb.mnt, "set%d" % p)
        os.makedirs(d)
        for i in range(per):
            if i < evil:
                data = EVIL
            elif i < models:
                data = pickle.dumps({"n": i, "p": p}, protocol=2)
            else:
                data = b"text file %d\n" % i
            with open(os.path.join(d, "f%06d" % i), "wb") as f:
                f.write(data)
        dirs.append(d)
    cfg = sb.write_config("[audit]\nlog = denied\n")
    sb.start(config=cfg)
    before = sb.counters()
    t0 = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, d], stdout=subprocess.PIPE,
                              text=True) for d in dirs]
    results = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise Failure("openers hung")
        results.append(json.loads(out))
    took = time.monotonic() - t0
    after = sb.counters()
    d = {k: after[k] - before[k] for k in after}
    print("    %d opens in %.1f s; %s" % (2 * per, took, results))
    check(all(r["other"] == 0 for r in results), "opens failed otherwise: %s" % results)
    check(sum(r["denied"] for r in results) == 2 * evil, "denied opens: %s" % results)
    check(d["events"] == 2 * per, "events %d, expected %d" % (d["events"], 2 * per))
    check(d["allowed"] + d["denied"] == d["events"], "allowed + denied != events: %s" % d)
    check(d["denied"] == 2 * evil, "denied counter %d" % d["denied"])
    check(d["scans"] == 2 * models, "scans %d, expected %d" % (d["scans"], 2 * models))
    check(d["not_model"] == 2 * (per - models), "not_model %d" % d["not_model"])
    check(d["queue_overflows"] == 0 and d["audit_dropped"] == 0, "lost something: %s" % d)
    check(wait_for(lambda: sb.counters()["audit_records"] >= 2 * evil, 10),
          "audit records missing")


def test_startup(sb):
    """Clear refusals: no such guard path, a second daemon, a bad flag."""
    run = lambda *a: subprocess.run([sb.daemon_bin, "--foreground", "--socket", sb.socket, *a],
                                    capture_output=True, text=True, timeout=10)
    r = run("--guard", os.path.join(sb.dir, "missing"))
    check(r.returncode == 1 and "missing" in r.stderr, "missing guard path: %s" % r.stderr)
    r = run("--guard", "relative/path")
    check(r.returncode == 1 and "not absolute" in r.stderr, "relative guard: %s" % r.stderr)
    r = run("--mode", "lenient", "--guard", sb.mnt)
    check(r.returncode == 1 and "--mode must be enforce or audit" in r.stderr, r.stderr)
    r = run("--bogus")
    check(r.returncode == 2 and "usage" in r.stderr, "bad flag: %s" % r.stderr)
    r = subprocess.run([sb.daemon_bin, "--check"], capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and "mode enforce" in r.stdout, "--check: %s %s" % (r.stdout, r.stderr))
    sb.start()
    r = run("--guard", sb.mnt)
    check(r.returncode == 1 and "another pickleguardd" in r.stderr, "second daemon: %s" % r.stderr)
    check(sb.stop() == 0, "SIGTERM exit status")
    check(not os.path.exists(sb.socket), "control socket left behind")


def test_sd_notify(sb):
    """Under systemd (NOTIFY_SOCKET, WATCHDOG_USEC): READY=1 with the guard
    up, WATCHDOG=1 with a STATUS while the loop turns, STOPPING=1 at SIGTERM."""
    path = os.path.join(sb.dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    msgs = []
    try:
        sock.bind(path)
        sock.settimeout(5)
        sb.start(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.0:
            msgs.append(sock.recv(4096).decode())
        check(msgs and msgs[0].startswith("READY=1"), "first message: %s" % msgs[:1])
        pings = [m for m in msgs if m.startswith("WATCHDOG=1")]
        # every 100 ms for 400 ms of watchdog: about 10 in the second
        check(len(pings) >= 5, "%d watchdog pings in 1 s: %s" % (len(pings), msgs))
        check("filesystems guarded" in pings[-1], "no STATUS with the ping: %s" % pings[-1])
        sb.proc.send_signal(signal.SIGTERM)
        while "STOPPING=1" not in msgs[-1]:
            msgs.append(sock.recv(4096).decode())
        sb.stop()
    except socket.timeout:
        raise Failure("notify socket: nothing more after %s" % msgs)
    finally:
        sock.close()


def test_stalled_journal(sb):
    """Messages go to a journal socket nobody reads (journald itself may be
    waiting on an open the loop must answer): the loop drops them, says
    how many once it can, and goes on answering opens."""
    libc = ctypes.CDLL(None, use_errno=True)
    journal, reader = socket.socketpair()
    journal.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        sb.start(output=journal)
        evil = sb.put("evil.pkl", EVIL)
        sub = os.path.join(sb.mnt, "sub").encode()
        os.makedirs(sub)
        for _ in range(100):  # a line each: "guarding the filesystem of ..."
            if libc.mount(b"pgd-test", sub, b"tmpfs", ctypes.c_ulong(0), b"size=1m"):
                raise Failure("mount: %s" % os.strerror(ctypes.get_errno()))
            wait_for(lambda: sub.decode() in sb.status()["guarded"], 0.5)
            libc.umount2(sub, 2)  # MNT_DETACH
        try:
            r = subprocess.run(["cat", evil], capture_output=True, timeout=5)
        except subprocess.TimeoutExpired:
            raise Failure("an open waited on the stalled journal")
        check(r.returncode == 1 and b"not permitted" in r.stderr, "cat: %s" % r)
        reader.setblocking(False)
        text = b""
        try:
            while True:
                text += reader.recv(1 << 20)
        except BlockingIOError:
            pass
        sb.mount_tmpfs(sub.decode())  # one more line, now that there is room
        reader.setblocking(True)
        reader.settimeout(5)
        while b"messages dropped" not in text:
            text += reader.recv(1 << 20)
    except socket.timeout:
        raise Failure("no count of the dropped messages: %r" % text[-300:])
    finally:
        journal.close()
        reader.close()


def test_systemd_unit(sb):
    """The unit passes systemd-analyze verify (with the built binary)."""
    unit = sb.unit
    check(os.path.exists(unit), "no %s (make builds it)" % unit)
    with open(unit) as f:
        text = f.read()
    check("Type=notify" in text and "WatchdogSec=" in text and "Restart=on-failure" in text,
          "unit lacks notify/watchdog/restart")
    local = os.path.join(sb.dir, "pickleguard.service")
    with open(local, "w") as f:
        f.write(text.replace("/usr/local/sbin/pickleguardd", sb.daemon_bin))
    r = subprocess.run(["systemd-analyze", "verify", local], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, "systemd-analyze verify: %s %s" % (r.stdout, r.stderr))


TESTS = [test_startup, test_enforce, test_audit_mode, test_cache, test_ignore_marks,
         test_new_mount, test_mount_swapped, test_btrfs_subvolumes, test_timeout, test_backlog, test_ext4_cold_reads,
         test_cold_text_beside_scans, test_fifo_and_devices, test_sigkill,
         test_reload_bad_config,
         test_config_on_guarded_mount, test_sd_notify, test_stalled_journal, test_systemd_unit, test_many_opens]


def main():
    run_tests(TESTS)


if __name__ == "__main__":
    main()
