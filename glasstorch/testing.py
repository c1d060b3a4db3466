"""``torch.testing.assert_close``: tensors, numbers and nested sequences or mappings of them,
compared with torch's default tolerances and reported in torch's words.

``|actual - expected| <= atol + rtol * |expected|`` element by element, with the tolerances of the
inputs' dtype unless both are given (float16: 1e-3 and 1e-5; float32: 1.3e-6 and 1e-5; float64 and
Python floats: 1e-7 and 1e-7; integers and bools: exact). NaN equals NaN only with ``equal_nan``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._tensor import Tensor

__all__ = ["assert_close"]

_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


class _Mismatch(AssertionError):
    pass


def _default_tolerances(*dtypes) -> tuple:
    pairs = [_TOLERANCES.get(np.dtype(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _close_mask(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    if a.dtype.kind not in "fc" and e.dtype.kind not in "fc":
        return a == e
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - e) <= atol + rtol * np.abs(e)
        close |= a == e                                  # equal infinities
        if equal_nan:
            close |= np.isnan(a) & np.isnan(e)
    return close


def _number(x) -> str:
    return repr(x.item() if hasattr(x, "item") else x)


def _compare_tensors(actual: Tensor, expected: Tensor, rtol, atol, equal_nan, check_dtype) -> None:
    a, e = actual._data, expected._data
    if a.shape != e.shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.")
    if check_dtype and a.dtype != e.dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.")
    if rtol is None:
        rtol, atol = _default_tolerances(a.dtype, e.dtype)
    if a.dtype != e.dtype:
        common = np.promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    close = _close_mask(a, e, rtol, atol, equal_nan)
    if close.all():
        return
    exact = rtol == 0 and atol == 0
    if a.ndim == 0:
        raise _Mismatch(_scalar_message(a.item(), e.item(), rtol, atol, exact))
    # Differences as torch takes them: in the inputs' dtype (bools as integers, ratios as floats).
    ad, ed = (x.astype(np.int64) if x.dtype == np.bool_ else x for x in (a, e))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(ad - ed)
        rel_diff = (abs_diff / np.abs(ed)) if abs_diff.dtype.kind == "f" else \
            abs_diff.astype(np.float32) / np.abs(ed).astype(np.float32)
    total, bad = close.size, int(close.size - np.count_nonzero(close))

    def greatest(d):
        flat = d.reshape(-1)
        nans = np.flatnonzero(np.isnan(flat)) if flat.dtype.kind == "f" else ()
        k = int(nans[0]) if len(nans) else int(np.argmax(flat))   # NaN is the greatest, as for torch.max
        return flat[k], tuple(int(i) for i in np.unravel_index(k, d.shape))

    (va, ia), (vr, ir) = greatest(abs_diff), greatest(rel_diff)
    up_a = "" if exact else f" (up to {atol} allowed)"
    up_r = "" if exact else f" (up to {rtol} allowed)"
    raise _Mismatch(f"Tensor-likes are not {'equal' if exact else 'close'}!\n\n"
                    f"Mismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)\n"
                    f"Greatest absolute difference: {_number(va)} at index {ia}{up_a}\n"
                    f"Greatest relative difference: {_number(vr)} at index {ir}{up_r}")


def _scalar_message(a, e, rtol, atol, exact) -> str:
    abs_diff = abs(a - e)
    rel_diff = abs_diff / abs(e) if e != 0 else float("inf")
    return (f"Scalars are not {'equal' if exact else 'close'}!\n\nExpected {e} but got {a}.\n"
            f"Absolute difference: {abs_diff}" + ("" if exact else f" (up to {atol} allowed)") + "\n"
            f"Relative difference: {rel_diff}" + ("" if exact else f" (up to {rtol} allowed)"))


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path: str) -> None:
    try:
        if isinstance(actual, Tensor) and isinstance(expected, Tensor):
            _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype)
        elif isinstance(actual, (bool, int, float)) and isinstance(expected, (bool, int, float)):
            if check_dtype and type(actual) is not type(expected):
                raise _Mismatch(f"The values for attribute 'dtype' do not match: {type(actual)} != "
                                f"{type(expected)}.")
            float_like = isinstance(actual, float) or isinstance(expected, float)
            r, a_ = (rtol, atol) if rtol is not None else ((1e-7, 1e-7) if float_like else (0.0, 0.0))
            ok = _close_mask(np.asarray(actual, float), np.asarray(expected, float), r, a_, equal_nan)
            if not bool(ok):
                raise _Mismatch(_scalar_message(actual, expected, r, a_, r == 0 and a_ == 0))
        elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
            if set(actual) != set(expected):
                missing = sorted(set(expected) - set(actual), key=repr)
                extra = sorted(set(actual) - set(expected), key=repr)
                raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                                f"{missing}\nAdditional keys in the actual mapping: {extra}")
            for k in expected:
                _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, f"{path}[{k!r}]")
        elif (isinstance(actual, Sequence) and isinstance(expected, Sequence)
              and not isinstance(actual, str) and not isinstance(expected, str)):
            if len(actual) != len(expected):
                raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
            for k, (x, y) in enumerate(zip(actual, expected)):
                _compare(x, y, rtol, atol, equal_nan, check_dtype, f"{path}[{k}]")
        else:
            raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                            f"{type(expected)}.")
    except _Mismatch as m:
        if path and not getattr(m, "located", False):
            m = _Mismatch(f"{m}\n\nThe failure occurred for item {path}")
            m.located = True
        raise m from None


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raises ``AssertionError`` unless ``actual`` and ``expected`` are close (see the module
    docstring); ``msg`` (a string, or a callable given the generated message) replaces the text."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, "")
    except _Mismatch as m:
        text = str(m)
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise AssertionError(text) from None
