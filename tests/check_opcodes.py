#!/usr/bin/env python3
"""check_opcodes.py HEADER: the scanner's opcode table (scanner/opcodes.h)
lists exactly pickletools' opcodes, with the same byte, name, argument kind
and protocol."""
import pickletools
import re
import sys


def main(path):
    rows = re.findall(r'X\((0x[0-9a-f]{2}), (\w+), (NULL|"\w+"), (\d)\)', open(path).read())
    ours = {int(c, 16): (n, None if a == "NULL" else a.strip('"'), int(p)) for c, n, a, p in rows}
    theirs = {ord(o.code): (o.name, o.arg.name if o.arg else None, o.proto)
              for o in pickletools.opcodes}
    bad = [f"0x{c:02x}: ours {ours.get(c)}, pickletools {theirs.get(c)}"
           for c in sorted(set(ours) | set(theirs)) if ours.get(c) != theirs.get(c)]
    for b in bad:
        print("check_opcodes: " + b)
    print(f"check_opcodes: {len(ours)} opcodes, {len(bad)} differences from pickletools")
    return 1 if bad or len(rows) != len(ours) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
