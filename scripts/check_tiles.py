#!/usr/bin/env python3
"""Runs `stratmap run` on the sample town with "tiles" in [output] formats,
checks the five grid layers' MBTiles (zoom levels, gzip tiles, the same
bytes twice), starts `stratmap serve` on a free port, opens the page over
http://127.0.0.1 in headless Chromium and checks that tiles were requested
and drawn (the viewer writes what the tiles drew into body[data-tiles]),
that a click on a cell drawn from the tiles opens its popup from the tile's
properties (index.html#tileselftest writes it into body[data-tile-popup]),
no console error, no request off 127.0.0.1 (Chromium's net log, every
other host made unresolvable), and that serve refuses a non-loopback
address; stops the server. Exits 1 on any failure.

usage: check_tiles.py STRATMAP_BINARY WORK_DIR
"""
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from html import unescape
from pathlib import Path
from urllib.parse import urlparse

binary, work = sys.argv[1], Path(sys.argv[2])
root = Path(__file__).resolve().parent.parent
town = root / "fixtures" / "sample-town"
if work.exists():
    shutil.rmtree(work)
(work / "in").mkdir(parents=True)
for f in town.iterdir():
    if f.is_file():
        shutil.copy(f, work / "in" / f.name)
config = work / "in" / "config.toml"
config.write_text(config.read_text(encoding="utf-8")
                  + '\n[output]\nformats = ["geojson", "html", "tiles"]\n', encoding="utf-8")
failures = []
LAYERS = ["living_conditions", "hotspots", "lisa", "change", "emerging"]


def run(out):
    subprocess.run([binary, "--quiet", "run", str(config), "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)


out, again = work / "out", work / "again"
run(out)
run(again)
for layer in LAYERS:
    f = out / f"{layer}.mbtiles"
    if not f.is_file():
        failures.append(f"no {f.name}")
        continue
    if f.read_bytes() != (again / f.name).read_bytes():
        failures.append(f"{f.name}: not the same bytes from the same inputs")
    db = sqlite3.connect(f"file:{f}?mode=ro", uri=True)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    if (meta.get("minzoom"), meta.get("maxzoom"), meta.get("format")) != ("8", "14", "pbf"):
        failures.append(f"{f.name}: metadata {meta.get('minzoom')}–{meta.get('maxzoom')} {meta.get('format')}")
    zooms = sorted(z for (z,) in db.execute("SELECT DISTINCT zoom_level FROM tiles"))
    if zooms != list(range(8, 15)):
        failures.append(f"{f.name}: zoom levels {zooms}, expected 8–14")
    fields = json.loads(meta.get("json", "{}")).get("vector_layers", [{}])[0].get("fields", {})
    if layer == "living_conditions" and not {"cell_id", "index", "class", "color"} <= set(fields):
        failures.append(f"{f.name}: properties {sorted(fields)}")
    if not all(t[:2] == b"\x1f\x8b" for (t,) in db.execute("SELECT tile_data FROM tiles")):
        failures.append(f"{f.name}: a tile not gzipped")
    db.close()

# serve refuses anything but loopback
refused = subprocess.run([binary, "serve", str(out), "--host", "0.0.0.0", "--port", "0"],
                         capture_output=True, text=True, timeout=30)
if refused.returncode != 2 or "loopback" not in refused.stderr:
    failures.append(f"serve --host 0.0.0.0: exit {refused.returncode}, {refused.stderr.strip()!r}")

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([binary, "serve", str(out), "--port", str(port)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    base = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "tiles.json", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    tiles = json.loads(urllib.request.urlopen(base + "tiles.json", timeout=5).read())
    if sorted(tiles) != sorted(LAYERS):
        failures.append(f"tiles.json lists {sorted(tiles)}")

    browser = next((b for b in ["chromium", "chromium-browser", "google-chrome"] if shutil.which(b)), None)
    if browser is None:
        sys.exit("check_tiles: no Chromium found (make test installs Debian's chromium)")
    netlog = work / "netlog.json"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,800",
            "--virtual-time-budget=30000", "--enable-logging=stderr", "--v=0", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--log-net-log={netlog}",
            "--dump-dom", base + "#tileselftest"]
    page = subprocess.run(args, capture_output=True, text=True, timeout=120)
    dom = page.stdout
    errors = [l for l in page.stderr.splitlines() if "CONSOLE" in l and re.search(r"error|uncaught|exception", l, re.I)]
    failures += [f"console: {l}" for l in errors]
    m = re.search(r'data-tiles="([^"]*)"', dom)
    drawn = json.loads(unescape(m.group(1))) if m else None
    m = re.search(r'data-tiles-loaded="([^"]*)"', dom)
    loaded = json.loads(unescape(m.group(1))) if m else None
    if not drawn or not loaded:
        failures.append("the served page drew no tiles (no body[data-tiles])")
    elif not (drawn.get("living_conditions", 0) >= 496 and loaded.get("living_conditions", 0) > 0):
        failures.append(f"living_conditions from tiles: {drawn.get('living_conditions')} features in "
                        f"{loaded.get('living_conditions')} tiles, expected ≥ 496 features")
    # a click on a cell drawn from the tiles: the popup lists it, from the tiles
    m = re.search(r'data-tile-popup="([^"]*)"', dom)
    tile_popup = json.loads(unescape(m.group(1))) if m else None
    if not tile_popup:
        failures.append("the served page's tile self-test wrote no body[data-tile-popup]")
    elif [tile_popup["want"], "tiles"] not in [[c, src] for (l, c, src) in tile_popup["got"] if l == "living_conditions"]:
        failures.append(f"a click on cell {tile_popup['want']} drawn from tiles: the popup lists {tile_popup['got']}")
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = {e["params"]["url"] for e in log["events"]
            if e.get("type") == start and "url" in e.get("params", {})
            and e["params"].get("initiator") != "not an origin"
            and not re.match(r"(data|blob|chrome|about):", e["params"]["url"])}
    off = sorted(u for u in urls if urlparse(u).hostname != "127.0.0.1")
    if off:
        failures.append(f"requests off 127.0.0.1: {off}")
    tile_urls = sorted(u for u in urls if re.search(r"/tiles/living_conditions/\d+/\d+/\d+\.pbf$", u))
    if not tile_urls:
        failures.append(f"no tile requested; requests: {sorted(urls)}")
finally:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()

if failures:
    print("check_tiles: FAILED")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print(f"check_tiles: ok: 5 MBTiles (zoom 8–14, same bytes twice); served on 127.0.0.1:{port}, "
      f"{len(tile_urls)} living_conditions tiles requested, {loaded['living_conditions']} loaded, "
      f"{drawn['living_conditions']} tile features drawn; a click on cell {tile_popup['want']} gives its popup "
      f"from the tiles; no console error, no request off 127.0.0.1")
