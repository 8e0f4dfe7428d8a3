#!/usr/bin/env python3
"""gen_bench.py DIR: the benchmark inputs (stdlib only, deterministic).

dense.pkl   ~64 MB, protocol 4: lists of small ints, short strings, tuples
            and dicts: about one opcode per 2-3 bytes, the scanner's worst
            case per byte.
dense_p0.pkl ~32 MB, protocol 0: text opcodes and lines.
binary.pkl  1 GiB + a few bytes: four BINBYTES8 payloads of 256 MiB in a
            state-dict shape, written sparse (the payload bytes are never
            scanned, only stepped over).
"""
import os
import pickle
import sys


def dense(target):
    chunk = []
    for i in range(20000):
        chunk.append({"id": i, "name": "tok%d" % (i % 977), "v": (i % 251, -i, 1.5),
                      "tags": ["a", "b", i % 7]})
    data = pickle.dumps(chunk, protocol=4)
    reps = max(1, target // len(data))
    # concatenating whole pickles keeps every byte an opcode stream
    return data * reps


def dense_p0(target):
    chunk = [[i, "w%d" % (i % 101), (i, i + 1)] for i in range(20000)]
    data = pickle.dumps(chunk, protocol=0)
    return data * max(1, target // len(data))


def binary(path, payload, count):
    keys = [b"layer%d.weight" % i for i in range(count)]
    with open(path, "wb") as f:
        f.write(b"\x80\x04}\x94(")
        for k in keys:
            f.write(b"\x8c" + bytes([len(k)]) + k + b"\x94")
            f.write(b"\x8e" + payload.to_bytes(8, "little"))
            f.seek(payload, os.SEEK_CUR)  # a hole: reads back as zeros
            f.write(b"\x94")
        f.write(b"u.")


def main(out):
    os.makedirs(out, exist_ok=True)
    p = os.path.join(out, "dense.pkl")
    if not os.path.exists(p):
        open(p, "wb").write(dense(64 << 20))
    p = os.path.join(out, "dense_p0.pkl")
    if not os.path.exists(p):
        open(p, "wb").write(dense_p0(32 << 20))
    p = os.path.join(out, "binary.pkl")
    if not os.path.exists(p):
        binary(p, 256 << 20, 4)


if __name__ == "__main__":
    main(sys.argv[1])
