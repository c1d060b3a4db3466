"""Classification metrics: accuracy, precision, recall, F1 and the confusion matrix.

The semantics follow scikit-learn's ``sklearn.metrics`` (the averaging modes, ``pos_label``,
``zero_division``, rows = true class in the confusion matrix), with two differences a PyTorch
user should know:

* the argument order is ``(y_pred, y_true)``, prediction first, like a loss function
  ``loss(input, target)``; scikit-learn's is ``(y_true, y_pred)``;
* ``num_classes`` pins the classes to ``0 .. num_classes - 1`` (classes that never occur still get
  a row, a column and a per-class score). Without it, the classes are the sorted union of the
  labels that occur in ``y_pred`` and ``y_true``, as in scikit-learn.

Everything is computed from one confusion matrix ``C`` (``C[i, j]`` = samples of true class ``i``
predicted as class ``j``). For each class ``k``::

    TP_k = C[k, k]          FP_k = sum_i C[i, k] - TP_k          FN_k = sum_j C[k, j] - TP_k

Inputs are 1-D sequences of class labels: glasstorch tensors, NumPy arrays or lists of ints or
bools. Scores and logits are not labels: take ``.argmax(dim=1)`` or threshold them first.

Example::

    >>> from glasstorch import metrics
    >>> metrics.accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    >>> metrics.f1_score([0, 2, 1, 2], [0, 1, 1, 2], average='macro')
    0.7777777777777777
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._tensor import Tensor

__all__ = ["accuracy", "precision", "recall", "f1_score", "confusion_matrix"]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


# ------------------------------------------------------------------ inputs
def _labels(y: Any, name: str) -> np.ndarray:
    """Converts a tensor, array or list of class labels to a 1-D int64 array."""
    arr = y._data if isinstance(y, Tensor) else np.asarray(y)
    if arr.ndim != 1:
        hint = " (for scores or logits, pass y.argmax(dim=1))" if arr.ndim == 2 else ""
        raise ValueError(f"{name} must be a 1-D sequence of class labels, got shape {tuple(arr.shape)}{hint}")
    if arr.dtype.kind == "b" or arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        # 1.0 is a fine label (a float tensor of targets); 0.7 is a score, not a label.
        if arr.size and not (np.isfinite(arr).all() and (arr == np.round(arr)).all()):
            raise ValueError(f"{name} holds non-integer values (e.g. scores or probabilities); "
                             "metrics expect class labels: threshold or take argmax first")
        return arr.astype(np.int64)
    raise ValueError(f"{name} must hold integer or boolean class labels, got dtype {arr.dtype}")


def _check_pair(y_pred: Any, y_true: Any) -> tuple[np.ndarray, np.ndarray]:
    pred, true = _labels(y_pred, "y_pred"), _labels(y_true, "y_true")
    if pred.shape[0] != true.shape[0]:
        raise ValueError(f"y_pred and y_true have different lengths: {pred.shape[0]} and {true.shape[0]}")
    if pred.shape[0] == 0:
        raise ValueError("y_pred and y_true are empty: metrics need at least one sample")
    return pred, true


def _classes(pred: np.ndarray, true: np.ndarray, num_classes: int | None) -> np.ndarray:
    """The class labels, in the order of the confusion matrix's rows and columns."""
    if num_classes is None:
        return np.union1d(pred, true)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    for arr, name in ((pred, "y_pred"), (true, "y_true")):
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} contains label {bad}, outside [0, {num_classes - 1}] "
                             f"for num_classes={num_classes}")
    return np.arange(num_classes)


