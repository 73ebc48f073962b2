#!/usr/bin/env bash
# Installs everything inr needs on a fresh Debian 12 machine (run as root). Idempotent: packages already
# present are skipped, and npm ci only runs when the pinned npm packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache curl
  libdnnl-dev ocl-icd-opencl-dev libonnx-dev libprotobuf-dev protobuf-compiler  # dnnl-config.cmake calls find_package(OpenCL)
  libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libboost-dev  # Boost.Beast/Asio (header-only): inr serve and inr loadgen --url
  wrk  # tests/serve: 64-connection load test of inr serve (skipped without it)
  libgtest-dev libgmock-dev libbenchmark-dev libonnx-testdata
  python3-pil python3-numpy  # bench/preprocess_pillow.py
  python3-opencv  # tests/image/cv2_oracle.py: the OpenCV parity tests (skipped without it)
  chromium  # tests/cli/report_test.cc renders `inr report` pages headless (skipped without it)
  pybind11-dev python3-dev  # the Python module (python/), built for /usr/bin/python3
  python3-pytest python3-onnx  # tests/python (pytest; onnx writes the small test models)
  slurmctld slurmd slurm-client munge  # tests/slurm: a private single-node Slurm (scripts/slurm/local-cluster.sh)
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the ONNX Runtime oracle: Debian's packages unless a node/npm is already installed.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node, pinned by tools/ort/package-lock.json. Its optional GPU download is skipped.
if [ ! -f tools/ort/node_modules/onnxruntime-node/package.json ]; then
  echo "install-deps: npm ci (tools/ort)"
  (cd tools/ort && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
fi

# Vega, Vega-Lite and vega-embed, pinned by tools/report/package-lock.json: `inr report` inlines their
# browser bundles into the HTML it writes.
if [ ! -f tools/report/node_modules/vega-embed/build/vega-embed.min.js ]; then
  echo "install-deps: npm ci (tools/report)"
  (cd tools/report && npm ci --no-audit --no-fund --loglevel=error)
fi
