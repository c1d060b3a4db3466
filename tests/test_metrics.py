"""glasstorch.metrics against hand-computed confusion matrices.

scikit-learn is not a dependency, so every expected number below is derived by hand from a
confusion matrix written out in the comments (rows = true class, columns = predicted class).
Note the argument order: ``metric(y_pred, y_true)``.
"""
import math

import numpy as np
import pytest

import glasstorch as gt
from glasstorch import metrics as M

# ---------------------------------------------------------------- binary case
# (true, pred) pairs: (1,1) (1,0) (1,1) (0,0) (0,1) (0,0) (1,1) (0,1)
#             pred 0  pred 1
#   true 0  [   2,      2  ]     TN=2  FP=2
#   true 1  [   1,      3  ]     FN=1  TP=3
BIN_TRUE = [1, 1, 1, 0, 0, 0, 1, 0]
BIN_PRED = [1, 0, 1, 0, 1, 0, 1, 1]
# positive class 1: P = 3/5, R = 3/4, F1 = 2*3 / (2*3 + 2 + 1) = 6/9
# positive class 0: TP=2, FP=1 (true 1 predicted 0), FN=2: P = 2/3, R = 2/4, F1 = 4/(4+1+2) = 4/7


def test_binary_confusion_and_accuracy():
    assert M.confusion_matrix(BIN_PRED, BIN_TRUE).tolist() == [[2, 2], [1, 3]]
    assert M.accuracy(BIN_PRED, BIN_TRUE) == pytest.approx(5 / 8)


def test_binary_default_pos_label():
    assert M.precision(BIN_PRED, BIN_TRUE) == pytest.approx(3 / 5)
    assert M.recall(BIN_PRED, BIN_TRUE) == pytest.approx(3 / 4)
    assert M.f1_score(BIN_PRED, BIN_TRUE) == pytest.approx(2 / 3)
    # F1 is the harmonic mean of P and R
    p, r = 3 / 5, 3 / 4
    assert M.f1_score(BIN_PRED, BIN_TRUE) == pytest.approx(2 * p * r / (p + r))


def test_binary_pos_label_zero():
    assert M.precision(BIN_PRED, BIN_TRUE, pos_label=0) == pytest.approx(2 / 3)
    assert M.recall(BIN_PRED, BIN_TRUE, pos_label=0) == pytest.approx(1 / 2)
    assert M.f1_score(BIN_PRED, BIN_TRUE, pos_label=0) == pytest.approx(4 / 7)


def test_binary_other_averages():
    # Both supports are 4, so weighted == macro here.
    for avg in ("macro", "weighted"):
        assert M.precision(BIN_PRED, BIN_TRUE, average=avg) == pytest.approx((2 / 3 + 3 / 5) / 2)
        assert M.recall(BIN_PRED, BIN_TRUE, average=avg) == pytest.approx((1 / 2 + 3 / 4) / 2)
        assert M.f1_score(BIN_PRED, BIN_TRUE, average=avg) == pytest.approx((4 / 7 + 2 / 3) / 2)
    # micro: TP summed = 2 + 3 = 5, FP summed = 1 + 2 = 3, FN summed = 2 + 1 = 3 -> 5/8 = accuracy
    for fn in (M.precision, M.recall, M.f1_score):
        assert fn(BIN_PRED, BIN_TRUE, average="micro") == pytest.approx(5 / 8)
    per_class = M.precision(BIN_PRED, BIN_TRUE, average=None)
    assert isinstance(per_class, gt.Tensor) and per_class.dtype == gt.float64
    np.testing.assert_allclose(per_class.numpy(), [2 / 3, 3 / 5])
    np.testing.assert_allclose(M.recall(BIN_PRED, BIN_TRUE, average=None).numpy(), [1 / 2, 3 / 4])
    np.testing.assert_allclose(M.f1_score(BIN_PRED, BIN_TRUE, average=None).numpy(), [4 / 7, 2 / 3])


