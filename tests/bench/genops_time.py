#!/usr/bin/env python3
"""genops_time.py FILE: time pickletools.genops over every pickle in FILE
(the Python baseline): prints seconds and opcode count."""
import io
import pickletools
import sys
import time


def main(path):
    data = open(path, "rb").read()
    t = time.perf_counter()
    n = 0
    f = io.BytesIO(data)
    while f.tell() < len(data):
        for op, arg, pos in pickletools.genops(f):
            n += 1
            if op.name == "STOP":
                break
    t = time.perf_counter() - t
    print("genops_s=%.6f genops_opcodes=%d" % (t, n))


if __name__ == "__main__":
    main(sys.argv[1])
