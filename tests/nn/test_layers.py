"""Linear, Bilinear, Identity/Flatten/Unflatten, Dropout, Embedding, Upsample/interpolate,
PixelShuffle and the small functional helpers (one_hot, normalize, cosine_similarity,
pairwise_distance) against torch."""
import math
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt
from harness import Op, check, ints, nograd


def F(t):
    return t.nn.functional


# ======================================================= functional rows (harness)
CASES = [
    # ---- linear: input of any leading dims, with and without bias
    Op("linear_2d", lambda t, x, w, b: F(t).linear(x, w, b), [(5, 4), (3, 4), (3,)]),
    Op("linear_nobias", lambda t, x, w: F(t).linear(x, w), [(5, 4), (3, 4)]),
    Op("linear_1d_input", lambda t, x, w, b: F(t).linear(x, w, b), [(4,), (3, 4), (3,)]),
    Op("linear_3d_input", lambda t, x, w, b: F(t).linear(x, w, b), [(2, 5, 4), (3, 4), (3,)]),
    Op("linear_4d_nobias", lambda t, x, w: F(t).linear(x, w), [(2, 3, 2, 4), (6, 4)]),
    Op("linear_scalar_bias", lambda t, x, w, b: F(t).linear(x, w, b), [(5, 4), (3, 4), ()]),
    Op("linear_bcast_bias", lambda t, x, w, b: F(t).linear(x, w, b), [(5, 4), (3, 4), (5, 1)]),
    Op("linear_weight_vector", lambda t, x, w: F(t).linear(x, w), [(5, 4), (4,)]),
    Op("linear_weight_vector_bias", lambda t, x, w, b: F(t).linear(x, w, b), [(2, 5, 4), (4,), ()]),
    Op("linear_empty_batch", lambda t, x, w, b: F(t).linear(x, w, b), [(0, 4), (3, 4), (3,)]),
    Op("linear_nograd_weight", lambda t, x, w: F(t).linear(x, w), [(5, 4), nograd(3, 4)]),
    Op("linear_same_tensor", lambda t, x: F(t).linear(x, x, x[0]), [(4, 4)]),
    Op("linear_squared", lambda t, x, w, b: F(t).linear(x, w, b) ** 2, [(2, 5, 4), (3, 4), (3,)]),
    Op("linear_int", lambda t: F(t).linear(t.arange(6).reshape(2, 3), t.arange(12).reshape(4, 3)), [], grad=False),
    # ---- bilinear
    Op("bilinear", lambda t, a, b, w, c: F(t).bilinear(a, b, w, c), [(5, 3), (5, 4), (2, 3, 4), (2,)]),
    Op("bilinear_nobias", lambda t, a, b, w: F(t).bilinear(a, b, w), [(5, 3), (5, 4), (2, 3, 4)]),
    Op("bilinear_1d", lambda t, a, b, w, c: F(t).bilinear(a, b, w, c), [(3,), (4,), (2, 3, 4), (2,)]),
    Op("bilinear_3d", lambda t, a, b, w, c: F(t).bilinear(a, b, w, c), [(2, 5, 3), (2, 5, 4), (2, 3, 4), (2,)]),
    Op("bilinear_same_input", lambda t, a, w: F(t).bilinear(a, a, w), [(5, 3), (2, 3, 3)]),
    # ---- embedding: repeated indices accumulate; padding_idx gets no gradient
    Op("embedding", lambda t, w, i: F(t).embedding(i, w), [(10, 3), ints(10, 4, 5)]),
    Op("embedding_1d", lambda t, w, i: F(t).embedding(i, w), [(10, 3), ints(10, 30)]),
    Op("embedding_0d_index", lambda t, w, i: F(t).embedding(i, w), [(10, 3), ints(10)]),
    Op("embedding_repeated", lambda t, w: F(t).embedding(t.tensor([[1, 1, 1], [2, 1, 2]]), w), [(4, 3)]),
    Op("embedding_padding", lambda t, w, i: F(t).embedding(i, w, padding_idx=0), [(5, 3), ints(5, 6, 4)]),
    Op("embedding_padding_neg", lambda t, w, i: F(t).embedding(i, w, padding_idx=-1), [(5, 3), ints(5, 20)]),
    Op("embedding_freq", lambda t, w, i: F(t).embedding(i, w, scale_grad_by_freq=True), [(6, 2), ints(6, 5, 4)]),
    Op("embedding_freq_padding", lambda t, w, i: F(t).embedding(i, w, padding_idx=2, scale_grad_by_freq=True),
       [(6, 2), ints(6, 5, 4)]),
    Op("embedding_int32", lambda t, w, i: F(t).embedding(i.int(), w), [(10, 3), ints(10, 7)]),
    Op("embedding_empty", lambda t, w: F(t).embedding(t.zeros(0, 2, dtype=t.int64), w), [(4, 3)]),
    Op("embedding_squared", lambda t, w, i: F(t).embedding(i, w, padding_idx=1) ** 2, [(5, 3), ints(5, 6, 4)]),
    Op("embedding_freq_squared", lambda t, w, i: F(t).embedding(i, w, padding_idx=1, scale_grad_by_freq=True) ** 2,
       [(5, 3), ints(5, 6, 4)]),
    Op("embedding_int_weight", lambda t: F(t).embedding(t.tensor([2, 0]), t.arange(6).reshape(3, 2)), [],
       grad=False),
    # ---- one_hot
    Op("one_hot", lambda t, i: F(t).one_hot(i), [ints(5, 3, 4)], grad=False),
    Op("one_hot_classes", lambda t, i: F(t).one_hot(i, 7), [ints(5, 6)], grad=False),
    Op("one_hot_0d", lambda t: F(t).one_hot(t.tensor(2), 4), [], grad=False),
    Op("one_hot_empty", lambda t: F(t).one_hot(t.zeros(0, dtype=t.int64), 3), [], grad=False),
    # ---- pixel shuffle
    Op("pixel_shuffle", lambda t, x: F(t).pixel_shuffle(x, 2), [(2, 8, 3, 4)]),
    Op("pixel_shuffle_3d", lambda t, x: F(t).pixel_shuffle(x, 3), [(9, 2, 2)]),
    Op("pixel_shuffle_5d", lambda t, x: F(t).pixel_shuffle(x, 2) ** 2, [(2, 3, 4, 2, 3)]),
    Op("pixel_unshuffle", lambda t, x: F(t).pixel_unshuffle(x, 2), [(2, 2, 4, 6)]),
    Op("pixel_unshuffle_sq", lambda t, x: F(t).pixel_unshuffle(x, 3) ** 2, [(1, 6, 3)]),
    Op("pixel_roundtrip", lambda t, x: F(t).pixel_unshuffle(F(t).pixel_shuffle(x, 2), 2) * x, [(1, 4, 2, 3)]),
    # ---- normalize, cosine_similarity, pairwise_distance
    Op("normalize", lambda t, x: F(t).normalize(x), [(4, 5)]),
    Op("normalize_p1_dim0", lambda t, x: F(t).normalize(x, p=1, dim=0), [(4, 5)]),
    Op("normalize_last", lambda t, x: F(t).normalize(x, dim=-1), [(2, 3, 5)]),
    Op("normalize_dims", lambda t, x: F(t).normalize(x, dim=(0, 2)), [(2, 3, 5)]),
    Op("normalize_p3", lambda t, x: F(t).normalize(x, p=3.0, dim=1), [(3, 4)]),
    Op("normalize_eps_active", lambda t, x: F(t).normalize(x * 1e-3, eps=1.0), [(3, 4)]),
    Op("cosine_similarity", lambda t, a, b: F(t).cosine_similarity(a, b), [(5, 4), (5, 4)]),
    Op("cosine_similarity_dim", lambda t, a, b: F(t).cosine_similarity(a, b, dim=-1), [(2, 3, 4), (2, 3, 4)]),
    Op("cosine_similarity_bcast", lambda t, a, b: F(t).cosine_similarity(a, b, dim=-1), [(3, 4), (4,)]),
    Op("cosine_similarity_1d", lambda t, a, b: F(t).cosine_similarity(a, b, dim=0), [(6,), (6,)]),
    Op("cosine_similarity_same", lambda t, a: F(t).cosine_similarity(a, a * 2 + 1), [(5, 4)]),
    Op("cosine_similarity_eps", lambda t, a, b: F(t).cosine_similarity(a * 1e-9, b, eps=1e-3), [(5, 4), (5, 4)]),
    Op("cosine_similarity_f32_f64", lambda t, a, b: F(t).cosine_similarity(a.float(), b), [(5, 4), (5, 4)],
       rtol=1e-6, atol=1e-7),
    Op("pairwise_distance", lambda t, a, b: F(t).pairwise_distance(a, b), [(5, 4), (5, 4)]),
    Op("pairwise_distance_p1_keep", lambda t, a, b: F(t).pairwise_distance(a, b, p=1.0, keepdim=True),
       [(5, 4), (4,)]),
    Op("pairwise_distance_p3", lambda t, a, b: F(t).pairwise_distance(a, b, p=3.0, eps=0.1), [(2, 5, 4), (5, 4)]),
    # ---- dropout when it does nothing (the random cases are tested below)
    Op("dropout_eval", lambda t, x: F(t).dropout(x, 0.3, training=False) * 1, [(4, 5)]),
    Op("dropout_p0", lambda t, x: F(t).dropout(x, 0.0) * 1, [(4, 5)]),
    Op("dropout_p1", lambda t, x: F(t).dropout(x, 1.0), [(4, 5)]),
    Op("dropout2d_p1", lambda t, x: F(t).dropout2d(x, 1.0), [(2, 3, 4, 5)]),
    Op("alpha_dropout_eval", lambda t, x: F(t).alpha_dropout(x, 0.3) * 1, [(4, 5)]),
]

