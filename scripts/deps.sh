#!/usr/bin/env bash
# Installs the system packages stratmap builds and tests with, when missing.
# As root it uses apt-get; otherwise it prints the exact command and stops.
set -euo pipefail

packages=(libgdal-dev libproj-dev pkg-config clang libclang-dev gdal-bin)

if ! command -v cargo >/dev/null 2>&1; then
  echo "stratmap needs Rust (cargo). Install it with rustup, then run make again." >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian/Ubuntu: check for the libraries themselves.
  if pkg-config --exists gdal proj 2>/dev/null && command -v ogrinfo >/dev/null 2>&1; then
    exit 0
  fi
  echo "stratmap needs GDAL (with ogrinfo), PROJ, pkg-config and clang; install them with your package manager." >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -eq 0 ]]; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
else
  echo "stratmap needs these system packages, which are missing: ${missing[*]}" >&2
  echo "install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
