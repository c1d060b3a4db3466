"""``python -m glasstorch.run``: PyTorch programs (tests/programs/) run unedited on glasstorch and
print what they print under PyTorch, numbers equal to float32 rounding."""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS = sorted(f for f in os.listdir(os.path.join(HERE, "programs")) if f.endswith(".py"))
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _run(args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable] + args, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_prints_what_torch_prints(program):
    path = os.path.join(HERE, "programs", program)
    ours, theirs = _run(["-m", "glasstorch.run", path]), _run([path])
    assert len(ours) == len(theirs) > 0
    for a, b in zip(ours, theirs):
        assert NUMBER.sub("#", a) == NUMBER.sub("#", b), (a, b)
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert float(x) == pytest.approx(float(y), rel=1e-5, abs=1e-6), (a, b)


def test_torch_resolves_to_glasstorch_and_missing_modules_fail_clearly(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text("import sys, torch, torch.nn.functional as F, torchvision.transforms as T\n"
                      "print(torch.__name__, F.__name__, T.__name__, sys.argv[1:])\n"
                      "import torch.no_such_module\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "glasstorch.run", str(script), "a", "b"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.stdout.split("\n")[0] == ("glasstorch glasstorch.nn.functional glasstorch.vision.transforms "
                                          "['a', 'b']")
    assert done.returncode != 0 and "No module named 'torch.no_such_module'" in done.stderr
