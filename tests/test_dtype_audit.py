"""float32 stays float32: a whole training step audited for float64 arrays.

An accidental promotion (a NumPy float64 scalar, an np.ones without dtype) doubles
memory traffic and is silently slower. The audit watches every array that becomes a
tensor (``Tensor._make``), every node's outputs, saved tensors and array attributes,
and, after the step, parameters, gradients and optimizer state.
"""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch import _compiled
from glasstorch._tensor import Tensor
from glasstorch.autograd.function import Function, _SavedOutput
from models import lenet, mlp


class Float64Audit:
    """Records where float64 arrays appear while it is active."""

    def __init__(self, monkeypatch):
        self.found = []
        make, apply = Tensor._make, Function.apply.__func__

        def audited_make(arr, requires_grad=False):
            if getattr(arr, "dtype", None) == np.float64:
                self.found.append(f"Tensor._make of a float64 array {arr.shape}")
            return make(arr, requires_grad)

        def audited_apply(cls, *args, **kwargs):
            out = apply(cls, *args, **kwargs)
            for o in out if isinstance(out, tuple) else (out,):
                if isinstance(o, Tensor):
                    self._check_node(cls.__name__, o)
            return out

        monkeypatch.setattr(Tensor, "_make", staticmethod(audited_make))
        monkeypatch.setattr(Function, "apply", classmethod(audited_apply))

    def _check_node(self, name: str, out: Tensor) -> None:
        self.check(f"{name} output", out._data)
        node = out._grad_fn
        if node is None:
            return
        for key, value in vars(node).items():
            self.check(f"{name}.{key}", value)
        for item, _ in node._saved or ():
            if isinstance(item, (Tensor, _SavedOutput)):
                self.check(f"{name} saved tensor", item._data)

    def check(self, where: str, value) -> None:
        arrays = value if isinstance(value, (list, tuple)) else [value]
        for a in arrays:
            if isinstance(a, np.ndarray) and a.dtype == np.float64:
                self.found.append(f"{where}: float64 {a.shape}")


def small_cnn():
    nn = gt.nn
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(8 * 4 * 4, 10))


STEPS = [
    ("lenet_sgd", lambda: lenet(gt.nn), (1, 28, 28), lambda p: gt.optim.SGD(p, lr=0.9)),
    ("mlp_sgd_momentum", lambda: mlp(gt.nn), (1, 28, 28),
     lambda p: gt.optim.SGD(p, lr=0.01, momentum=0.9)),
    ("cnn_batchnorm_adamw", small_cnn, (3, 8, 8), lambda p: gt.optim.AdamW(p, lr=1e-3)),
]


@pytest.fixture(params=[False, True], ids=["numpy", "compiled_kernels"])
def kernels(request):
    """Each step once on NumPy alone and once with the compiled kernels on from the smallest arrays."""
    with _compiled.use(request.param, threshold=0):
        yield request.param


@pytest.mark.parametrize("name,make_model,shape,make_opt", STEPS, ids=[s[0] for s in STEPS])
def test_training_steps_stay_float32(monkeypatch, kernels, name, make_model, shape, make_opt):
    assert _compiled.enabled() == kernels
    gt.manual_seed(0)
    model = make_model()
    opt = make_opt(model.parameters())
    x = gt.randn(16, *shape)
    y = gt.randint(0, 10, (16,))
    audit = Float64Audit(monkeypatch)
    for _ in range(2):  # the second step sees optimizer state (momentum buffers, Adam moments)
        opt.zero_grad()
        loss = gt.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    with gt.no_grad():
        model.eval()
        model(x)
    for p in model.parameters():
        audit.check("parameter", p._data)
        audit.check("gradient", p.grad._data)
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, Tensor) and value._data.dtype.kind == "f":
                audit.check(f"optimizer state {key}", value._data)
    for b in model.buffers():
        if b._data.dtype.kind == "f":
            audit.check("buffer", b._data)
    assert loss.dtype == gt.float32
    assert not audit.found, "float64 arrays in a float32 step:\n" + "\n".join(sorted(set(audit.found)))


def test_audit_sees_a_float64_intermediate(monkeypatch):
    # The audit itself must be able to fail: a float64 array in the graph is reported.
    audit = Float64Audit(monkeypatch)
    x = gt.randn(3, requires_grad=True)
    (x * gt.tensor(np.ones(3))).sum().backward()
    assert any("float64" in f for f in audit.found)