# ------------------------------------------------------------ multiclass case
#             pred 0  pred 1  pred 2    support
#   true 0  [   3,      1,      0  ]      4
#   true 1  [   1,      2,      2  ]      5
#   true 2  [   0,      1,      1  ]      2
# TP = [3, 2, 1]; column sums [4, 4, 3] -> FP = [1, 2, 2]; row sums [4, 5, 2] -> FN = [1, 3, 1]
# P  = [3/4, 2/4, 1/3]
# R  = [3/4, 2/5, 1/2]
# F1 = 2TP / (2TP + FP + FN) = [6/8, 4/9, 2/5]
MC_TRUE = [0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
MC_PRED = [0, 0, 0, 1, 0, 1, 1, 2, 2, 1, 2]
MC_CM = [[3, 1, 0], [1, 2, 2], [0, 1, 1]]
MC_P, MC_R, MC_F1 = [3 / 4, 2 / 4, 1 / 3], [3 / 4, 2 / 5, 1 / 2], [6 / 8, 4 / 9, 2 / 5]


def test_multiclass_confusion_and_accuracy():
    assert M.confusion_matrix(MC_PRED, MC_TRUE).tolist() == MC_CM
    cm = M.confusion_matrix(MC_PRED, MC_TRUE)
    assert cm.dtype == gt.int64 and tuple(cm.shape) == (3, 3)
    assert M.accuracy(MC_PRED, MC_TRUE) == pytest.approx(6 / 11)  # trace 6 of 11


def test_multiclass_sample_order_does_not_matter():
    perm = [7, 2, 10, 0, 5, 9, 1, 8, 3, 6, 4]
    true, pred = [MC_TRUE[i] for i in perm], [MC_PRED[i] for i in perm]
    assert M.confusion_matrix(pred, true).tolist() == MC_CM
    assert M.f1_score(pred, true, average="macro") == pytest.approx(M.f1_score(MC_PRED, MC_TRUE, average="macro"))


def test_multiclass_per_class():
    np.testing.assert_allclose(M.precision(MC_PRED, MC_TRUE, average=None).numpy(), MC_P)
    np.testing.assert_allclose(M.recall(MC_PRED, MC_TRUE, average=None).numpy(), MC_R)
    np.testing.assert_allclose(M.f1_score(MC_PRED, MC_TRUE, average=None).numpy(), MC_F1)


def test_multiclass_macro():
    # P: (9/12 + 6/12 + 4/12) / 3 = 19/36;  R: (15/20 + 8/20 + 10/20) / 3 = 11/20
    # F1: (135/180 + 80/180 + 72/180) / 3 = 287/540
    assert M.precision(MC_PRED, MC_TRUE, average="macro") == pytest.approx(19 / 36)
    assert M.recall(MC_PRED, MC_TRUE, average="macro") == pytest.approx(11 / 20)
    assert M.f1_score(MC_PRED, MC_TRUE, average="macro") == pytest.approx(287 / 540)


def test_multiclass_weighted():
    # weights = supports [4, 5, 2], total 11
    # P: (4*3/4 + 5*2/4 + 2*1/3) / 11 = (3 + 5/2 + 2/3) / 11 = 37/66
    # R: (4*3/4 + 5*2/5 + 2*1/2) / 11 = 6/11 (weighted recall is always the accuracy)
    # F1: (4*6/8 + 5*4/9 + 2*2/5) / 11 = (3 + 20/9 + 4/5) / 11 = 271/495
    assert M.precision(MC_PRED, MC_TRUE, average="weighted") == pytest.approx(37 / 66)
    assert M.recall(MC_PRED, MC_TRUE, average="weighted") == pytest.approx(6 / 11)
    assert M.f1_score(MC_PRED, MC_TRUE, average="weighted") == pytest.approx(271 / 495)


def test_multiclass_micro_is_accuracy():
    # sum TP = 6, sum FP = 5, sum FN = 5: P = R = F1 = 6/11
    for fn in (M.precision, M.recall, M.f1_score):
        assert fn(MC_PRED, MC_TRUE, average="micro") == pytest.approx(6 / 11)


def test_return_types():
    assert type(M.accuracy(MC_PRED, MC_TRUE)) is float
    for fn in (M.precision, M.recall, M.f1_score):
        for avg in ("micro", "macro", "weighted"):
            assert type(fn(MC_PRED, MC_TRUE, average=avg)) is float
        assert type(fn(BIN_PRED, BIN_TRUE)) is float
        out = fn(MC_PRED, MC_TRUE, average=None)
        assert isinstance(out, gt.Tensor) and out.dtype == gt.float64 and tuple(out.shape) == (3,)


# ---------------------------------------------------------- label sets, num_classes
def test_labels_are_sorted_union_without_num_classes():
    # labels {3, 7}: true [3, 7, 7], pred [7, 7, 3]
    #            pred 3  pred 7
    #   true 3  [  0,      1  ]
    #   true 7  [  1,      1  ]
    assert M.confusion_matrix([7, 7, 3], [3, 7, 7]).tolist() == [[0, 1], [1, 1]]
    # binary with pos_label=7: TP=1, FP=1, FN=1
    assert M.precision([7, 7, 3], [3, 7, 7], pos_label=7) == pytest.approx(1 / 2)
    # a class that only appears in the predictions (2) still gets a row, of zeros
    assert M.confusion_matrix([0, 2], [0, 0]).tolist() == [[1, 1], [0, 0]]


def test_num_classes_adds_absent_classes():
    # true [0, 1, 0, 1], pred [0, 1, 1, 1], num_classes=3 (class 2 never occurs)
    #            pred 0  pred 1  pred 2
    #   true 0  [  1,      1,      0  ]
    #   true 1  [  0,      2,      0  ]
    #   true 2  [  0,      0,      0  ]
    # TP = [1, 2, 0], FP = [0, 1, 0], FN = [1, 0, 0]
    # P = [1, 2/3, zd], R = [1/2, 1, zd], F1 = [2/3, 4/5, zd]     (zd: zero_division)
    true, pred = [0, 1, 0, 1], [0, 1, 1, 1]
    assert M.confusion_matrix(pred, true, num_classes=3).tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    np.testing.assert_allclose(M.precision(pred, true, average=None, num_classes=3).numpy(), [1, 2 / 3, 0])
    np.testing.assert_allclose(M.f1_score(pred, true, average=None, num_classes=3,
                                          zero_division=1.0).numpy(), [2 / 3, 4 / 5, 1])
    # macro includes the absent class with its zero_division score
    assert M.precision(pred, true, average="macro", num_classes=3) == pytest.approx((1 + 2 / 3) / 3)
    assert M.precision(pred, true, average="macro", num_classes=3,
                       zero_division=1.0) == pytest.approx((1 + 2 / 3 + 1) / 3)
    # nan scores are left out of the mean
    assert M.precision(pred, true, average="macro", num_classes=3,
                       zero_division=math.nan) == pytest.approx((1 + 2 / 3) / 2)
    # without num_classes only classes 0 and 1 exist
    assert M.precision(pred, true, average="macro") == pytest.approx((1 + 2 / 3) / 2)
    # weighted: supports [2, 2, 0] -> the absent class has weight 0 whatever zero_division is
    for zd in (0.0, 1.0, math.nan):
        assert M.precision(pred, true, average="weighted", num_classes=3,
                           zero_division=zd) == pytest.approx((2 * 1 + 2 * 2 / 3) / 4)
    # recall: (1/2 + 1 + zd) / 3
    assert M.recall(pred, true, average="macro", num_classes=3) == pytest.approx(1.5 / 3)


def test_binary_with_num_classes():
    assert M.f1_score(BIN_PRED, BIN_TRUE, num_classes=2) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="multiclass"):
        M.f1_score(BIN_PRED, BIN_TRUE, num_classes=3)
    with pytest.raises(ValueError, match="pos_label=2 is not a valid label"):
        M.f1_score(BIN_PRED, BIN_TRUE, pos_label=2)


