#!/usr/bin/env bash
# Installs the system packages stratmap builds and tests with, when missing.
# As root it uses apt-get; otherwise it prints the exact command and stops.
# `deps.sh test` also makes sure the cross-checks' Python modules are there.
set -euo pipefail

# rustup's default place, for shells that did not read a profile.
[[ -d $HOME/.cargo/bin ]] && export PATH="$HOME/.cargo/bin:$PATH"

packages=(libgdal-dev libproj-dev libsqlite3-dev pkg-config clang libclang-dev gdal-bin)

if ! command -v cargo >/dev/null 2>&1; then
  echo "stratmap needs Rust (cargo). Install it with rustup, then run make again." >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian/Ubuntu: check for the libraries themselves.
  if pkg-config --exists gdal proj sqlite3 2>/dev/null && command -v ogrinfo >/dev/null 2>&1; then
    exit 0
  fi
  echo "stratmap needs GDAL (with ogrinfo), PROJ, pkg-config and clang; install them with your package manager." >&2
  exit 1
fi

if [[ ${1:-} == test ]]; then
  # python3 for the cross-checks, chromium to open the viewer as a user
  # would, and QGIS's Python API to open the GeoPackage as QGIS does
  packages+=(python3 chromium python3-qgis)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
install() {
  if [[ $(id -u) -eq 0 ]]; then
    echo "installing system packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@"
  else
    echo "stratmap needs these system packages, which are missing: $*" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $*" >&2
    exit 1
  fi
}

((${#missing[@]} == 0)) || install "${missing[@]}"

if [[ ${1:-} == test ]]; then
  # The cross-checks' independent implementations: numpy, shapely, pyproj,
  # the IANA time zones, geopandas, PySAL (esda, libpysal), tobler, scipy,
  # scikit-learn (the concordance's ROC AUC), pymannkendall (trends), and
  # Pillow for the viewer's screenshot, DuckDB for the scale SQL; from PyPI where the Python has pip,
  # else what Debian has of them.
  # import name:PyPI name
  modules=(numpy:numpy shapely:shapely pyproj:pyproj tzdata:tzdata geopandas:geopandas
    esda:esda libpysal:libpysal tobler:tobler scipy:scipy sklearn:scikit-learn pymannkendall:pymannkendall PIL:pillow duckdb:duckdb)
  debian=(python3-numpy python3-shapely python3-pyproj tzdata python3-geopandas python3-scipy python3-sklearn python3-pil)
  want=()
  for m in "${modules[@]}"; do
    python3 -c "import ${m%%:*}" 2>/dev/null || want+=("${m##*:}")
  done
  if ((${#want[@]} > 0)); then
    python3 -m pip install --quiet --root-user-action=ignore "${want[@]}" 2>/dev/null ||
      python3 -m pip install --quiet "${want[@]}" 2>/dev/null ||
      python3 -m pip install --quiet --break-system-packages "${want[@]}" 2>/dev/null ||
      install "${debian[@]}"
  fi
fi