# ---- interpolate: every mode, size and scale_factor, up and down, non-integer factors
INTERP = [
    ("nearest_1d_scale2", (2, 3, 5), dict(scale_factor=2)),
    ("nearest_1d_size", (2, 3, 5), dict(size=7)),
    ("nearest_1d_down", (2, 3, 9), dict(size=4)),
    ("nearest_1d_frac", (2, 3, 5), dict(scale_factor=1.7)),
    ("nearest_2d_scale2", (2, 3, 4, 5), dict(scale_factor=2)),
    ("nearest_2d_size", (2, 3, 4, 5), dict(size=(7, 3))),
    ("nearest_2d_frac", (2, 3, 4, 5), dict(scale_factor=(1.5, 2.3))),
    ("nearest_2d_down_frac", (1, 2, 9, 8), dict(scale_factor=0.45)),
    ("nearest_2d_recompute", (1, 2, 5, 6), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ("nearest_3d", (1, 2, 3, 4, 2), dict(scale_factor=(2, 1.5, 3))),
    ("nearest_exact_1d", (2, 3, 5), dict(scale_factor=1.7, mode="nearest-exact")),
    ("nearest_exact_2d", (2, 3, 5, 4), dict(size=(3, 7), mode="nearest-exact")),
    ("linear_1d", (2, 3, 5), dict(scale_factor=2, mode="linear")),
    ("linear_1d_ac", (2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ("bilinear_scale2", (2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ("bilinear_scale2_ac", (2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ("bilinear_size", (2, 3, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ("bilinear_size_ac", (2, 3, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ("bilinear_frac", (1, 2, 5, 4), dict(scale_factor=(1.3, 2.7), mode="bilinear")),
    ("bilinear_frac_ac", (1, 2, 5, 4), dict(scale_factor=(1.3, 2.7), mode="bilinear", align_corners=True)),
    ("bilinear_down", (1, 2, 9, 8), dict(size=(4, 3), mode="bilinear")),
    ("bilinear_down_ac", (1, 2, 9, 8), dict(scale_factor=0.4, mode="bilinear", align_corners=True)),
    ("bilinear_to_one", (1, 2, 4, 4), dict(size=(1, 3), mode="bilinear", align_corners=True)),
    ("bilinear_same_size", (1, 2, 4, 4), dict(size=(4, 6), mode="bilinear")),
    ("bilinear_recompute", (1, 2, 5, 4), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ("trilinear", (1, 2, 3, 2, 4), dict(scale_factor=(2, 1.5, 0.5), mode="trilinear")),
]
for name, shape, kw in INTERP:
    CASES += [Op(f"interpolate_{name}", lambda t, x, kw=kw: F(t).interpolate(x, **kw), [shape]),
              # The square makes the first gradient depend on x: it exercises the adjoint's backward.
              Op(f"interpolate_{name}_sq", lambda t, x, kw=kw: F(t).interpolate(x, **kw) ** 2, [shape])]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_functional(case):
    check(case)


def test_interpolate_nearest_picks_torchs_source_pixels():
    # Index computations in float: whole-number values make any off-by-one pixel visible.
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        for shape, kw in [((1, 1, 37), dict(scale_factor=0.3)), ((1, 1, 11, 13), dict(scale_factor=(1 / 3, 2.7))),
                          ((1, 1, 7, 6), dict(size=(23, 5))), ((1, 1, 5), dict(scale_factor=1.1)),
                          ((1, 1, 5, 3, 4), dict(scale_factor=2.1)),
                          ((1, 1, 19, 4), dict(scale_factor=(2.5, 3.0), mode="nearest-exact"))]:
            x = rng.permutation(int(np.prod(shape))).astype(dt).reshape(shape)
            ours = F(gt).interpolate(gt.from_numpy(x), **kw).numpy()
            theirs = F(torch).interpolate(torch.from_numpy(x), **kw).numpy()
            np.testing.assert_array_equal(ours, theirs)


def test_interpolate_float32_matches_torch_bitwise_for_bilinear():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 13, 11)).astype(np.float32)
    for kw in [dict(scale_factor=3.0), dict(size=(29, 5)), dict(scale_factor=(0.7, 1.9), align_corners=True)]:
        ours = F(gt).interpolate(gt.from_numpy(x), mode="bilinear", **kw)
        theirs = F(torch).interpolate(torch.from_numpy(x), mode="bilinear", **kw)
        assert ours.dtype == gt.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6, atol=1e-6)


def test_interpolate_linear_float32_weights_match_torch_bitwise():
    # torch computes the source index with a fused multiply-add; a separate multiply and
    # subtract moves some weights by one float ulp, visible on whole-number inputs.
    for n, kw in [(331, dict(scale_factor=3.0)), (305, dict(scale_factor=3.0)), (200, dict(size=597)),
                  (97, dict(scale_factor=1.7, align_corners=True))]:
        x = np.arange(n, dtype=np.float32).reshape(1, 1, n)
        ours = F(gt).interpolate(gt.from_numpy(x), mode="linear", **kw).numpy()
        theirs = F(torch).interpolate(torch.from_numpy(x), mode="linear", **kw).numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_interpolate_nearest_gradient_follows_torch_backward_indices():
    # torch's nearest backward maps out == in to a copy even when its forward did not.
    for shape, sf in [((1, 1, 5), 1.1), ((1, 1, 5), 2.1)]:
        x = np.arange(5.0).reshape(shape)
        tx = torch.from_numpy(x).requires_grad_()
        gx = gt.from_numpy(x.copy()).requires_grad_()
        F(torch).interpolate(tx, scale_factor=sf).sum().backward()
        F(gt).interpolate(gx, scale_factor=sf).sum().backward()
        np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())


def test_upsample_node_names():
    x = gt.randn(1, 1, 2, 2, requires_grad=True)
    assert F(gt).interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"
    assert F(gt).interpolate(x, scale_factor=2, mode="bilinear").grad_fn.name() == "UpsampleBilinear2DBackward0"
    assert F(gt).embedding(gt.tensor([1]), x[0, 0]).grad_fn.name() == "EmbeddingBackward0"
    assert F(gt).pixel_shuffle(x.reshape(1, 4, 1, 1), 2).grad_fn.name() == "PixelShuffleBackward0"


# ============================================================ errors like torch
ERRORS = [
    ("linear_shapes", lambda t: F(t).linear(t.ones(3, 4), t.ones(2, 5)), RuntimeError, "cannot be multiplied"),
    ("linear_0d", lambda t: F(t).linear(t.tensor(1.0), t.ones(2, 4)), RuntimeError, "at least 1D"),
    ("linear_3d_weight", lambda t: F(t).linear(t.ones(3, 4), t.ones(2, 4, 1)), RuntimeError, "t\\(\\) expects"),
    ("linear_dtypes", lambda t: F(t).linear(t.ones(3, 4), t.ones(2, 4, dtype=t.float64)), RuntimeError,
     "same dtype"),
    ("linear_bias_size", lambda t: F(t).linear(t.ones(3, 4), t.ones(2, 4), t.ones(3)), RuntimeError, "size"),
    ("bilinear_batch", lambda t: F(t).bilinear(t.ones(3, 4), t.ones(2, 5), t.ones(2, 4, 5)), RuntimeError,
     "batch dimensions do not match"),
    ("bilinear_in1", lambda t: F(t).bilinear(t.ones(3, 3), t.ones(3, 5), t.ones(2, 4, 5)), RuntimeError,
     "input1 size does not match"),
    ("bilinear_in2", lambda t: F(t).bilinear(t.ones(3, 4), t.ones(3, 6), t.ones(2, 4, 5)), RuntimeError,
     "input2 size does not match"),
    ("bilinear_bias", lambda t: F(t).bilinear(t.ones(3, 4), t.ones(3, 5), t.ones(2, 4, 5), t.ones(3)), RuntimeError,
     "bias size does not match"),
    ("dropout_p_high", lambda t: F(t).dropout(t.ones(3), 1.5), ValueError, "between 0 and 1, but got 1.5"),
    ("dropout_p_low", lambda t: F(t).dropout(t.ones(3), -0.1), ValueError, "between 0 and 1"),
    ("dropout2d_p", lambda t: F(t).dropout2d(t.ones(2, 3, 4), 2.0), ValueError, "between 0 and 1"),
    ("dropout_module_p", lambda t: t.nn.Dropout(1.2), ValueError, "between 0 and 1"),
    ("dropout_int", lambda t: F(t).dropout(t.ones(3, dtype=t.int64), 0.5), RuntimeError, "can't be cast"),
    ("dropout1d_4d", lambda t: F(t).dropout1d(t.ones(2, 3, 4, 5)), RuntimeError, "Expected 2D or 3D input"),
    ("feature_dropout_1d", lambda t: F(t).feature_alpha_dropout(t.ones(3), 0.5, True), RuntimeError,
     "at least 2 dimensions"),
    ("embedding_float_index", lambda t: F(t).embedding(t.tensor([1.0]), t.ones(3, 2)), RuntimeError,
     "Long, Int; but got torch.FloatTensor"),
    ("embedding_range", lambda t: F(t).embedding(t.tensor([3]), t.ones(3, 2)), IndexError, "index out of range"),
    ("embedding_negative", lambda t: F(t).embedding(t.tensor([-1]), t.ones(3, 2)), IndexError, "out of range"),
    ("embedding_weight_1d", lambda t: F(t).embedding(t.tensor([1]), t.ones(3)), RuntimeError, "must be 2-D"),
    ("embedding_padding", lambda t: F(t).embedding(t.tensor([1]), t.ones(3, 2), padding_idx=3), AssertionError,
     "Padding_idx must be within num_embeddings"),
    ("embedding_module_padding", lambda t: t.nn.Embedding(3, 2, padding_idx=-4), AssertionError, "Padding_idx"),
    ("embedding_pretrained_1d", lambda t: t.nn.Embedding.from_pretrained(t.ones(3)), AssertionError,
     "2-dimensional"),
    ("one_hot_dtype", lambda t: F(t).one_hot(t.tensor([1, 2], dtype=t.int32)), RuntimeError, "LongTensor"),
    ("one_hot_negative", lambda t: F(t).one_hot(t.tensor([1, -2]), 5), RuntimeError, "non-negative"),
    ("one_hot_too_big", lambda t: F(t).one_hot(t.tensor([1, 2]), 2), RuntimeError, "smaller than num_classes"),
    ("one_hot_empty", lambda t: F(t).one_hot(t.zeros(0, dtype=t.int64)), RuntimeError, "empty tensor"),
    ("pixel_shuffle_2d", lambda t: F(t).pixel_shuffle(t.ones(3, 3), 2), RuntimeError, "at least 3 dimensions"),
    ("pixel_shuffle_channels", lambda t: F(t).pixel_shuffle(t.ones(2, 6, 3, 3), 2), RuntimeError,
     "input.size\\(-3\\)=6 is not divisible by 4"),
    ("pixel_shuffle_factor", lambda t: F(t).pixel_shuffle(t.ones(2, 8, 3, 3), 0), RuntimeError, "positive"),
    ("pixel_shuffle_float", lambda t: F(t).pixel_shuffle(t.ones(2, 8, 3, 3), 2.0), TypeError, "must be int"),
    ("pixel_unshuffle_h", lambda t: F(t).pixel_unshuffle(t.ones(2, 2, 5, 6), 2), RuntimeError, "height"),
    ("pixel_unshuffle_w", lambda t: F(t).pixel_unshuffle(t.ones(2, 2, 4, 5), 2), RuntimeError, "width"),
    ("normalize_dim", lambda t: F(t).normalize(t.ones(3, 4), dim=2), IndexError, "Dimension out of range"),
    ("normalize_int", lambda t: F(t).normalize(t.ones(3, 4, dtype=t.int64)), RuntimeError, "floating point"),
    ("cosine_shapes", lambda t: F(t).cosine_similarity(t.ones(3, 4), t.ones(3, 5)), RuntimeError,
     "must match the size"),
    ("cosine_dim", lambda t: F(t).cosine_similarity(t.ones(3, 4), t.ones(3, 4), dim=2), IndexError,
     "Dimension out of range"),
    ("cosine_int", lambda t: F(t).cosine_similarity(t.ones(3, 4, dtype=t.int64), t.ones(3, 4, dtype=t.int64)),
     RuntimeError, "floating point"),
    ("interp_none", lambda t: F(t).interpolate(t.ones(1, 1, 4)), ValueError, "either size or scale_factor"),
    ("interp_both", lambda t: F(t).interpolate(t.ones(1, 1, 4), 2, 2.0), ValueError, "only one of size"),
    ("interp_align_nearest", lambda t: F(t).interpolate(t.ones(1, 1, 4), 2, align_corners=True), ValueError,
     "align_corners option"),
    ("interp_size_len", lambda t: F(t).interpolate(t.ones(1, 1, 4, 4), size=(2, 3, 4)), ValueError,
     "same number of spatial dimensions"),
    ("interp_scale_len", lambda t: F(t).interpolate(t.ones(1, 1, 4, 4), scale_factor=(2.0,)), ValueError,
     "same number of spatial dimensions"),
    ("interp_size_float", lambda t: F(t).interpolate(t.ones(1, 1, 4, 4), size=(3.5, 2)), TypeError,
     "expected size"),
    ("interp_recompute_size", lambda t: F(t).interpolate(t.ones(1, 1, 4), size=3, recompute_scale_factor=True),
     ValueError, "not meaningful"),
    ("interp_zero_out", lambda t: F(t).interpolate(t.ones(1, 1, 4, 5), scale_factor=0.1), RuntimeError,
     "should be greater than 0, but got input \\(H: 4, W: 5\\) output \\(H: 0, W: 0\\)"),
    ("interp_zero_out_1d", lambda t: F(t).interpolate(t.ones(1, 1, 4), size=0), RuntimeError,
     "input \\(W: 4\\) and output \\(W: 0\\)"),
    ("interp_empty_channels", lambda t: F(t).interpolate(t.ones(1, 0, 4, 5), size=3), RuntimeError,
     "Non-empty 4D data tensor expected"),
    ("interp_linear_4d", lambda t: F(t).interpolate(t.ones(1, 1, 4, 4), size=3, mode="linear"),
     NotImplementedError, "linear mode needs 3D input"),
    ("interp_bilinear_3d", lambda t: F(t).interpolate(t.ones(1, 1, 4), size=3, mode="bilinear"),
     NotImplementedError, "bilinear mode needs 4D input"),
    ("interp_2d_input", lambda t: F(t).interpolate(t.ones(4, 4), size=3), NotImplementedError,
     "Only 3D, 4D and 5D input"),
    ("interp_bad_mode", lambda t: F(t).interpolate(t.ones(1, 1, 4), size=3, mode="foo"), NotImplementedError,
     "got foo"),
    ("interp_long_bilinear", lambda t: F(t).interpolate(t.ones(1, 1, 4, 4, dtype=t.int64), size=3,
                                                        mode="bilinear"), NotImplementedError, "not implemented"),
    ("interp_antialias_nearest", lambda t: F(t).interpolate(t.ones(1, 1, 4, 4), size=3, antialias=True),
     ValueError, "Anti-alias option"),
    ("unflatten_size_type", lambda t: t.nn.Unflatten(1, 4), TypeError, "must be a tuple of ints"),
    ("unflatten_size_elem", lambda t: t.nn.Unflatten(1, (2, 2.0)), TypeError, "element of type float at pos 1"),
    ("bilinear_module_in1", lambda t: t.nn.Bilinear(0, 2, 3), ValueError, "in1_features must be > 0"),
]


@pytest.mark.parametrize("name,fn,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, fn, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc):
            fn(torch)
        with pytest.raises(exc, match=match):
            fn(gt)


def test_dropout2d_warnings_like_torch():
    for shape, n_warn in [((2, 3, 4), 1), ((2, 3), 1), ((2, 3, 4, 5), 0), ((1, 2, 3, 4, 5), 1)]:
        for t in (torch, gt):
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                F(t).dropout2d(t.ones(shape), 0.5)
            assert len(rec) == n_warn, (t.__name__, shape)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F(gt).dropout2d(gt.ones(2, 3, 4), 0.5)


# ============================================================== module parity
def _parity(make, inputs, rtol=1e-7, atol=1e-9, train=True):
    """Same constructor, torch's weights copied in, float64: outputs and all gradients equal."""
    tmod = make(torch).double()
    gmod = make(gt).double()
    gmod.train(train)
    tmod.train(train)
    assert repr(gmod) == repr(tmod).replace("torch.", "glasstorch.")
    t_sd, g_sd = tmod.state_dict(), gmod.state_dict()
    assert list(g_sd.keys()) == list(t_sd.keys())
    assert [tuple(v.shape) for v in g_sd.values()] == [tuple(v.shape) for v in t_sd.values()]
    gmod.load_state_dict({k: gt.tensor(v.detach().numpy()) for k, v in t_sd.items()})
    t_in, g_in = [], []
    for a in inputs:
        if a.dtype.kind == "f":
            t_in.append(torch.tensor(a, requires_grad=True))
            g_in.append(gt.tensor(a, requires_grad=True))
        else:
            t_in.append(torch.tensor(a))
            g_in.append(gt.tensor(a))
    t_out, g_out = tmod(*t_in), gmod(*g_in)
    assert tuple(g_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol, atol=atol)
    v = np.random.default_rng(3).standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(v))
    g_out.backward(gt.tensor(v))
    for ti, gi in zip(t_in, g_in):
        if ti.requires_grad:
            np.testing.assert_allclose(gi.grad.numpy(), ti.grad.numpy(), rtol=rtol, atol=atol)
    g_params = dict(gmod.named_parameters())
    for name, tp in tmod.named_parameters():
        gp = g_params[name]
        if tp.grad is None:
            assert gp.grad is None, name
        else:
            np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)
    return gmod, tmod


RNG = np.random.default_rng(7)
MODULES = [
    ("Linear", lambda t: t.nn.Linear(4, 3), [RNG.standard_normal((5, 4))]),
    ("Linear_nobias", lambda t: t.nn.Linear(4, 3, bias=False), [RNG.standard_normal((2, 5, 4))]),
    ("Linear_1d", lambda t: t.nn.Linear(4, 2), [RNG.standard_normal(4)]),
    ("Bilinear", lambda t: t.nn.Bilinear(3, 4, 2), [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))]),
    ("Bilinear_nobias", lambda t: t.nn.Bilinear(3, 4, 2, bias=False),
     [RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 5, 4))]),
    ("Embedding", lambda t: t.nn.Embedding(10, 3), [RNG.integers(0, 10, (4, 6))]),
    ("Embedding_padding", lambda t: t.nn.Embedding(10, 3, padding_idx=0), [RNG.integers(0, 10, (4, 6))]),
    ("Embedding_freq", lambda t: t.nn.Embedding(5, 2, padding_idx=-2, scale_grad_by_freq=True),
     [RNG.integers(0, 5, (7, 3))]),
    ("Identity", lambda t: t.nn.Identity(3, unused=1), [RNG.standard_normal((2, 3))]),
    ("Flatten", lambda t: t.nn.Flatten(), [RNG.standard_normal((2, 3, 4, 5))]),
    ("Flatten_dims", lambda t: t.nn.Flatten(0, 2), [RNG.standard_normal((2, 3, 4, 5))]),
    ("Unflatten", lambda t: t.nn.Unflatten(1, (2, 6)), [RNG.standard_normal((3, 12, 2))]),
    ("Unflatten_list", lambda t: t.nn.Unflatten(-1, [3, -1]), [RNG.standard_normal((2, 12))]),
    ("Dropout_eval", lambda t: t.nn.Dropout(0.3), [RNG.standard_normal((4, 5))]),
    ("Dropout2d_eval", lambda t: t.nn.Dropout2d(0.3, inplace=True), [RNG.standard_normal((2, 3, 4, 5))]),
    ("AlphaDropout_eval", lambda t: t.nn.AlphaDropout(0.2), [RNG.standard_normal((4, 5))]),
    ("Upsample", lambda t: t.nn.Upsample(scale_factor=2), [RNG.standard_normal((1, 2, 3, 4))]),
    ("Upsample_bilinear", lambda t: t.nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False),
     [RNG.standard_normal((1, 2, 3, 4))]),
    ("Upsample_linear", lambda t: t.nn.Upsample(scale_factor=(1.5,), mode="linear"), [RNG.standard_normal((2, 2, 5))]),
    ("UpsamplingNearest2d", lambda t: t.nn.UpsamplingNearest2d(size=5), [RNG.standard_normal((1, 2, 3, 4))]),
    ("UpsamplingBilinear2d", lambda t: t.nn.UpsamplingBilinear2d(scale_factor=3),
     [RNG.standard_normal((1, 2, 3, 4))]),
    ("PixelShuffle", lambda t: t.nn.PixelShuffle(2), [RNG.standard_normal((2, 8, 3, 3))]),
    ("PixelUnshuffle", lambda t: t.nn.PixelUnshuffle(2), [RNG.standard_normal((2, 2, 4, 6))]),
    ("Sequential", lambda t: t.nn.Sequential(t.nn.Flatten(), t.nn.Linear(12, 6), t.nn.Dropout(0.5),
                                             t.nn.Unflatten(1, (2, 3)), t.nn.Linear(3, 2)),
     [RNG.standard_normal((4, 3, 4))]),
]


@pytest.mark.parametrize("name,make,inputs", MODULES, ids=[m[0] for m in MODULES])
def test_module_parity(name, make, inputs):
    _parity(make, inputs, train=not name.endswith("_eval") and name != "Sequential")
    if name == "Sequential":
        _parity(make, inputs, train=False)


@pytest.mark.parametrize("make", [
    lambda t: t.nn.Embedding(10, 3, padding_idx=0, max_norm=1.5, norm_type=1.0, scale_grad_by_freq=True,
                             sparse=True),
    lambda t: t.nn.Embedding(10, 3, max_norm=2.0),
    lambda t: t.nn.Upsample(size=3, mode="bilinear"),
    lambda t: t.nn.Upsample(scale_factor=(2, 3), mode="nearest"),
    lambda t: t.nn.Unflatten(1, [2, 2]),
    lambda t: t.nn.Dropout1d(0.1, True),
    lambda t: t.nn.Dropout3d(),
    lambda t: t.nn.FeatureAlphaDropout(0.25),
    lambda t: t.nn.Linear(4, 2, bias=False),
])
def test_repr_matches_torch(make):
    assert repr(make(gt)) == repr(make(torch))


def test_embedding_max_norm_renormalizes_weight_in_place():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((6, 4)) * 3
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    for norm_type in (2.0, 1.0, 3.0, math.inf):
        tw, gw = torch.tensor(w.copy(), requires_grad=True), gt.tensor(w.copy(), requires_grad=True)
        t_out = F(torch).embedding(torch.tensor(idx), tw, max_norm=2.0, norm_type=norm_type)
        version = gw._version.value
        g_out = F(gt).embedding(gt.tensor(idx), gw, max_norm=2.0, norm_type=norm_type)
        assert gw._version.value > version
        np.testing.assert_allclose(gw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(g_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
        # Rows not looked up are left alone.
        np.testing.assert_array_equal(gw.detach().numpy()[[3, 4]], w[[3, 4]])
        t_out.sum().backward()
        g_out.sum().backward()
        np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy())


def test_embedding_from_pretrained():
    w = gt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    emb = gt.nn.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad
    assert emb.weight.data_ptr() == w.data_ptr()  # shares memory, as in torch
    np.testing.assert_array_equal(emb(gt.tensor([2, 0])).numpy(), [[5.0, 6.0], [1.0, 2.0]])
    emb = gt.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert emb.weight.requires_grad and emb.padding_idx == 1
    emb(gt.tensor([1, 1, 2])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1]])
    assert repr(emb) == repr(torch.nn.Embedding.from_pretrained(torch.ones(3, 2), padding_idx=1))


def test_embedding_gradient_accumulates_repeats():
    w = gt.randn(4, 2, requires_grad=True)
    F(gt).embedding(gt.tensor([[0, 0], [3, 0]]), w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[3, 3], [0, 0], [0, 0], [1, 1]])


