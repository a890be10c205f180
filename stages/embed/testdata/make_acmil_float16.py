# Writes acmil_float16.h5: the ACMIL/ASMIL single-file layout with float16
# `feat`, which h5wasm cannot write. Made with Debian's python3-h5py 3.7:
#   /usr/bin/python3 make_acmil_float16.py
import h5py
import numpy as np

with h5py.File("acmil_float16.h5", "w") as f:
    for name, label, n in [("slide_a", 1, 3), ("slide_b", 0, 2)]:
        g = f.create_group(name)
        feat = np.arange(n * 4, dtype=np.float32).reshape(n, 4) * 0.25 - 1.0
        feat[0, 0] = 65504.0  # the largest float16
        feat[-1, -1] = 1.0 / 3.0  # not exact in float16: 0.33325195
        g.create_dataset("feat", data=feat.astype(np.float16))
        g.create_dataset("coords", data=np.stack([np.arange(n) * 512, np.full(n, 1024)], 1).astype(np.int64))
        g.attrs["label"] = label
