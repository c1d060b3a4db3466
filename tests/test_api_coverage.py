"""The API-coverage report (scripts/api_coverage.py) runs, and counts what glasstorch has."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import api_coverage  # noqa: E402


def test_rows_are_consistent_and_count_known_names():
    rows = {label: (total, present, missing) for label, total, present, missing in api_coverage.coverage()}
    assert set(rows) >= {"torch", "Tensor", "nn", "nn.functional", "linalg", "distributions"}
    for label, (total, present, missing) in rows.items():
        assert 0 <= present <= total and len(missing) == total - present, label
    # names glasstorch has are counted as present, and names it lacks as missing
    assert "meshgrid" not in rows["torch"][2] and "cuda" not in rows["torch"][2]
    assert "is_available" not in rows["cuda"][2] and "view" not in rows["Tensor"][2]
    assert "Linear" not in rows["nn"][2] and "conv2d" not in rows["nn.functional"][2]


def test_the_report_prints_a_table():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "api_coverage.py"), "--missing", "nn"],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[1].split() == ["namespace", "torch", "present", "share"]
    assert "\nnn lacks " in out
