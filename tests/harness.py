"""One harness checks every op against PyTorch.

A test file lists its ops as rows of a table::

    Op("mul", lambda t, a, b: t.mul(a, b), [(3, 1), (2, 3, 4)])

The function receives the framework module (``glasstorch`` or ``torch``) and
the inputs, so one lambda serves both frameworks. For each row ``check``:

1. builds the same random float64 inputs for both frameworks;
2. compares the forward values, shapes and dtypes;
3. compares the first gradients for a random upstream gradient;
4. compares the second gradients (of the first gradients dotted with another
   random tensor), unless the row says ``gradgrad=False``;
5. repeats with non-contiguous (transposed) inputs when an input has 2+ dims.
"""
from __future__ import annotations

import importlib.util
import os
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

import glasstorch as gt


# ------------------------------------------------------------------ inputs
@dataclass
class Arg:
    """How to make one input: a shape plus a value distribution."""
    shape: tuple
    kind: str = "normal"  # normal | positive | unit | int | bool | const
    low: float = 0.0
    high: float = 1.0
    grad: bool = True
    value: Any = None

    def make(self, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "normal":
            return rng.standard_normal(self.shape)
        if self.kind == "positive":
            return rng.uniform(0.5, 2.0, self.shape)
        if self.kind == "unit":  # inside (-1, 1), for asin/acos
            return rng.uniform(-0.9, 0.9, self.shape)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, self.shape)
        if self.kind == "int":
            return rng.integers(int(self.low), int(self.high), self.shape).astype(np.int64)
        if self.kind == "bool":
            return rng.random(self.shape) < 0.5
        if self.kind == "distinct":  # values far apart, so max/sort/topk have no ties
            n = int(np.prod(self.shape)) if self.shape else 1
            return (rng.permutation(n).astype(np.float64) + rng.uniform(0.1, 0.4, n)).reshape(self.shape)
        if self.kind == "const":
            return np.asarray(self.value)
        raise ValueError(self.kind)

    @property
    def differentiable(self) -> bool:
        return self.grad and self.kind not in ("int", "bool", "const")


def positive(*shape, grad=True):
    return Arg(shape, "positive", grad=grad)


def unit(*shape):
    return Arg(shape, "unit")


def uniform(low, high, *shape):
    return Arg(shape, "uniform", low, high)


def ints(high, *shape, low=0):
    return Arg(shape, "int", low, high, grad=False)


def bools(*shape):
    return Arg(shape, "bool", grad=False)


def distinct(*shape):
    return Arg(shape, "distinct")


def nograd(*shape):
    return Arg(shape, grad=False)


def const(value):
    return Arg((), "const", grad=False, value=value)


# ------------------------------------------------------------------ the row
@dataclass
class Op:
    name: str
    fn: Callable
    args: Sequence = ()
    grad: bool = True
    gradgrad: bool = True
    rtol: float = 1e-7
    atol: float = 1e-9
    noncontig: bool = True
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.name


def _spec(a) -> Arg:
    return a if isinstance(a, Arg) else Arg(tuple(a))


def _flatten(out) -> list:
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten(o))
        return res
    return [out]


def _np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)  # force: torch may hand back a lazy ZeroTensor
    if isinstance(x, gt.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def _dtype_name(x) -> str:
    if isinstance(x, torch.Tensor):
        return str(x.dtype).replace("torch.", "")
    return x.dtype.name


def _compare(ours, theirs, what: str, rtol: float, atol: float) -> None:
    assert type(ours) is not type(None) or theirs is None, f"{what}: glasstorch gave None"
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, gt.Tensor), f"{what}: expected a Tensor, got {type(ours).__name__}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
        assert _dtype_name(ours) == _dtype_name(theirs), f"{what}: dtype {_dtype_name(ours)} != {_dtype_name(theirs)}"
        np.testing.assert_allclose(_np(ours), _np(theirs), rtol=rtol, atol=atol, err_msg=what, equal_nan=True)
    else:
        if isinstance(ours, gt.Tensor):
            ours = ours.item() if ours.numel() == 1 else ours.tolist()
        assert ours == theirs or np.allclose(ours, theirs, rtol=rtol, atol=atol), f"{what}: {ours} != {theirs}"


def _make_inputs(case: Op, noncontig: bool, seed: int):
    rng = np.random.default_rng(seed)
    specs = [_spec(a) for a in case.args]
    ours, theirs = [], []
    for s in specs:
        arr = s.make(rng)
        if s.kind == "const" and not isinstance(s.value, np.ndarray):
            ours.append(s.value)
            theirs.append(s.value)
            continue
        if noncontig and arr.ndim >= 2:
            # Same values, transposed memory layout.
            arr = np.ascontiguousarray(arr.T).T
        g = gt.from_numpy(arr)
        t = torch.from_numpy(arr.copy())
        if s.differentiable and case.grad:
            g.requires_grad_(True)
            t.requires_grad_(True)
        ours.append(g)
        theirs.append(t)
    return ours, theirs


