#!/usr/bin/env python3
"""Opens the demo's outputs in QGIS (PyQGIS, headless) as an analyst does by
dragging them in, and checks that every layer comes styled from the file:
each GeoPackage layer has a default style in `layer_styles` and opens with
its renderer (classes, ranges, rings), each GeoJSON layer picks up its
sidecar `.qml`, youth groups are rings of `radius_m` metres, and the class
raster opens paletted with five classes. Exits 1 on any failure.

usage: check_qgis.py STRATMAP_BINARY WORK_DIR
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
binary, work = sys.argv[1], Path(sys.argv[2])
if work.exists():
    shutil.rmtree(work)
subprocess.run([binary, "--quiet", "demo", "--out", str(work)], check=True, stdout=subprocess.DEVNULL)

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsProperty,
    QgsRasterLayer,
    QgsSymbolLayer,
    QgsUnitTypes,
    QgsVectorLayer,
)

app = QgsApplication([], False)
app.initQgis()
failures = []
# layer → (renderer type, attribute, categories or ranges)
WANT = {
    "living_conditions": ("categorizedSymbol", "class", 6),
    "youth_groups": ("singleSymbol", None, None),
    "footprint": ("graduatedSymbol", "share_pct", 5),
    "hotspots": ("categorizedSymbol", "gi_bin", 6),
    "assessment": ("categorizedSymbol", "trend", 4),
    "candidates": ("categorizedSymbol", "status", 3),
    "lisa": ("categorizedSymbol", "quadrant", 4),
    "change": ("graduatedSymbol", "delta", 7),
    "emerging": ("categorizedSymbol", "pattern", 16),
}


def check(layer, name, where):
    if not layer.isValid():
        failures.append(f"{where}: {name} does not open")
        return
    kind, attr, n = WANT[name]
    r = layer.renderer()
    if r is None or r.type() != kind:
        failures.append(f"{where}: {name} opens with renderer {r.type() if r else None}, expected {kind}")
        return
    if attr is not None and r.classAttribute() != attr:
        failures.append(f"{where}: {name} is classed by {r.classAttribute()}, expected {attr}")
    if kind == "categorizedSymbol" and len(r.categories()) != n:
        failures.append(f"{where}: {name} has {len(r.categories())} categories, expected {n}")
    if kind == "graduatedSymbol" and len(r.ranges()) != n:
        failures.append(f"{where}: {name} has {len(r.ranges())} ranges, expected {n}")
    if name == "youth_groups":
        sl = r.symbol().symbolLayer(0)
        if sl.sizeUnit() != QgsUnitTypes.RenderMetersInMapUnits:
            failures.append(f"{where}: youth rings are sized in {sl.sizeUnit()}, not metres")
        prop = sl.dataDefinedProperties().property(QgsSymbolLayer.PropertySize)
        if not prop.isActive() or "radius_m" not in prop.expressionString():
            failures.append(f"{where}: youth rings are not sized by radius_m ({prop.expressionString()})")
        if sl.color().alpha() != 0:
            failures.append(f"{where}: youth groups are filled dots, not rings")


gpkg = work / "stratmap.gpkg"
for name in WANT:
    layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
    n, ids, names, descriptions, err = layer.listStylesInDatabase()
    if n < 1:
        failures.append(f"stratmap.gpkg: {name} has no style in layer_styles ({err})")
    check(layer, name, "stratmap.gpkg")
for name in WANT:
    path = work / f"{name}.geojson"
    if not path.exists():
        continue  # the assessment layer is in the GeoPackage only
    layer = QgsVectorLayer(str(path), name, "ogr")
    check(layer, name, path.name)
raster = QgsRasterLayer(str(work / "living_conditions_class.tif"), "class")
if not raster.isValid():
    failures.append("living_conditions_class.tif does not open")
elif raster.renderer().type() != "paletted":
    failures.append(f"living_conditions_class.tif opens as {raster.renderer().type()}, not paletted")
else:
    classes = [(int(c.value), c.label, c.color.name()) for c in raster.renderer().classes()]
    want = [(1, "1 best", "#1a9641"), (2, "2", "#a6d96a"), (3, "3", "#ffffbf"), (4, "4", "#fdae61"),
            (5, "5 worst", "#d7191c")]
    if classes != want:
        failures.append(f"living_conditions_class.tif: classes {classes[:8]}, expected {want}")
app.exitQgis()
if failures:
    print(f"QGIS check ({Qgis.QGIS_VERSION}): {len(failures)} failures")
    for f in failures:
        print("  " + f)
    sys.stdout.flush()
    os._exit(1)
print(f"QGIS check ({Qgis.QGIS_VERSION}): {len(WANT)} GeoPackage layers styled from layer_styles, "
      f"{sum(1 for n in WANT if (work / f'{n}.geojson').exists())} GeoJSON layers from their .qml, the class raster paletted")
# Python's own teardown after exitQgis() frees the layers QGIS already let
# go of and segfaults (exit 139 here, from main's binary too): leave without it.
sys.stdout.flush()
os._exit(0)
