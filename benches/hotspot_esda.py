#!/usr/bin/env python3
"""Gi* in stratmap and in PySAL esda on the same grid, in the same run.

The grid is `benches/src/lib.rs`'s hot-spot grid (SIDE × SIDE cells of
250 m, counts from a fixed hash), rebuilt here the same way. esda gets
libpysal's DistanceBand(500, binary) between cell centres and G_Local
(transform "B", star=True, no permutations); its time includes building the
weights, as stratmap's includes finding the neighbours. The z-scores are
compared (max difference) so both computed the same thing.

usage: hotspot_esda.py [SIDE ...]    (default: 250 500 1000)
"""
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
import esda  # noqa: E402
import libpysal  # noqa: E402

root = Path(__file__).resolve().parent.parent
subprocess.run(["cargo", "build", "--locked", "-q", "--release", "-p", "stratmap-benches",
                "--bin", "gi-star-timing"], cwd=root, check=True)
sides = [int(a) for a in sys.argv[1:]] or [250, 500, 1000]


def count(c, r):
    h = (c * 7919 + r * 104729) % 13
    base = 0 if h < 8 else h - 8
    return base + 5 if (c // 25 + r // 25) % 50 == 0 else base


print("| cells | stratmap Gi* | esda (weights + G_Local) | esda / stratmap | Σz difference |")
print("|---:|---:|---:|---:|---:|")
for side in sides:
    out = subprocess.run([root / "target/release/gi-star-timing", str(side)], capture_output=True,
                         text=True, check=True).stdout.split()
    ours, checksum = float(out[0]), float(out[1])
    c, r = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    c, r = c.ravel(), r.ravel()
    y = np.array([count(int(a), int(b)) for a, b in zip(c, r)], dtype=float)
    xy = np.column_stack([c * 250 + 125.0, r * 250 + 125.0])
    t = time.perf_counter()
    w = libpysal.weights.DistanceBand(xy, 500, binary=True, silence_warnings=True)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=0)
    theirs = time.perf_counter() - t
    diff = abs(np.nansum(g.Zs) - checksum)
    print(f"| {side * side:,} | {ours:.3f} s | {theirs:.2f} s | {theirs / ours:.0f} | {diff:.1e} |")