def test_embedding_large_sparse_gradient_matches_torch():
    # Few rows touched in a large table: the scatter takes its sparse path.
    rng = np.random.default_rng(2)
    w = rng.standard_normal((5000, 8))
    idx = rng.integers(0, 5000, (50, 3))
    idx[0, :] = idx[1, 0]  # some repeats
    tw, gw = torch.tensor(w, requires_grad=True), gt.tensor(w, requires_grad=True)
    v = rng.standard_normal((50, 3, 8))
    F(torch).embedding(torch.tensor(idx), tw, padding_idx=int(idx[2, 2])).backward(torch.tensor(v))
    F(gt).embedding(gt.tensor(idx), gw, padding_idx=int(idx[2, 2])).backward(gt.tensor(v))
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


# ============================================================ initialization
def test_linear_init_distribution():
    gt.manual_seed(0)
    m = gt.nn.Linear(400, 250)
    bound = 1 / math.sqrt(400)
    for p in (m.weight, m.bias):
        a = p.detach().numpy()
        assert a.dtype == np.float32 and p.requires_grad
        assert a.min() >= -bound and a.max() < bound
    w = m.weight.detach().numpy().astype(np.float64)
    # U(-b, b): mean 0, variance b^2 / 3; 1e5 samples give ~1% standard error on the variance.
    assert abs(w.mean()) < 4 * bound / math.sqrt(3 * w.size)
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.02
    assert abs(w.min() + bound) < 1e-3 and abs(w.max() - bound) < 1e-3
    tw = torch.nn.Linear(400, 250).weight.detach().numpy().astype(np.float64)
    assert abs(w.var() / tw.var() - 1) < 0.03
    assert gt.nn.Linear(3, 2, dtype=gt.float64).weight.dtype == gt.float64