def _confusion(pred: np.ndarray, true: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The (C, C) int64 confusion matrix; rows are true classes, columns predicted."""
    c = len(classes)
    # searchsorted maps each label to its row: classes is sorted and holds every label.
    ti = np.searchsorted(classes, true)
    pi = np.searchsorted(classes, pred)
    return np.bincount(ti * c + pi, minlength=c * c).reshape(c, c).astype(np.int64, copy=False)


def _check_zero_division(zero_division: float) -> float:
    if isinstance(zero_division, (bool, str)) or not isinstance(zero_division, (int, float, np.floating)) or not (
            math.isnan(zero_division) or zero_division in (0, 1)):
        raise ValueError(f"zero_division must be 0.0, 1.0 or nan, got {zero_division!r}")
    return float(zero_division)


def _divide(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    """num / den as float64, with ``zero_division`` where den is 0."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, zero_division, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
    """Mean of ``values`` (weighted if given), skipping nan (only possible with zero_division=nan)."""
    keep = ~np.isnan(values)
    if not keep.any():
        return math.nan
    values = values[keep]
    if weights is None:
        return float(values.mean())
    weights = weights[keep].astype(np.float64)
    total = weights.sum()
    # Only reachable with zero_division=nan, when every class that has support scored nan.
    return float((values * weights).sum() / total) if total > 0 else math.nan


# ------------------------------------------------------------------ metrics
def accuracy(y_pred: Any, y_true: Any) -> float:
    """Fraction of samples whose predicted label equals the true label.

    ``accuracy = (1/N) * sum_i [y_pred_i == y_true_i]``

    Args:
        y_pred: predicted labels, shape ``(N,)``.
        y_true: true labels, shape ``(N,)``.

    Returns:
        a Python float in [0, 1].

    Example::

        >>> accuracy(glasstorch.tensor([0, 2, 1, 3]), [0, 1, 2, 3])
        0.5
    """
    pred, true = _check_pair(y_pred, y_true)
    return float(np.count_nonzero(pred == true) / pred.shape[0])


def confusion_matrix(y_pred: Any, y_true: Any, num_classes: int | None = None) -> Tensor:
    """The confusion matrix ``C``: ``C[i, j]`` counts samples of true class ``i`` predicted as ``j``.

    Rows are true classes and columns predicted classes, as in scikit-learn, so ``C.sum(1)`` is
    each class's support and ``C.diagonal().sum() / C.sum()`` the accuracy.

    Args:
        y_pred: predicted labels, shape ``(N,)``.
        y_true: true labels, shape ``(N,)``.
        num_classes: if given, the classes are ``0 .. num_classes - 1`` (a label outside raises a
            ValueError); otherwise the sorted union of the labels that occur.

    Returns:
        an int64 tensor of shape ``(C, C)``.

    Example::

        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
        tensor([[1, 0, 0],
                [0, 1, 0],
                [0, 1, 1]])
    """
    pred, true = _check_pair(y_pred, y_true)
    return Tensor._make(_confusion(pred, true, _classes(pred, true, num_classes)))


def _prf(y_pred, y_true, average, pos_label, num_classes, zero_division):
    """Precision, recall and F1 with the requested averaging (shared by the three metrics)."""
    if average not in _AVERAGES:
        raise ValueError(f"average has to be one of {_AVERAGES}, got {average!r}")
    zero_division = _check_zero_division(zero_division)
    pred, true = _check_pair(y_pred, y_true)
    classes = _classes(pred, true, num_classes)

    if average == "binary":
        if len(classes) > 2:
            raise ValueError(f"Target is multiclass ({len(classes)} classes: {classes.tolist()}) but "
                             "average='binary'. Please choose another average setting, one of "
                             "[None, 'micro', 'macro', 'weighted'].")
        if len(classes) == 2 and pos_label not in classes.tolist():
            raise ValueError(f"pos_label={pos_label!r} is not a valid label. It should be one of "
                             f"{classes.tolist()}")
        # With a single class present, pos_label may be absent: its counts are simply zero.
        p, t = pred == pos_label, true == pos_label
        tp = np.count_nonzero(p & t)
        fp = np.count_nonzero(p & ~t)
        fn = np.count_nonzero(~p & t)
    else:
        cm = _confusion(pred, true, classes)
        tp = np.diagonal(cm)
        fp = cm.sum(axis=0) - tp
        fn = cm.sum(axis=1) - tp
        if average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()

    prec = _divide(tp, tp + fp, zero_division)
    rec = _divide(tp, tp + fn, zero_division)
    # From the counts, not from prec and rec: a precision replaced by zero_division=1 must not
    # inflate F1 (tp=fp=0, fn=3 has F1 = 0).
    f1 = _divide(2 * tp, 2 * tp + fp + fn, zero_division)

    if average is None:
        return tuple(Tensor._make(v) for v in (prec, rec, f1))
    if average in ("binary", "micro"):
        return float(prec), float(rec), float(f1)
    weights = (tp + fn) if average == "weighted" else None  # support of each true class
    return tuple(_nanaverage(v, weights) for v in (prec, rec, f1))


_AVG_DOC = """
    Args:
        y_pred: predicted labels, shape ``(N,)`` (tensor, NumPy array or list of ints or bools).
        y_true: true labels, shape ``(N,)``.
        average: how the per-class scores are combined:

            * ``'binary'`` (default): only the class ``pos_label``; the data must have at most
              two classes.
            * ``'micro'``: from the counts summed over classes (for single-label multiclass data
              this equals the accuracy).
            * ``'macro'``: the unweighted mean of the per-class scores.
            * ``'weighted'``: the mean of the per-class scores weighted by each class's support
              (its number of true samples).
            * ``None``: the per-class scores, a float64 tensor in class order.
        pos_label: the positive class for ``average='binary'``.
        num_classes: if given, the classes are ``0 .. num_classes - 1``; classes that never occur
            still count in ``'macro'`` (with the ``zero_division`` score). Otherwise the classes are
            the sorted union of the labels that occur.
        zero_division: the score of a class whose denominator is 0: ``0.0``, ``1.0`` or ``nan``
            (nan scores are left out of the ``'macro'`` and ``'weighted'`` means).

    Returns:
        a Python float, or a float64 tensor of per-class scores when ``average=None``.
"""


def precision(y_pred: Any, y_true: Any, *, average: str | None = "binary", pos_label: int = 1,
              num_classes: int | None = None, zero_division: float = 0.0) -> float | Tensor:
    """Precision: of the samples predicted as a class, the fraction that truly are.

    ``precision_k = TP_k / (TP_k + FP_k)``
    """
    return _prf(y_pred, y_true, average, pos_label, num_classes, zero_division)[0]


def recall(y_pred: Any, y_true: Any, *, average: str | None = "binary", pos_label: int = 1,
           num_classes: int | None = None, zero_division: float = 0.0) -> float | Tensor:
    """Recall: of the samples of a class, the fraction predicted as that class.

    ``recall_k = TP_k / (TP_k + FN_k)``
    """
    return _prf(y_pred, y_true, average, pos_label, num_classes, zero_division)[1]


def f1_score(y_pred: Any, y_true: Any, *, average: str | None = "binary", pos_label: int = 1,
             num_classes: int | None = None, zero_division: float = 0.0) -> float | Tensor:
    """F1: the harmonic mean of precision and recall.

    ``F1_k = 2 * P_k * R_k / (P_k + R_k) = 2 TP_k / (2 TP_k + FP_k + FN_k)``

    The right-hand form is the one computed; it is 0 (not undefined) when ``TP_k = 0`` but the
    class was predicted or present. With ``'macro'``, F1 is the mean of the per-class F1 scores,
    not the F1 of the mean precision and recall.
    """
    return _prf(y_pred, y_true, average, pos_label, num_classes, zero_division)[2]


def _append_doc(fn, text: str) -> None:
    if fn.__doc__:  # None under python -OO
        fn.__doc__ += text


_append_doc(precision, _AVG_DOC + """
    Example::

        >>> precision([1, 1, 0, 1], [1, 0, 0, 1])   # TP=2, FP=1
        0.6666666666666666
""")
_append_doc(recall, _AVG_DOC + """
    Example::

        >>> recall([1, 0, 0, 1], [1, 1, 0, 1])   # TP=2, FN=1
        0.6666666666666666
""")
_append_doc(f1_score, _AVG_DOC + """
    Example::

        >>> f1_score([1, 1, 0, 0], [1, 0, 1, 0])   # TP=1, FP=1, FN=1
        0.5
""")
