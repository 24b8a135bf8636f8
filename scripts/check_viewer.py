#!/usr/bin/env python3
"""Opens the demo's index.html in headless Chromium, as a user would from
file://, and checks that it works offline: no reference to the network in
the page, no request to the network while it runs (Chromium's net log, with
every host name made unresolvable), no console error, every layer drawn (the
viewer writes what it drew into body[data-drawn]), the area names labelled,
and a click inside a police area (index.html#selftest: the page clicks a
grid cell inside the first area itself) giving one popup that lists the
cell's layer and the area's, and that closes when the map zooms; the red
and green index classes visible in a screenshot; the notice for a layer left out for size; and that a page with
`[output] basemap` set refers to and requests that tile URL only.
Exits 1 on any failure.

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
BASEMAP = "https://tile.example/{z}/{x}/{y}.png"
# Leaflet's licence header names its home page; that is text, not a reference.
LEAFLET_HOME = "a JS library for interactive maps. https://leafletjs.com"


def network_references(text, name):
    """Failures for anything in a page that would fetch from elsewhere, and
    the set of the web addresses it holds (bar the SVG/XHTML namespaces,
    and the bug reports Leaflet's CSS names in its comments)."""
    found = []
    for pattern, flags in [(r"""<script[^>]+src=""", re.I), (r"""<link[^>]+href=""", re.I),
                           (r"""url\(\s*['"]?https?:""", re.I), (r"""@import""", re.I),
                           (r"""(?:src|href)\s*=\s*['"]?(?:https?:)?//""", re.I),
                           # CSS url() of another file (the JS's VML probe for old IE is a fragment)
                           (r"""\burl\(\s*['"]?(?!data:|#default#VML)""", 0)]:
        if re.search(pattern, text, flags):
            found.append(f"{name} references the network or another file: /{pattern}/")
    text = re.sub(r"<style>.*?</style>", lambda m: re.sub(r"/\*.*?\*/", "", m.group(0), flags=re.S), text, flags=re.S)
    urls = set(re.findall(r"""https?://[^\s"'<>()\\]+""", text.replace(LEAFLET_HOME, "")))
    return found, {u for u in urls if not u.startswith("http://www.w3.org/")}


found, urls = network_references(html, "index.html")
failures += found
if urls:
    failures.append(f"index.html holds web addresses: {sorted(urls)}")

browser = next((b for b in ["chromium", "chromium-browser", "google-chrome"] if shutil.which(b)), None)
if browser is None:
    sys.exit("check_viewer: no Chromium found (make test installs Debian's chromium)")
# Chromium's own background traffic off; every host name unresolvable, so
# nothing leaves the machine even if the page asked.
args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,800",
        "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND"]