# ------------------------------------------------------------ zero division
def test_zero_division_never_predicted_positive():
    # true [0, 0, 1, 1], pred all 0:  TP=0, FP=0, FN=2
    true, pred = [0, 0, 1, 1], [0, 0, 0, 0]
    assert M.precision(pred, true) == 0.0
    assert M.precision(pred, true, zero_division=1.0) == 1.0
    assert math.isnan(M.precision(pred, true, zero_division=math.nan))
    assert M.recall(pred, true) == 0.0  # 0 / 2, defined
    # F1 = 2*0 / (0 + 0 + 2) = 0 is defined: zero_division=1 must not leak into it
    assert M.f1_score(pred, true, zero_division=1.0) == 0.0


def test_zero_division_positive_class_absent():
    # Only class 0 anywhere; binary pos_label=1: TP = FP = FN = 0, everything undefined.
    true = pred = [0, 0, 0]
    for fn in (M.precision, M.recall, M.f1_score):
        assert fn(pred, true) == 0.0
        assert fn(pred, true, zero_division=1.0) == 1.0
        assert math.isnan(fn(pred, true, zero_division=math.nan))
    assert M.accuracy(pred, true) == 1.0


def test_zero_division_nan_in_per_class_and_weighted():
    # true [0, 0], pred [1, 1]:
    #            pred 0  pred 1
    #   true 0  [  0,      2  ]     class 0: P undefined (never predicted), support 2
    #   true 1  [  0,      0  ]     class 1: P = 0/2 = 0, support 0
    per = M.precision([1, 1], [0, 0], average=None, zero_division=math.nan).numpy()
    assert math.isnan(per[0]) and per[1] == 0.0
    # weighted: the only class with support scored nan -> nan
    assert math.isnan(M.precision([1, 1], [0, 0], average="weighted", zero_division=math.nan))
    assert M.precision([1, 1], [0, 0], average="weighted", zero_division=1.0) == 1.0  # (2*1 + 0*0)/2
    assert M.precision([1, 1], [0, 0], average="macro", zero_division=1.0) == 0.5  # (1 + 0)/2


