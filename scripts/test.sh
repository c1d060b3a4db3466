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
# The HTML report's tests (tests/inspect/test_report.py) open it in a real headless Chromium. Install
# Debian's package when it is missing; if that cannot be done, say so and go on: those tests then fail
# with a message saying why, and the rest of the suite still runs.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$as_root" ] || command -v sudo >/dev/null 2>&1; }; then
    echo "installing chromium for the report's browser tests ..." >&2
    { $as_root apt-get update -qq && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      >/dev/null 2>&1 || echo "warning: could not install chromium; tests/inspect/test_report.py will fail" >&2
  else
    echo "warning: chromium not found and apt-get (as root or with sudo) not available; install it by hand" >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