def test_linear_init_is_reproducible():
    gt.manual_seed(123)
    a = gt.nn.Linear(5, 4)
    gt.manual_seed(123)
    b = gt.nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    np.testing.assert_array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())
    assert not np.array_equal(a.weight.detach().numpy(), gt.nn.Linear(5, 4).weight.detach().numpy())


def test_bilinear_init_distribution():
    gt.manual_seed(1)
    m = gt.nn.Bilinear(64, 30, 50)
    bound = 1 / math.sqrt(64)
    w = m.weight.detach().numpy().astype(np.float64)
    assert w.min() >= -bound and w.max() < bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.03
    assert np.abs(m.bias.detach().numpy()).max() < bound


def test_embedding_init_distribution():
    gt.manual_seed(2)
    m = gt.nn.Embedding(1000, 100, padding_idx=3)
    w = m.weight.detach().numpy().astype(np.float64)
    assert m.weight.dtype == gt.float32
    np.testing.assert_array_equal(w[3], 0)
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02
    tw = torch.nn.Embedding(1000, 100).weight.detach().numpy()
    assert abs(rest.std() / tw.std() - 1) < 0.03


# ================================================================== dropout
def test_dropout_statistics():
    x = gt.ones(100_000)
    for p in (0.1, 0.5, 0.8):
        y = F(gt).dropout(x, p).numpy()
        zero = np.mean(y == 0)
        assert abs(zero - p) < 4 * math.sqrt(p * (1 - p) / x.numel())
        kept = y[y != 0]
        np.testing.assert_array_equal(kept, np.float32(1) / np.float32(1 - p))
        assert y.dtype == np.float32


