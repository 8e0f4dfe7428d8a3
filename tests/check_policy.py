#!/usr/bin/env python3
"""check_policy.py FILE...: every allowlist entry in the shipped policy
files carries a comment saying why it is harmless, and no entry is one of
the well-known code-execution gadgets (a tripwire against a careless edit,
not the allowlist's review)."""
import re
import sys

# never harmless, whatever profile wants them
FORBIDDEN = {
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.getattr",
    "builtins.setattr", "builtins.__import__", "builtins.open", "builtins.globals",
    "builtins.vars", "builtins.breakpoint", "builtins.input", "builtins.type",
    "os.system", "posix.system", "os.popen", "subprocess.Popen", "subprocess.run",
    "subprocess.call", "subprocess.check_output", "pickle.loads", "pickle.load",
    "_pickle.loads", "functools.partial", "operator.attrgetter", "operator.methodcaller",
    "operator.itemgetter", "importlib.import_module", "runpy._run_code", "code.interact",
    "types.FunctionType", "types.CodeType", "ctypes.CDLL", "shutil.rmtree",
    "numpy.load", "torch.load", "joblib.load", "sys.modules",
}
ENTRY = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*(?::[A-Za-z_][A-Za-z0-9_.]*)?)\s*(#.*)?$")


def main(files):
    bad = 0
    entries = 0
    for path in files:
        for lineno, line in enumerate(open(path), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("%allow "):
                continue  # a capability, explained by the file's header
            m = ENTRY.match(s)
            if not m:
                print(f"{path}:{lineno}: not an entry: {s}")
                bad += 1
                continue
            entries += 1
            name = m.group(1).replace(":", ".")
            if not m.group(2) or len(m.group(2).strip("# ")) < 8:
                print(f"{path}:{lineno}: {name}: no comment saying why it is harmless")
                bad += 1
            if name in FORBIDDEN:
                print(f"{path}:{lineno}: {name} is a known code-execution gadget")
                bad += 1
    print(f"check_policy: {entries} entries in {len(files)} files, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
