#!/usr/bin/python3
"""gen_torch_ckpt.py PATH [GIB]: a PyTorch zip checkpoint of about GIB GiB
(default 1), written by torch.save: a state dict of large tensors plus the
usual small ones, so that the pickle (data.pkl) is small and the tensor
data big.  Needs python3-torch; exits 3 when it is missing."""
import os
import sys

try:
    import torch
except ImportError:
    sys.exit(3)


def main(path, gib):
    total = int(gib * (1 << 30))
    sd = {}
    n = 0
    per = 64 << 20  # 64 MiB tensors
    while n * per < total:
        sd[f"encoder.layers.{n}.weight"] = torch.empty(per // 4, dtype=torch.float32)
        sd[f"encoder.layers.{n}.bias"] = torch.zeros(1024)
        n += 1
    sd["head.weight"] = torch.zeros(10, 1024)
    torch.save(sd, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