def check(case: Op) -> None:
    seed = zlib.crc32(case.name.encode())
    has_2d = any(len(_spec(a).shape) >= 2 for a in case.args)
    layouts = [False, True] if case.noncontig and has_2d else [False]
    for noncontig in layouts:
        _check_once(case, noncontig, seed)


def _check_once(case: Op, noncontig: bool, seed: int) -> None:
    tag = f"{case.name}{' (non-contiguous)' if noncontig else ''}"
    ours_in, theirs_in = _make_inputs(case, noncontig, seed)
    ours_out = _flatten(case.fn(gt, *ours_in))
    theirs_out = _flatten(case.fn(torch, *theirs_in))
    assert len(ours_out) == len(theirs_out), f"{tag}: {len(ours_out)} outputs, torch gives {len(theirs_out)}"
    for i, (o, t) in enumerate(zip(ours_out, theirs_out)):
        _compare(o, t, f"{tag}: output {i}", case.rtol, case.atol)

    if not case.grad:
        return
    wrt = [(o, t) for o, t in zip(ours_in, theirs_in) if isinstance(t, torch.Tensor) and t.requires_grad]
    outs = [(o, t) for o, t in zip(ours_out, theirs_out)
            if isinstance(t, torch.Tensor) and t.requires_grad]
    if not wrt or not outs:
        return
    rng = np.random.default_rng(seed + 1)
    vs = [rng.standard_normal(tuple(t.shape)) for _, t in outs]
    t_grads = torch.autograd.grad([t for _, t in outs], [t for _, t in wrt],
                                  [torch.from_numpy(v) for v in vs], create_graph=case.gradgrad, allow_unused=True)
    o_grads = gt.autograd.grad([o for o, _ in outs], [o for o, _ in wrt],
                               [gt.from_numpy(v.copy()) for v in vs], create_graph=case.gradgrad, allow_unused=True)
    for i, (og, tg) in enumerate(zip(o_grads, t_grads)):
        if tg is None:
            tg = torch.zeros_like(wrt[i][1])
        if og is None:
            og = gt.zeros_like(wrt[i][0])
        _compare(og, tg.detach(), f"{tag}: grad of input {i}", case.rtol, case.atol)

    if not case.gradgrad:
        return
    pairs = [(og, tg) for og, tg in zip(o_grads, t_grads) if tg is not None and tg.requires_grad]
    if not pairs:
        return
    ws = [rng.standard_normal(tuple(tg.shape)) for _, tg in pairs]
    t_s = sum((tg * torch.from_numpy(w)).sum() for (_, tg), w in zip(pairs, ws))
    o_s = None
    for (og, _), w in zip(pairs, ws):
        assert og is not None, f"{tag}: glasstorch gave no first gradient"
        if not og.requires_grad:
            continue  # constant in the inputs (as for relu): its second derivative is zero
        term = (og * gt.from_numpy(w.copy())).sum()
        o_s = term if o_s is None else o_s + term
    t_gg = torch.autograd.grad(t_s, [t for _, t in wrt], allow_unused=True)
    if o_s is None:
        o_gg = [None] * len(wrt)
    else:
        o_gg = gt.autograd.grad(o_s, [o for o, _ in wrt], allow_unused=True)
    for i, (og, tg) in enumerate(zip(o_gg, t_gg)):
        if tg is None:
            tg = torch.zeros_like(wrt[i][1])
        if og is None:
            og = gt.zeros_like(wrt[i][0])
        _compare(og, tg.detach(), f"{tag}: second-order grad of input {i}", case.rtol, case.atol)


def table(path: str, keep: Callable[[Op], bool] = lambda case: True) -> list:
    """The CASES table of a test file under tests/, for re-running its rows in another setting
    (loaded under another name, so that its tests are not collected twice)."""
    full = os.path.join(os.path.dirname(os.path.abspath(__file__)), path)
    spec = importlib.util.spec_from_file_location("_table_" + path.replace("/", "_")[:-3], full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [case for case in module.CASES if keep(case)]


def check_same_error(fn: Callable) -> None:
    """``fn(torch)`` raises; ``fn(glasstorch)`` must raise the same type (torch's LinAlgError as
    glasstorch's, a RuntimeError subclass of its own)."""
    import pytest
    with pytest.raises(Exception) as theirs:
        fn(torch)
    expected = type(theirs.value)
    if isinstance(theirs.value, torch.linalg.LinAlgError):
        expected = gt.linalg.LinAlgError
    with pytest.raises(expected):
        fn(gt)