def test_bad_zero_division():
    for zd in (0.5, "warn", None, 2):
        with pytest.raises(ValueError, match="zero_division"):
            M.precision(BIN_PRED, BIN_TRUE, zero_division=zd)


# ------------------------------------------------------- perfect and all wrong
def test_perfect_predictions():
    y = [0, 1, 2, 2, 1]
    assert M.accuracy(y, y) == 1.0
    assert M.confusion_matrix(y, y).tolist() == [[1, 0, 0], [0, 2, 0], [0, 0, 2]]
    for fn in (M.precision, M.recall, M.f1_score):
        for avg in ("micro", "macro", "weighted"):
            assert fn(y, y, average=avg) == 1.0
        np.testing.assert_array_equal(fn(y, y, average=None).numpy(), [1.0, 1.0, 1.0])
        assert fn([0, 1, 1], [0, 1, 1]) == 1.0


def test_all_wrong_predictions():
    # binary: true [0, 1, 0, 1], pred flipped: TP=0, FP=2, FN=2 -> all scores 0 (defined)
    assert M.accuracy([1, 0, 1, 0], [0, 1, 0, 1]) == 0.0
    assert M.confusion_matrix([1, 0, 1, 0], [0, 1, 0, 1]).tolist() == [[0, 2], [2, 0]]
    for fn in (M.precision, M.recall, M.f1_score):
        for avg in ("binary", "micro", "macro", "weighted"):
            assert fn([1, 0, 1, 0], [0, 1, 0, 1], average=avg, zero_division=1.0) == 0.0
    # multiclass cyclic shift: true [0, 1, 2], pred [1, 2, 0]
    assert M.confusion_matrix([1, 2, 0], [0, 1, 2]).tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert M.f1_score([1, 2, 0], [0, 1, 2], average="macro") == 0.0