def open_page(url, tag):
    """Loads url in Chromium: its DOM after load, its console lines, and the
    web addresses the page requested (from the net log; Chromium's own
    requests, which have no initiating origin, left out)."""
    netlog = work / f"netlog-{tag}.json"
    run = subprocess.run(args + [f"--log-net-log={netlog}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    console = [l for l in run.stderr.splitlines() if "CONSOLE" in l]
    requests = None
    try:
        log = json.loads(netlog.read_text(encoding="utf-8"))
        start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        requests = sorted({e["params"]["url"] for e in log["events"]
                           if e.get("type") == start and "url" in e.get("params", {})
                           and e["params"].get("initiator") != "not an origin"
                           and not re.match(r"(file|data|blob|chrome|about):", e["params"]["url"])})
    except (OSError, ValueError, KeyError) as e:
        failures.append(f"{tag}: Chromium's net log unreadable ({e}): cannot tell the requests")
    return run.stdout, console, requests


def console_errors(console, tag):
    return [f"{tag} console: {l}" for l in console if re.search(r"error|uncaught|exception", l, re.I)]


# 1. The demo's page, with its self-test click.
dom, console, requests = open_page(page.resolve().as_uri() + "#selftest", "page")
failures += console_errors(console, "index.html")
if requests:
    failures.append(f"index.html requested {requests}")
m = re.search(r'data-drawn="([^"]*)"', dom)
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
              "change", "emerging", "labels"]:
    if f'id="toggle-{layer}"' not in dom:
        failures.append(f"no toggle for {layer}")
# the sample town's four police areas, each named on the map
labels = re.findall(r'<div class="[^"]*\barea-label\b[^"]*"[^>]*><span>([^<]*)</span>', dom)
if len(labels) != 4:
    failures.append(f"area labels: {labels}, expected the 4 areas' names")
# the self-test click: one popup listing every visible layer under it, gone
# when the map zooms
m = re.search(r'data-popup="([^"]*)"', dom)
popup = json.loads(unescape(m.group(1))) if m else None
if popup is None:
    failures.append("the self-test click gave no body[data-popup]")
elif not {"living_conditions", "footprint", "assessment"} <= set(popup):
    failures.append(f"the popup of a cell inside an area lists {popup}; expected the cell's layer and the area's")
m = re.search(r'data-popup-after-zoom="([^"]*)"', dom)
after_zoom = m.group(1) if m else "not told"
if after_zoom != "0":
    failures.append(f"popups open after zooming: {after_zoom}, expected 0")
for control in ["leaflet-control-zoom-in", "leaflet-control-zoom-out", "leaflet-control-scale-line"]:
    if control not in dom:
        failures.append(f"no {control} on the page")

# 2. The screenshot, without the popup.
shot = work / "screenshot.png"
subprocess.run(args + [f"--screenshot={shot}", page.resolve().as_uri()], capture_output=True, timeout=120)
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

# 3. A layer left out for size: the page says so (the demo's page, told so).
omitted_page = work / "omitted.html"
if html.count('"omitted":[]') != 1:
    failures.append("index.html: no \"omitted\":[] in its data")
omitted_page.write_text(html.replace('"omitted":[]', '"omitted":["national_grid"]', 1), encoding="utf-8")
dom_o, console_o, _ = open_page(omitted_page.resolve().as_uri(), "omitted")
failures += console_errors(console_o, "omitted.html")
m = re.search(r'<div id="omitted" class="notice"( hidden="")?>([^<]*)</div>', dom_o)
if not m or m.group(1) or "national_grid" not in m.group(2):
    failures.append(f"no visible notice for a layer left out: {m.group(0) if m else 'no #omitted'}")

# 4. With [output] basemap set: that URL only, in the page and on the wire.
config = (work / "inputs" / "config.toml").read_text(encoding="utf-8")
setting = f'basemap = "{BASEMAP}"\nformats = ["html"]\n'
if re.search(r"^\[output\]", config, re.M):
    config = re.sub(r"^\[output\]\n", "[output]\n" + setting, config, count=1, flags=re.M)
else:
    config += "\n[output]\n" + setting
(work / "inputs" / "config-basemap.toml").write_text(config, encoding="utf-8")
subprocess.run([binary, "--quiet", "run", str(work / "inputs" / "config-basemap.toml"), "--out",
                str(work / "basemap")], check=True, stdout=subprocess.DEVNULL)
based = work / "basemap" / "index.html"
found, urls = network_references(based.read_text(encoding="utf-8"), "basemap/index.html")
failures += found
if urls != {BASEMAP}:
    failures.append(f"basemap/index.html holds web addresses {sorted(urls)}, expected {BASEMAP} only")
dom_b, console_b, tiles = open_page(based.resolve().as_uri(), "basemap")
# the tiles fail to load (no host resolves): that is expected
failures += console_errors([l for l in console_b if "Failed to load resource" not in l], "basemap/index.html")
prefix = BASEMAP.split("{")[0]
srcs = re.findall(r'<img[^>]+src="([^"]*)"', dom_b)
if tiles is not None and (not tiles or any(not t.startswith(prefix) for t in tiles)):
    failures.append(f"basemap/index.html requested {tiles[:5]}…, expected tiles of {BASEMAP} only")
if not srcs or any(not s.startswith(prefix) for s in srcs):
    failures.append(f"basemap/index.html images {srcs[:5]}, expected tiles of {BASEMAP} only")

# 5. The static map for reports: both classes, and text in the legend panel
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
print(f"viewer check: drew {drawn}; {len(labels)} area labels; the popup of a cell inside an area lists {popup}, "
      f"{after_zoom} left open after a zoom; "
      f"{len(requests or [])} network requests; {red} red and {green} green map pixels; "
      f"{len(console)} console messages; with a basemap {len(tiles or [])} requests, all to {prefix}; "
      f"{len(failures)} failures")
for f in failures:
    print("  " + f)
sys.exit(1 if failures else 0)
