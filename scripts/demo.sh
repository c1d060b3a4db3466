#!/usr/bin/env bash
# Sets up .venv and runs the main job: an autograd walkthrough that needs no data download.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/python examples/autograd_basics.py "$@"
