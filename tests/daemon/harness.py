"""Helpers for the daemon's integration tests: a tmpfs of the test's own,
a pickleguardd guarding it and nothing else, openers, and the daemon's
status and audit records.

Safety: the daemon is only ever started with --guard on a tmpfs this
module mounted (checked in /proc/self/mountinfo first), and its status is
checked to list exactly the mounts the test made before anything is
opened.  Every mount and process is undone in Sandbox.close(), which runs
however a test ends.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PICKLES = os.path.join(ROOT, "tests", "pickles")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def mount_types():
    """{mount point: fs type} from /proc/self/mountinfo."""
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            point = left.split()[4].encode().decode("unicode_escape")
            out[point] = right.split()[0]
    return out


def die_with_parent():
    """In the child: SIGKILL when the test runner dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def wait_for(pred, timeout, step=0.01):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


class Sandbox:
    """A temporary directory with a tmpfs at ./mnt and a daemon on it."""

    def __init__(self, daemon, cli):
        self.daemon_bin = daemon
        self.cli = cli
        self.dir = tempfile.mkdtemp(prefix="pgd-test.")
        self.mnt = os.path.join(self.dir, "mnt")
        self.mounts = []
        self.proc = None
        self.socket = os.path.join(self.dir, "ctl.sock")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        self.log = os.path.join(self.dir, "daemon.log")
        self.mount_tmpfs(self.mnt, "1500m")  # an upper bound: 200k small files take ~800 MB

    # ---- mounts ----
    def mount_tmpfs(self, path, size="64m"):
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "pgd-test", path],
                       check=True)
        self.mounts.append(path)
        check(mount_types().get(path) == "tmpfs", "tmpfs not mounted at " + path)

    def mount_image(self, path, fstype, size_mb, mkfs):
        """A filesystem in a file of the sandbox, on a loop device."""
        image = os.path.join(self.dir, os.path.basename(path) + ".img")
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        subprocess.run(mkfs + [image], check=True, stdout=subprocess.DEVNULL)
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-o", "loop", image, path], check=True)
        self.mounts.append(path)
        check(mount_types().get(path) == fstype, fstype + " not mounted at " + path)

    def mount_ext4(self, path, size_mb=64):
        """ext4: the real page cache (drop_caches empties it), unlike tmpfs."""
        self.mount_image(path, "ext4", size_mb, ["mkfs.ext4", "-q", "-F"])

    def mount_btrfs(self, path, size_mb=256):
        """btrfs: device numbers per subvolume, none of them the mount's."""
        self.mount_image(path, "btrfs", size_mb, ["mkfs.btrfs", "-q", "-f"])

    def umount(self, path):
        subprocess.run(["umount", "-l", path], check=False)
        if path in self.mounts:
            self.mounts.remove(path)

    # ---- the daemon ----
    def write_config(self, text, path=None):
        path = path or os.path.join(self.dir, "pickleguard.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, *args, config=None, guard=True, expect_guarded=None, wrap=(), env=None,
              output=None):
        """wrap: a command the daemon runs under (setpriv, say); env: more
        environment; output: where its stdout and stderr go (its log file
        if None)."""
        for m in self.mounts:
            check(mount_types().get(m) in ("tmpfs", "ext4", "btrfs"),
                  "refusing to guard %s: not a mount of ours" % m)
        cmd = [*wrap, self.daemon_bin, "--foreground", "--socket", self.socket,
               "--log", self.audit]
        if config is None:
            config = self.write_config("[audit]\nlog = model\n")
        cmd += ["--config", config]
        if guard:
            cmd += ["--guard", self.mnt]
        cmd += list(args)
        self.logf = open(self.log, "ab")
        out = self.logf if output is None else output
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent,
                                     env=dict(os.environ, **(env or {})))
        ok = wait_for(lambda: self.proc.poll() is not None or self.try_status(), 10)
        check(self.proc.poll() is None,
              "daemon exited at start (status %s): %s" % (self.proc.poll(), self.log_text()))
        check(ok, "daemon did not answer on its socket: " + self.log_text())
        guarded = sorted(self.status()["guarded"])
        want = sorted(expect_guarded if expect_guarded is not None else [self.mnt])
        if guarded != want:
            self.kill()
            raise Failure("daemon guards %s, expected %s" % (guarded, want))
        return self.proc

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def request(self, line):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(15)
        try:
            s.connect(self.socket)
            s.sendall(line.encode() + b"\n")
            out = b""
            while True:
                b = s.recv(65536)
                if not b:
                    return out.decode()
                out += b
        finally:
            s.close()

    def try_status(self):
        try:
            return json.loads(self.request("status-json"))
        except (OSError, ValueError):
            return None

    def status(self):
        st = self.try_status()
        check(st is not None, "no status from the daemon: " + self.log_text())
        return st

    def counters(self):
        return self.status()["counters"]

    def ctl(self, *args):
        return subprocess.run([self.cli, *args, "--socket", self.socket],
                              capture_output=True, text=True, timeout=30)

    def stop(self, timeout=20):
        """SIGTERM; the daemon must exit 0 with no sanitizer report."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("daemon did not stop on SIGTERM")
        self.proc = None
        self.logf.close()
        log = self.log_text()
        check("Sanitizer" not in log and "runtime error" not in log, "sanitizer: " + log)
        check(rc == 0, "daemon exit status %d after SIGTERM" % rc)
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def records(self):
        try:
            with open(self.audit) as f:
                # a line still being written has no newline yet
                return [json.loads(line) for line in f if line.endswith("\n")]
        except FileNotFoundError:
            return []

    def wait_records(self, pred, timeout=5):
        return wait_for(lambda: [r for r in self.records() if pred(r)], timeout)

    def close(self):
        self.kill()
        for m in reversed(list(self.mounts)):
            self.umount(m)
        subprocess.run(["rm", "-rf", "--one-file-system", self.dir], check=False)

    # ---- files and openers ----
    def put(self, name, data, where=None):
        path = os.path.join(where or self.mnt, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path


def fixture(rel):
    with open(os.path.join(ROOT, "tests", rel), "rb") as f:
        return f.read()


def try_open(path):
    """0 when the open succeeds, else the errno."""
    try:
        os.close(os.open(path, os.O_RDONLY))
        return 0
    except OSError as e:
        return e.errno


# A loader run in a child Python: the real pickle.load (or zipfile, for a
# zip) on the file; the payloads the tests use only create a marker file.
LOADER = r"""
import errno, os, pickle, sys, zipfile
path = sys.argv[1]
try:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".pkl"):
                    pickle.loads(z.read(name))
    else:
        with open(path, "rb") as f:
            pickle.load(f)
