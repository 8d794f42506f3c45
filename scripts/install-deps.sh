#!/usr/bin/env bash
# Installs what voxconv needs to build and test on Debian 12, as root (or with sudo).
# Skips apt entirely when everything is already there, so repeated runs are fast.
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config
          libcli11-dev nlohmann-json3-dev libhdf5-dev libinsighttoolkit5-dev libspdlog-dev
          libgtest-dev libgmock-dev zlib1g-dev libzip-dev
          clang libclang-rt-14-dev)  # clang + libFuzzer for tests/fuzz (GCC builds voxconv)
# Tests: the check that Keras' load_weights can read what `voxconv init` writes uses h5py.
packages+=(python3 python3-h5py python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
