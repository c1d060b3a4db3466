#!/usr/bin/env bash
# The main job on a fresh machine: creates .venv, installs glasstorch with the examples and fast extras
# (matplotlib, tqdm, scikit-learn; Numba for the compiled kernels), and trains the classic LeNet. Without the Fashion-MNIST files it
# uses scikit-learn's Digits, so nothing is downloaded. Plots and metrics.json go to runs/lenet/.
# Extra arguments go to lenet.py, e.g. `bash scripts/demo.sh --download` for the real Fashion-MNIST.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet -e '.[examples,fast]'
exec .venv/bin/python examples/lenet.py --out runs/lenet "$@"