except PermissionError:
    sys.exit(13)
except Exception as e:
    print("%s: %s" % (type(e).__name__, e))
    sys.exit(1)
"""


def python_load(path, marker_dir):
    env = dict(os.environ, PYTHONPATH=PICKLES, PGTEST_MARKER_DIR=marker_dir)
    r = subprocess.run([sys.executable, "-c", LOADER, path], env=env, capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def cat(path):
    r = subprocess.run(["cat", path], capture_output=True, timeout=60)
    return r.returncode, r.stderr.decode(errors="replace")


def can_run():
    if os.geteuid() != 0:
        return "needs root"
    if not shutil.which("mount"):
        return "needs mount(8)"
    return None


def run_tests(tests):
    """The command line of a test file: --daemon --cli --unit [TEST...];
    one line per test, exit status 1 if any failed."""
    import argparse
    import traceback
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--unit", required=True)
    ap.add_argument("tests", nargs="*")
    args = ap.parse_args()
    daemon, cli = os.path.abspath(args.daemon), os.path.abspath(args.cli)
    chosen = [t for t in tests if not args.tests or t.__name__ in args.tests]
    name = os.path.basename(sys.argv[0])
    # finally blocks (unmount, kill) run on SIGTERM too
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    why = can_run()
    if why:
        print("%s: SKIPPED (%s)" % (name, why))
        sys.exit(1 if os.environ.get("PGD_TESTS_REQUIRED") == "1" else 0)
    failed = 0
    for t in chosen:
        sb = Sandbox(daemon, cli)
        sb.unit = os.path.abspath(args.unit)
        t0 = time.monotonic()
        try:
            t(sb)
            sb.stop()
            print("ok   %-34s %6.2f s" % (t.__name__, time.monotonic() - t0))
        except Failure as e:
            failed += 1
            print("FAIL %-34s %s" % (t.__name__, e))
            print("     daemon log: " + sb.log_text().replace("\n", "\n     "))
        except Exception:
            failed += 1
            print("FAIL %-34s" % t.__name__)
            traceback.print_exc()
        finally:
            sb.close()
    print("%s: %d tests, %d failed" % (name, len(chosen), failed))
    sys.exit(1 if failed else 0)
