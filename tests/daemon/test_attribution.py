#!/usr/bin/env python3
"""Integration tests of process attribution in audit records (BPF probes,
/proc fallback), as root, on tmpfs mounts they make.

    test_attribution.py --daemon PICKLEGUARDD --cli PICKLEGUARD --unit SERVICE [TEST...]

Each test starts pickleguardd on its own tmpfs (harness.py), makes a
process open a file the daemon denies, and reads that open's record.
"""
import errno
import fcntl
import json
import os
import secrets
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Failure, check, mount_types, run_tests, try_open, wait_for  # noqa: E402

EVIL = b"cpgtest_marker\nfire\n(S'evil'\ntR."
PY = sys.executable

# open argv[1]; exit 13 when denied
OPEN = "import sys\ntry:\n    open(sys.argv[1], 'rb')\nexcept PermissionError:\n    sys.exit(13)\n"
# open argv[1], then wait for a line on stdin
HOLD = ("import sys\ntry:\n    open(sys.argv[1], 'rb')\nexcept PermissionError:\n    pass\n"
        "sys.stdin.readline()\n")


def script(sb, name, text):
    """Scripts run from files: argv stays short, its head is what is kept."""
    path = os.path.join(sb.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_bpf(sb, *args):
    sb.start(*args)
    st = sb.status()
    check(st["attribution"] == "bpf", "BPF probes did not load: " + sb.log_text())
    check(st["pidfd"] is False, "pidfds requested although BPF attributes openers")


def record_of(sb, path, pid, timeout=5):
    recs = sb.wait_records(lambda r: r["path"] == path and r["process"]["pid"] == pid, timeout)
    check(recs, "no record of pid %d opening %s: %s" % (pid, path, sb.records()[-3:]))
    return recs[0]


def argv_text(proc):
    return "\0".join(proc.get("argv", []))


def test_argv_as_started(sb):
    """A process that rewrites its argv after exec: the record has the argv
    it was started with (/proc/PID/cmdline has the new one)."""
    evil = sb.put("evil.pkl", EVIL)
    rewrite = r'''
import sys
with open("/proc/self/stat") as f:
    fields = f.read().rsplit(")", 1)[1].split()
start, end = int(fields[45]), int(fields[46])   # arg_start, arg_end
with open("/proc/self/mem", "r+b", buffering=0) as mem:   # as setproctitle does
    mem.seek(start)
    mem.write(b"innocent-worker".ljust(end - start, b"\0"))
with open("/proc/self/cmdline", "rb") as f:
    if not f.read().startswith(b"innocent-worker"):
        sys.exit(3)
''' + OPEN
    start_bpf(sb)
    p = subprocess.Popen([PY, script(sb, "rewrite.py", rewrite), evil, "--started-with-this"])
    rc = p.wait(30)
    check(rc == 13, "rewriter: exit %d (3: argv not rewritten)" % rc)
    proc = record_of(sb, evil, p.pid)["process"]
    check(proc["verified"] and proc["source"] == "bpf" and proc["origin"] == "exec",
          "process: %s" % proc)
    check("--started-with-this" in proc["argv"], "argv as started missing: %s" % proc["argv"])
    check("innocent-worker" not in argv_text(proc), "rewritten argv shown: %s" % proc["argv"])
    check(proc["exe"] == PY, "exe %s, expected %s" % (proc["exe"], PY))


def test_parent_exited(sb):
    """A parent that exits before its child opens: the record's ancestors
    still show the parent's exe and argv."""
    evil = sb.put("evil.pkl", EVIL)
    parent = r'''
import os, sys, time
pid = os.fork()
if pid == 0:
    time.sleep(0.5)   # the parent is gone by now
    os.execv(sys.executable, [sys.executable, "-c", %r, sys.argv[1]])
print(pid, flush=True)
os._exit(0)
''' % OPEN
    start_bpf(sb)
    p = subprocess.Popen([PY, script(sb, "parent.py", parent), evil, "--the-parent"],
                         stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=30)
    child = int(out)
    check(wait_for(lambda: not os.path.exists("/proc/%d" % child), 10), "child still running")
    proc = record_of(sb, evil, child)["process"]
    check(proc["verified"], "child not verified: %s" % proc)
    check(proc["ancestors"], "no ancestors: %s" % proc)
    up = proc["ancestors"][0]
    check(up["pid"] == p.pid, "first ancestor %d, the parent was %d" % (up["pid"], p.pid))
    check(up["exited"] is True, "parent not marked exited: %s" % up)
    check("--the-parent" in up["argv"] and up["exe"] == PY, "parent: %s" % up)


def test_leader_exited(sb):
    """A process whose main thread has exited lives on in its other threads:
    its record does not call it exited."""
    evil = sb.put("evil.pkl", EVIL)
    leader_exits = r'''
import ctypes, sys, threading, time
def late_open():
    time.sleep(0.3)
    try:
        open(sys.argv[1], "rb")
    except PermissionError:
        pass
    sys.stdin.readline()
    ctypes.CDLL(None)._exit(0)
threading.Thread(target=late_open).start()
ctypes.CDLL(None).pthread_exit(None)
'''
    start_bpf(sb)
    p = subprocess.Popen([PY, script(sb, "leader.py", leader_exits), evil], stdin=subprocess.PIPE)
    try:
        proc = record_of(sb, evil, p.pid)["process"]
        check(proc["verified"] and not proc["exited"], "process: %s" % proc)
    finally:
        p.stdin.close()
        check(p.wait(10) == 0, "the process did not end")


def cgroup2_root():
    for point, kind in mount_types().items():
        if kind == "cgroup2":
            return point
    return None


def test_cgroup_container(sb):
    """A process moved into a cgroup the test makes: its path in the record;
    a path shaped like docker's gives the container id and the unit."""
    root = cgroup2_root()
    check(root, "no cgroup2 mount in /proc/self/mountinfo")
    cid = secrets.token_hex(32)
    base = os.path.join(root, "pgtest.%s" % secrets.token_hex(4))
    leaf = os.path.join(base, "docker-%s.scope" % cid)
    evil = sb.put("evil.pkl", EVIL)
    os.makedirs(leaf)
    child = None
    try:
        start_bpf(sb)
        # moved after its exec: the map has the cgroup from the probe on
        # cgroup moves, not from its exec, whether the process is gone or not
        child = subprocess.Popen([PY, "-c", "import sys\nsys.stdin.readline()\n" + OPEN, evil],
                                 stdin=subprocess.PIPE, text=True)
        with open(os.path.join(leaf, "cgroup.procs"), "w") as f:
            f.write(str(child.pid))
        child.stdin.write("go\n")
        child.stdin.flush()
        check(child.wait(30) == 13, "not denied")
        proc = record_of(sb, evil, child.pid)["process"]
        want = leaf[len(root):]
        check(proc["cgroup"] == want, "cgroup %s, expected %s" % (proc["cgroup"], want))
        check(proc["container_id"] == cid, "container id %s" % proc["container_id"])
        check(proc["unit"] == "docker-%s.scope" % cid, "unit %s" % proc["unit"])
    finally:
        if child and child.poll() is None:
            child.kill()
            child.wait()
        for d in (leaf, base):
            wait_for(lambda: _rmdir(d), 5)


def _rmdir(d):
    try:
        os.rmdir(d)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def test_pid_reuse(sb):
    """Pid reuse cannot attach one process's details to another's open: the
    audit writer is held back (its file is a full FIFO) while the opener
    exits and a new process takes its pid; the record then says unverified
    and shows nothing of the newcomer."""
    evil = sb.put("evil.pkl", EVIL)
    fifo = os.path.join(sb.dir, "audit.fifo")
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(reader, 1031, 4096)  # F_SETPIPE_SZ: one page
    sb.audit = fifo
    imposter = None
    try:
        start_bpf(sb)
        for _ in range(12):  # records that fill the pipe: the writer blocks
            check(try_open(evil) == errno.EPERM, "not denied")
        time.sleep(0.3)
        victim = subprocess.Popen([PY, script(sb, "victim.py", OPEN), evil, "--the-victim"])
        check(victim.wait(30) == 13, "victim not denied")
        pid = victim.pid
        imposter = take_pid(pid)
        check(imposter, "could not make a new process take pid %d" % pid)
        recs = drain(reader, lambda r: r["process"]["pid"] == pid, sb)
        mine = [r for r in recs if r["process"]["pid"] == pid]
        check(mine, "no record for pid %d in %d records" % (pid, len(recs)))
        proc = mine[0]["process"]
        check(proc["verified"] is False and "reused" in proc.get("unverified", ""),
              "pid reuse not detected: %s" % proc)
        check("argv" not in proc and "--the-imposter" not in json.dumps(mine[0]),
              "the newcomer's details were attached: %s" % proc)
    finally:
        if imposter:
            imposter.kill()
            imposter.wait()
        os.close(reader)


def take_pid(pid):
    """A new process on `pid` (free again: its process has been reaped),
    through /proc/sys/kernel/ns_last_pid."""
    for _ in range(50):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        p = subprocess.Popen([PY, "-c", "import time; time.sleep(60)", "--the-imposter"])
        if p.pid == pid:
            return p
        p.kill()
        p.wait()
    return None


def drain(fd, until, sb, timeout=10):
    """Records read from the FIFO until one satisfies `until`."""
    text, recs, end = b"", [], time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            chunk = b""
        text += chunk
        *lines, text = text.split(b"\n")
        recs += [json.loads(line) for line in lines if line.strip()]
        if any(until(r) for r in recs):
            return recs
        if not chunk:
            time.sleep(0.02)
    raise Failure("%d records through the FIFO, not the one awaited: %s"
                  % (len(recs), sb.log_text()))


def test_backfill(sb):
    """A process older than the daemon is known from /proc (the map's
    backfill), with its argv and its verified identity."""
    evil = sb.put("evil.pkl", EVIL)
    old = subprocess.Popen([PY, "-c", "import sys\nsys.stdin.readline()\n" + OPEN, evil,
                            "--older-than-the-daemon"], stdin=subprocess.PIPE, text=True)
    try:
        start_bpf(sb)
        old.stdin.write("go\n")
        old.stdin.flush()
        check(old.wait(30) == 13, "not denied")
        proc = record_of(sb, evil, old.pid)["process"]
        check(proc["verified"] and proc["origin"] == "proc", "process: %s" % proc)
        check("--older-than-the-daemon" in proc["argv"], "argv: %s" % proc["argv"])
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()


def test_no_bpf(sb):
    """--no-bpf: /proc attribution, said so in status and in each record."""
    evil = sb.put("evil.pkl", EVIL)
    sb.start("--no-bpf")
    st = sb.status()
    check(st["attribution"] == "proc" and st["pidfd"] is True, "status: %s" % st)
    text = sb.ctl("status").stdout
    check("attribution: /proc" in text, "status text: %s" % text)
    holder = subprocess.Popen([PY, "-c", HOLD, evil], stdin=subprocess.PIPE, text=True)
    try:
        proc = record_of(sb, evil, holder.pid)["process"]
        check(proc["source"] == "proc" and proc["verified"], "process: %s" % proc)
        check(proc["ancestors"] and proc["ancestors"][0]["pid"] == os.getpid(),
              "parent from /proc: %s" % proc["ancestors"][:1])
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(10)


def test_no_cap_kill(sb):
    """/proc attribution without CAP_KILL (the unit's bounding set): an
    opener of another user, whose pidfd cannot be signalled, is still
    verified alive (EPERM is no ESRCH)."""
    debian_python = "/usr/bin/python3"
    if not os.path.exists(debian_python) or not os.path.exists("/usr/bin/setpriv"):
        raise Failure("needs /usr/bin/python3 and setpriv")
    evil = sb.put("evil.pkl", EVIL)
    os.chmod(sb.dir, 0o755)
    os.chmod(sb.mnt, 0o755)
    os.chmod(evil, 0o644)
    sb.start("--no-bpf", wrap=("setpriv", "--bounding-set", "-kill", "--"))
    holder = subprocess.Popen(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                               debian_python, "-c", HOLD, evil],
                              stdin=subprocess.PIPE, text=True)
    try:
        proc = record_of(sb, evil, holder.pid)["process"]
        check(proc["verified"], "a live opener without CAP_KILL was not verified: %s" % proc)
        check(proc["uid"] == 65534, "not the other user's open: %s" % proc)
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(10)


TESTS = [test_argv_as_started, test_parent_exited, test_leader_exited, test_cgroup_container,
         test_pid_reuse, test_backfill, test_no_bpf, test_no_cap_kill]

if __name__ == "__main__":
    run_tests(TESTS)