def test_dropout_backward_uses_the_same_mask():
    x = gt.randn(50, 40, dtype=gt.float64, requires_grad=True)
    y = F(gt).dropout(x, 0.4)
    assert y.grad_fn.name() == "MulBackward0"  # as torch on the CPU
    v = gt.randn(50, 40, dtype=gt.float64)
    y.backward(v)
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), v.numpy() * mask)
    assert set(np.round(np.unique(mask), 12)) == {0.0, round(1 / 0.6, 12)}
    # Double backward: the gradient is linear in the upstream gradient, through the same mask.
    x.grad = None
    y = F(gt).dropout(x, 0.4)
    (g,) = gt.autograd.grad((y ** 2).sum(), x, create_graph=True)
    (gg,) = gt.autograd.grad(g.sum(), x)
    m = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(gg.numpy(), 2 * m * m)


def test_dropout_reproducible_under_manual_seed():
    x = gt.randn(30, 30)
    gt.manual_seed(42)
    a = F(gt).dropout(x, 0.5).numpy().copy()
    b = F(gt).dropout(x, 0.5).numpy().copy()
    gt.manual_seed(42)
    c = F(gt).dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)
    gt.manual_seed(7)
    m = gt.nn.Dropout2d(0.5)
    d = m(gt.ones(4, 6, 3, 3)).numpy().copy()
    gt.manual_seed(7)
    np.testing.assert_array_equal(m(gt.ones(4, 6, 3, 3)).numpy(), d)