# -------------------------------------------------------------- input kinds
@pytest.mark.parametrize("kind", ["list", "tensor", "numpy32", "numpy_bool", "tensor_bool", "list_bool",
                                  "float_tensor", "mixed"])
def test_input_kinds_agree(kind):
    pred, true = BIN_PRED, BIN_TRUE
    conv = {
        "list": lambda y: list(y),
        "tensor": lambda y: gt.tensor(y),
        "numpy32": lambda y: np.array(y, dtype=np.int32),
        "numpy_bool": lambda y: np.array(y, dtype=bool),
        "tensor_bool": lambda y: gt.tensor(y).bool(),
        "list_bool": lambda y: [bool(v) for v in y],
        "float_tensor": lambda y: gt.tensor(y, dtype=gt.float32),
    }
    if kind == "mixed":
        p, t = gt.tensor(pred), np.array(true, dtype=np.uint8)
    else:
        p, t = conv[kind](pred), conv[kind](true)
    assert M.accuracy(p, t) == pytest.approx(5 / 8)
    assert M.precision(p, t) == pytest.approx(3 / 5)
    assert M.recall(p, t) == pytest.approx(3 / 4)
    assert M.f1_score(p, t) == pytest.approx(2 / 3)
    assert M.f1_score(p, t, average="macro") == pytest.approx((4 / 7 + 2 / 3) / 2)
    assert M.confusion_matrix(p, t).tolist() == [[2, 2], [1, 3]]


def test_argmax_of_logits_workflow():
    logits = gt.tensor([[2.0, 0.1, 0.3], [0.0, 1.0, 3.0], [0.5, 0.2, 0.1], [0.0, 4.0, 1.0]])
    true = gt.tensor([0, 2, 1, 1])
    # argmax -> [0, 2, 0, 1]: 3 of 4 right
    assert M.accuracy(logits.argmax(dim=1), true) == 0.75


# ------------------------------------------------------------------ errors
def test_mismatched_lengths():
    for fn in (M.accuracy, M.precision, M.recall, M.f1_score, M.confusion_matrix):
        with pytest.raises(ValueError, match="different lengths: 3 and 2"):
            fn([0, 1, 1], [0, 1])


def test_bad_average():
    for fn in (M.precision, M.recall, M.f1_score):
        with pytest.raises(ValueError, match="average has to be one of"):
            fn(BIN_PRED, BIN_TRUE, average="samples")


def test_binary_average_on_multiclass():
    with pytest.raises(ValueError, match=r"multiclass \(3 classes: \[0, 1, 2\]\) but average='binary'"):
        M.precision(MC_PRED, MC_TRUE)


def test_not_labels():
    with pytest.raises(ValueError, match="argmax"):
        M.accuracy(gt.zeros(4, 3), [0, 1, 2, 0])
    with pytest.raises(ValueError, match="non-integer"):
        M.accuracy([0.2, 0.9], [0, 1])
    with pytest.raises(ValueError, match="integer or boolean"):
        M.accuracy(["cat", "dog"], ["cat", "cat"])
    with pytest.raises(ValueError, match="empty"):
        M.accuracy([], [])
    with pytest.raises(ValueError, match="1-D"):
        M.accuracy(3, 3)


def test_num_classes_errors():
    with pytest.raises(ValueError, match=r"y_true contains label 3, outside \[0, 2\]"):
        M.confusion_matrix([0, 1, 2], [0, 1, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"y_pred contains label -1"):
        M.confusion_matrix([0, -1, 2], [0, 1, 2], num_classes=3)
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        M.confusion_matrix([0], [0], num_classes=0)
