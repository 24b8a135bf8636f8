"""What the large benchmarks share: timing a child process and cutting a
slice of a CSV file."""
import os
import subprocess
import sys
import time
from pathlib import Path


def footprint_tools(root: Path) -> Path:
    """Builds the release `stratmap` and `make-footprint-data` (the footprint
    benchmarks' tools); the folder they are in."""
    subprocess.run(["cargo", "build", "--locked", "-q", "--release", "-p", "stratmap-cli",
                    "-p", "stratmap-benches", "--bin", "stratmap", "--bin", "make-footprint-data"],
                   cwd=root, check=True)
    return Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release"


def measure(args):
    """Wall seconds and peak resident MB (maxrss from wait4) of one child
    process; stops the benchmark if it fails."""
    t = time.perf_counter()
    p = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{[str(a) for a in args[:3]]} failed ({status})")
    return wall, usage.ru_maxrss / 1024


def head(src: Path, n: int, dst: Path) -> Path:
    """The header and first n rows of src, written to dst once."""
    if not dst.exists():
        with open(src) as f, open(dst, "w") as out:
            for i, line in enumerate(f):
                if i > n:
                    break
                out.write(line)
    return dst
