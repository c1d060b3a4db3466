#!/usr/bin/env bash
# Sets up .venv (numpy, the pinned PyTorch oracle, pytest, hypothesis, the examples' and the compiled
# kernels' extras) and runs the whole test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/ops -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet -e '.[test,examples,fast]'
exec .venv/bin/python -m pytest "$@"
