"""What the large benchmarks share: timing a child process, cutting a slice
of a CSV file, and the national job's data."""
import os
import random
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


def national_data(root: Path, work: Path, records: int) -> dict:
    """The national job's inputs in `work`, generated once (deterministic):
    500 000 populated 250 m cells over Sweden (benches/national_grid.py),
    6 000 areas, 20 000 towers and `records` connection records of 200 000
    phones over a week (make-footprint-data, built by `footprint_tools`),
    and 200 000 events of seven types on the grid's cells. Their paths."""
    work.mkdir(parents=True, exist_ok=True)
    grid = work / "grid.csv"
    if not grid.exists():
        subprocess.run([sys.executable, root / "benches/national_grid.py", grid, "500000"], check=True)
    if not (work / "records.csv").exists():
        subprocess.run([root / "target/release/make-footprint-data", work, str(records), "6000", "20000", "200000"],
                       check=True)
    events = work / "events.csv"
    if not events.exists():
        rng = random.Random(7)
        cells = [line.split(",", 1)[0] for line in open(grid)][1:]
        types = ["shooting", "hr_prio12", "narcotics", "weapons", "vehicle_fire", "threat", "witness_intimidation"]
        with open(events, "w") as f:
            f.write("type,x,y\n")
            for _ in range(200_000):
                cid = rng.choice(cells)
                x, y = int(cid[:6]) + rng.uniform(0, 250), int(cid[6:]) + rng.uniform(0, 250)
                f.write(f"{rng.choice(types)},{x:.1f},{y:.1f}\n")
    return {"grid": grid, "areas": work / "areas.geojson", "towers": work / "towers.csv",
            "records": work / "records.csv", "events": events}