def test_dropout_eval_and_training_false_are_identity():
    x = gt.randn(5, 4, requires_grad=True)
    for fn in (F(gt).dropout, F(gt).dropout2d, F(gt).dropout1d, F(gt).alpha_dropout, F(gt).feature_alpha_dropout):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert fn(x, 0.5, False) is x
    assert F(gt).dropout(x, 0.0) is x  # p = 0 returns the input itself, like torch
    for m in (gt.nn.Dropout(), gt.nn.Dropout1d(), gt.nn.Dropout2d(), gt.nn.Dropout3d(), gt.nn.AlphaDropout(),
              gt.nn.FeatureAlphaDropout()):
        m.eval()
        inp = gt.randn(*{gt.nn.Dropout1d: (2, 3, 4), gt.nn.Dropout2d: (2, 3, 4, 5)}.get(type(m), (2, 3, 4, 5, 6)))
        assert m(inp) is inp
        assert gt.is_grad_enabled()  # eval() changes layer behaviour only
        m.train()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert not np.array_equal(m(inp).numpy(), inp.numpy())


def test_dropout_p_one_gives_zeros():
    x = gt.randn(3, 4, requires_grad=True)
    y = F(gt).dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


def test_dropout2d_zeroes_whole_channels():
    x = gt.ones(8, 16, 5, 5)
    y = gt.nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(8, 16, 25)
    # Each channel is either all zero or all scaled by 2.
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    dropped = (per_channel == 0).all(-1).mean()
    assert 0.3 < dropped < 0.7
    # 3-D input is (N, C, L) in torch's dropout2d: channels of length L.
    with pytest.warns(UserWarning):
        y = F(gt).dropout2d(gt.ones(20, 30, 7), 0.5).numpy()
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))
    # dropout1d/3d on unbatched input: one draw per channel.
    y = F(gt).dropout1d(gt.ones(40, 7), 0.5).numpy()
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))
    y = F(gt).dropout3d(gt.ones(40, 2, 3, 4), 0.5).numpy().reshape(40, -1)
    assert np.all((y == 0).all(-1) | (y == 2).all(-1)) and 0 < (y == 0).all(-1).mean() < 1


