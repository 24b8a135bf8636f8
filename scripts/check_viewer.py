#!/usr/bin/env python3
"""Opens the demo's index.html in headless Chromium, as a user would from
file://, and checks that it works offline: no reference to the network, no
console error, every layer drawn (the viewer writes what it drew into
body[data-drawn]), and the red and green index classes visible in a
screenshot. Exits 1 on any failure.

usage: check_viewer.py STRATMAP_BINARY WORK_DIR
"""
import json
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

from PIL import Image

binary, work = sys.argv[1], Path(sys.argv[2])
if work.exists():
    shutil.rmtree(work)
subprocess.run([binary, "--quiet", "demo", "--out", str(work)], check=True, stdout=subprocess.DEVNULL)
page = work / "index.html"
html = page.read_text(encoding="utf-8")
failures = []

# Offline: nothing is fetched. (Data URLs and the SVG/XHTML namespaces would be fine.)
for pattern in [r"""<script[^>]+src=""", r"""<link[^>]+href=""", r"""url\(\s*['"]?https?:""", r"""@import""",
                r"""(?:src|href)\s*=\s*['"]?(?:https?:)?//"""]:
    if re.search(pattern, html, re.I):
        failures.append(f"index.html references the network: /{pattern}/")

browser = next((b for b in ["chromium", "chromium-browser", "google-chrome"] if shutil.which(b)), None)
if browser is None:
    sys.exit("check_viewer: no Chromium found (make test installs Debian's chromium)")
args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,800",
        "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0"]
url = page.resolve().as_uri()
dom = subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
console = [l for l in dom.stderr.splitlines() if "CONSOLE" in l]
errors = [l for l in console if re.search(r"error|uncaught|exception", l, re.I)]
failures += [f"console: {l}" for l in errors]
m = re.search(r'data-drawn="([^"]*)"', dom.stdout)
if not m:
    failures.append("the viewer did not draw (no body[data-drawn])")
    drawn = {}
else:
    drawn = json.loads(unescape(m.group(1)))
    want = {"living_conditions": 496, "youth_groups": 4, "footprint": 4, "assessment": 4, "candidates": 3}
    for layer, n in want.items():
        if drawn.get(layer) != n:
            failures.append(f"{layer}: drew {drawn.get(layer)}, expected {n}")
    if "hotspots" not in drawn:
        failures.append("no hotspots layer in the viewer")
for layer in ["living_conditions", "youth_groups", "footprint", "hotspots", "assessment", "candidates", "lisa",
              "change", "emerging"]:
    if f'id="toggle-{layer}"' not in dom.stdout:
        failures.append(f"no toggle for {layer}")

shot = work / "screenshot.png"
subprocess.run(args + [f"--screenshot={shot}", url], capture_output=True, timeout=120)
img = Image.open(shot).convert("RGB")
pixels = list(zip(*[iter(img.tobytes())] * 3))


def near(rgb, hexcolor, tol=12):
    c = tuple(int(hexcolor[i:i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tol for a, b in zip(rgb, c))


# the map only (left of the side panel), where the index classes are drawn
width = img.size[0]
map_px = [p for i, p in enumerate(pixels) if i % width < width - 300]
red = sum(1 for p in map_px if near(p, "#d7191c"))
green = sum(1 for p in map_px if near(p, "#1a9641"))
if red < 2000 or green < 2000:
    failures.append(f"the index classes are not visible: {red} red and {green} green pixels")
# the static map for reports: both classes, and text in the legend panel
png = Image.open(work / "map.png").convert("RGB")
pw, ph = png.size
px = list(zip(*[iter(png.tobytes())] * 3))
map_part = [p for i, p in enumerate(px) if i % pw < pw - 420]
legend = [p for i, p in enumerate(px) if i % pw >= pw - 420]
png_red = sum(1 for p in map_part if near(p, "#d7191c"))
png_green = sum(1 for p in map_part if near(p, "#1a9641"))
text_px = sum(1 for p in legend if max(p) < 80)
if png_red < 5000 or png_green < 5000 or text_px < 500:
    failures.append(f"map.png: {png_red} red, {png_green} green map pixels, {text_px} dark legend pixels")
print(f"map.png: {pw} × {ph}, {png_red} red and {png_green} green map pixels, {text_px} dark legend pixels")
print(f"viewer check: drew {drawn}; {red} red and {green} green map pixels; "
      f"{len(console)} console messages; {len(failures)} failures")
for f in failures:
    print("  " + f)
sys.exit(1 if failures else 0)
