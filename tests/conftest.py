"""The test suite compares glasstorch with PyTorch, its oracle.

Without torch the suite must fail, not skip: a run that compared nothing would
look green while checking nothing.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    try:
        import torch  # noqa: F401
    except ImportError as e:  # pragma: no cover - exercised only on a broken install
        raise pytest.UsageError(
            "PyTorch, the test oracle, is not installed: pip install -e '.[test]' (torch==2.13.0)") from e
    config.addinivalue_line("markers", "slow: long-running tests (still run in CI)")