def test_dropout_inplace():
    x = gt.ones(1000)
    y = F(gt).dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}
    leaf = gt.ones(3, requires_grad=True)
    h = leaf * 1
    version = h._version.value
    out = gt.nn.Dropout(0.5, inplace=True)(h)
    assert out is h and h._version.value > version
    out.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), h.detach().numpy())
    with pytest.raises(RuntimeError):
        F(gt).dropout(gt.ones(3, requires_grad=True), 0.5, inplace=True)


def test_alpha_dropout_keeps_mean_and_variance():
    gt.manual_seed(0)
    x = gt.randn(200_000)
    y = F(gt).alpha_dropout(x, 0.2, training=True).numpy().astype(np.float64)
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    # Dropped units all take one value: a * alpha' + b.
    values, counts = np.unique(np.round(y, 5), return_counts=True)
    assert abs(counts.max() / y.size - 0.2) < 0.01
    y = gt.nn.FeatureAlphaDropout(0.5)(gt.randn(50, 40, 6)).numpy()
    assert np.all(np.ptp(y, axis=-1)[(np.ptp(y, axis=-1) == 0)] == 0)
    assert (np.ptp(y, axis=-1) == 0).mean() > 0.3  # dropped channels are constant


# =================================================================== float32
F32 = [
    ("linear", lambda t, x: F(t).linear(x, t.ones(3, 4) * 0.5, t.ones(3))),
    ("linear_3d", lambda t, x: F(t).linear(x.reshape(2, 3, 4), t.ones(3, 4) * 0.5)),
    ("bilinear", lambda t, x: F(t).bilinear(x, x, t.ones(2, 4, 4), t.ones(2))),
    ("embedding", lambda t, x: F(t).embedding(t.tensor([[0, 3], [3, 5]]), x, padding_idx=0, scale_grad_by_freq=True)),
    ("nearest", lambda t, x: F(t).interpolate(x.reshape(1, 2, 3, 4), scale_factor=1.5)),
    ("bilinear_interp", lambda t, x: F(t).interpolate(x.reshape(1, 2, 3, 4), size=(5, 7), mode="bilinear")),
    ("linear_interp", lambda t, x: F(t).interpolate(x.reshape(2, 3, 4), scale_factor=2.5, mode="linear",
                                                    align_corners=True)),
    ("pixel_shuffle", lambda t, x: F(t).pixel_shuffle(x.reshape(1, 4, 3, 2), 2)),
    ("normalize", lambda t, x: F(t).normalize(x)),
    ("cosine", lambda t, x: F(t).cosine_similarity(x, x.flip(0))),
    ("pairwise", lambda t, x: F(t).pairwise_distance(x, x.flip(0))),
    ("dropout", lambda t, x: F(t).dropout(x, 0.3)),
    ("dropout2d", lambda t, x: F(t).dropout2d(x.reshape(1, 2, 3, 4), 0.3)),
    ("alpha_dropout", lambda t, x: F(t).alpha_dropout(x, 0.3, True)),
]


