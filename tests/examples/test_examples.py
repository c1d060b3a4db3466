"""Smoke tests: each example runs end to end on a tiny setting and writes its files."""
import json
import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")

CASES = [
    ("autograd_basics.py", ["--epochs", "5"], []),
    ("polynomial_fit.py", ["--epochs", "50"], ["loss.png"]),
    ("mlp_sin.py", ["--epochs", "1"], ["loss.png", "fit.png"]),
    ("binary_classifier.py", ["--epochs", "1"], ["loss.png", "decision_regions.png"]),
    ("lenet.py", ["--epochs", "1", "--classes", "3"], ["loss.png", "accuracy.png"]),
    ("mnist_mlp.py", ["--epochs", "1"], ["loss.png", "accuracy.png"]),
    ("char_lstm.py", ["--steps", "3", "--hidden", "32", "--sample", "20"], ["loss.png"]),
    ("tiny_gpt.py", ["--steps", "3", "--layers", "1", "--d-model", "32", "--sample", "20"], ["loss.png"]),
]


@pytest.mark.parametrize("script,args,pngs", CASES, ids=[c[0] for c in CASES])
def test_example_runs_and_writes_its_outputs(script, args, pngs, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, script, *args, "--out", str(out)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics
    for name in pngs:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, name


def test_polynomial_fit_learns_at_default_settings(tmp_path):
    proc = subprocess.run([sys.executable, "polynomial_fit.py", "--out", str(tmp_path)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert abs(metrics["prediction_at_6"] - 49) / 49 < 0.05


def test_binary_classifier_reaches_90_percent_at_default_settings(tmp_path):
    proc = subprocess.run([sys.executable, "binary_classifier.py", "--out", str(tmp_path)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["held_out"]["AdamW"]["accuracy"] >= 0.90


@pytest.mark.slow
def test_mnist_mlp_reaches_95_percent_on_digits_at_default_settings(tmp_path):
    proc = subprocess.run([sys.executable, "mnist_mlp.py", "--out", str(tmp_path)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert "Digits" in metrics["data"] and metrics["test_accuracy"] >= 0.95


@pytest.mark.slow
def test_lenet_reaches_95_percent_on_digits_at_default_settings(tmp_path):
    proc = subprocess.run([sys.executable, "lenet.py", "--out", str(tmp_path)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first_line = proc.stdout.splitlines()[0]
    assert first_line.startswith("data:") and "Digits" in first_line
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95


def test_autograd_basics_learns_the_weights(tmp_path):
    proc = subprocess.run([sys.executable, "autograd_basics.py", "--out", str(tmp_path)], cwd=EXAMPLES,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["chain_rule"] == {"dz_dx": 2.0, "da": -29.0, "db": 20.0, "dc": -6.0}
    assert all(abs(w - t) < 1e-3 for w, t in zip(metrics["linear_model"]["weights"], [1.0, 2.0, 4.0]))