@pytest.mark.parametrize("name,fn", F32, ids=[f[0] for f in F32])
def test_float32_stays_float32(name, fn):
    x = gt.randn(6, 4, requires_grad=True)
    y = fn(gt, x)
    assert y.dtype == gt.float32, name
    (g,) = gt.autograd.grad((y * y).sum(), x, create_graph=True)
    assert g.dtype == gt.float32
    (gg,) = gt.autograd.grad(g.sum(), x, allow_unused=True)
    assert gg is None or gg.dtype == gt.float32
    if name in ("dropout", "dropout2d", "alpha_dropout"):
        return
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    ty = fn(torch, tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=2e-5, atol=2e-6)
    (tg,) = torch.autograd.grad((ty * ty).sum(), tx)
    np.testing.assert_allclose(g.detach().numpy(), tg.numpy(), rtol=2e-4, atol=1e-5)


def test_module_float32_parameters_and_grads():
    for m, inp in [(gt.nn.Linear(4, 3), gt.randn(2, 4)), (gt.nn.Embedding(5, 3), gt.tensor([1, 4])),
                   (gt.nn.Bilinear(4, 4, 2), None)]:
        out = m(inp) if inp is not None else m(gt.randn(2, 4), gt.randn(2, 4))
        assert out.dtype == gt.float32
        out.sum().backward()
        for p in m.parameters():
            assert p.dtype == gt.float32 and p.grad.dtype == gt.float32
