"""Linear algebra: matmul and its 2-D/batched/vector forms, outer, einsum, addmm, tensordot.

Every product goes through two primitives:

* ``MatMul`` wraps ``np.matmul`` (BLAS), with NumPy's (and torch's) rules for 1-D
  operands and batch broadcasting. ``mm``, ``bmm``, ``mv`` and ``dot`` check their
  stricter shape rules and then use it too.
* ``Einsum`` wraps ``np.einsum`` on an equation already cleaned up by ``einsum``:
  no ellipsis and no broadcast size-1 dimensions, so each subscript has one size.

Both backward passes are products of the same kind, so gradients of any order work.
Batch broadcasting is undone by the engine, as for every op.
"""
from __future__ import annotations

import math
import string
from typing import Sequence

import numpy as np

from .._tensor import Tensor, _TYPE_NAMES, _wrap_dim
from ..autograd.function import _Primitive
from ..autograd.grad_mode import _state
from .elementwise import add, mul
from .shape import Reshape

# torch's names for dtypes in its error messages: C++ names for m1/m2 checks, Scalar names elsewhere.
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _dt_name(x: np.ndarray, names: dict) -> str:
    return names[x.dtype.name]


def _shape_str(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _reshape(t: Tensor, shape: tuple) -> Tensor:
    return t if t._data.shape == shape else Reshape.apply(t, shape)


class _SwapLastDims(_Primitive):
    """``x.mT`` as a NumPy view; its own adjoint. Private: matmul's backward needs it."""

    @staticmethod
    def forward(ctx, x):
        return Tensor._view_of(x, np.swapaxes(x._data, -1, -2))

    @staticmethod
    def backward(ctx, grad):
        return _SwapLastDims.apply(grad)


# ------------------------------------------------------------------ matmul
def _batch_mismatch(sa: tuple, sb: tuple) -> str | None:
    """torch's message when the batch dimensions of a matmul do not broadcast, else None."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return (f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                    f"at non-singleton dimension {i}")
    return None


def _matmul_shape_error(sa: tuple, sb: tuple) -> str | None:
    """The message torch gives for a matmul of these shapes, or None when they fit."""
    da, db = len(sa), len(sb)
    if da == 1 and db == 1:
        if sa[0] != sb[0]:
            return (f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the same "
                    f"number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        return None
    if db == 1:
        if sa[-1] != sb[0]:
            rows = math.prod(sa[:-1])
            return f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})"
        return None
    if db == 2:
        # torch folds the batch of the first operand into its rows.
        if sa[-1] != sb[0]:
            rows = math.prod(sa[:-1])
            return f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and {_shape_str(sb)})"
        return None
    msg = _batch_mismatch(sa[:-2], sb[:-2])
    if msg is not None:
        return msg
    if sa[-1] != sb[-2]:
        batch = math.prod(np.broadcast_shapes(sa[:-2], sb[:-2]))
        return (f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {sa[-1]}] "
                f"but got: [{batch}, {sb[-2]}].")
    return None


def _check_matmul(x: np.ndarray, y: np.ndarray) -> None:
    """Raises torch's errors for operands np.matmul must not multiply."""
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{x.ndim}D and {y.ndim}D")
    msg = _matmul_shape_error(x.shape, y.shape)
    if msg is not None:
        raise RuntimeError(msg)
    if x.dtype != y.dtype:
        if x.ndim == 1 and y.ndim == 1:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{_dt_name(x, _SCALAR_NAMES)} and {_dt_name(y, _SCALAR_NAMES)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dt_name(x, _C_NAMES)} != {_dt_name(y, _C_NAMES)}")
    if x.dtype == np.bool_:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


class MatMul(_Primitive):
    """``np.matmul`` with torch's checks: 1-D operands are promoted and the added dim removed."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = a._data, b._data
        if x.dtype != y.dtype or x.ndim == 0 or y.ndim == 0 or x.dtype == np.bool_:
            _check_matmul(x, y)
        ctx.save_for_backward(a, b)
        try:
            if x.ndim > 2 and y.ndim == 2:
                # One large GEMM instead of one small GEMM per batch entry.
                rows = math.prod(x.shape[:-1])
                return np.matmul(x.reshape(rows, x.shape[-1]), y).reshape(x.shape[:-1] + y.shape[-1:])
            return np.matmul(x, y)
        except ValueError:
            _check_matmul(x, y)
            raise

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = a._data.shape, b._data.shape
        # Promote 1-D operands to matrices, as the forward did, so one formula serves every case.
        A = _reshape(a, (1, sa[0])) if len(sa) == 1 else a
        B = _reshape(b, (sb[0], 1)) if len(sb) == 1 else b
        cols = B._data.shape[-1]
        G = _reshape(grad, _promoted_grad_shape(grad._data.shape, len(sa), len(sb), cols))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(G, _SwapLastDims.apply(B))
            if len(sa) == 1:
                ga = _reshape(ga, ga._data.shape[:-2] + (sa[0],))
        if ctx.needs_input_grad[1]:
            if B._data.ndim == 2 and A._data.ndim > 2:
                # The sum over the batch is part of one GEMM: (k, batch*rows) @ (batch*rows, cols).
                n = math.prod(A._data.shape[:-1])
                A2, G2 = _reshape(A, (n, A._data.shape[-1])), _reshape(G, (n, cols))
                gb = matmul(_SwapLastDims.apply(A2), G2)
            else:
                gb = matmul(_SwapLastDims.apply(A), G)
            if len(sb) == 1:
                gb = _reshape(gb, gb._data.shape[:-2] + (sb[0],))
        return ga, gb


def _promoted_grad_shape(gshape: tuple, da: int, db: int, cols: int) -> tuple:
    """The output shape the matmul had before the dims added for 1-D operands were removed."""
    if da == 1 and db == 1:
        return (1, 1)
    if db == 1:
        return gshape + (1,)
    if da == 1:
        return gshape[:-1] + (1, cols)
    return gshape


# torch names the node after the kernel it ran; these subclasses only rename it.
class Mm(MatMul):
    pass


class Bmm(MatMul):
    pass


class Mv(MatMul):
    pass


class Dot(MatMul):
    pass


_MATMUL_NODE = {(1, 1): Dot, (2, 1): Mv, (2, 2): Mm}


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product of two tensors, with NumPy's rules for 1-D and batched operands.

    * 1-D and 1-D: the dot product (a 0-d tensor);
    * 2-D and 2-D: the matrix product;
    * 1-D first: a 1 is prepended to its shape and removed afterwards;
    * 1-D second: a 1 is appended to its shape and removed afterwards;
    * more dimensions: a batched product, the batch dimensions broadcast.

    Example::

        >>> glasstorch.matmul(glasstorch.randn(2, 1, 3, 4), glasstorch.randn(5, 4, 2)).shape
        glasstorch.Size([2, 5, 3, 2])
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    return _MATMUL_NODE.get((input._data.ndim, other._data.ndim), MatMul).apply(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors: (n, m) @ (m, p) -> (n, p). No broadcasting."""
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return Mm.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of 3-D tensors: (b, n, m) @ (b, m, p) -> (b, n, p). No broadcasting."""
    x, y = input._data, mat2._data
    if x.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if y.shape[:2] != (x.shape[0], x.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}].")
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {_dt_name(x, _SCALAR_NAMES)} but found {_dt_name(y, _SCALAR_NAMES)}")
    return Bmm.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product: (n, m) @ (m,) -> (n,)."""
    x, y = input._data, vec._data
    if x.ndim != 2 or y.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {x.ndim}, {y.ndim}")
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({x.shape[0]}), mat ({_shape_str(x.shape)}), vec ({y.shape[0]})")
    return Mv.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Dot product of two 1-D tensors of the same length; a 0-d tensor."""
    x, y = input._data, tensor._data
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    return Dot.apply(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: (n,) and (m,) -> (n, m). Dtypes promote as in ``mul``."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    # A broadcast product: no summation, so nothing for BLAS to do.
    return mul(_reshape(input, (input._data.shape[0], 1)), vec2)


ger = outer


def _check_expand(shape: tuple, target: tuple) -> None:
    """torch's error when ``input`` of addmm/baddbmm does not broadcast to the product's shape."""
    n = len(target)
    if len(shape) > n:
        raise RuntimeError(f"The expanded size of the tensor ({target[0] if target else 0}) must match the existing "
                           f"size ({shape[0]}) at non-singleton dimension 0.  Target sizes: {list(target)}.  "
                           f"Tensor sizes: {list(shape)}")
    padded = (1,) * (n - len(shape)) + tuple(shape)
    for i in range(n - 1, -1, -1):
        if padded[i] != target[i] and padded[i] != 1:
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the existing size "
                               f"({padded[i]}) at non-singleton dimension {i}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(shape)}")


def _add_scaled(input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """``beta * input + alpha * product``. As in torch, beta == 0 ignores input (its nan and inf too)."""
    if input._data.dtype != product._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_dt_name(input._data, _SCALAR_NAMES)} "
                           f"and {_dt_name(product._data, _SCALAR_NAMES)}")
    _check_expand(input._data.shape, product._data.shape)
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:
        return product
    return add(input if beta == 1 else mul(input, beta), product)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape.

    A composite of ``mm``, ``mul`` and ``add``: it needs no backward of its own.
    """
    return _add_scaled(input, mm(mat1, mat2), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts to the product's shape."""
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha)


# ------------------------------------------------------------------ einsum
_LETTERS = string.ascii_letters


def _big_contraction(equation: str, arrays: Sequence[np.ndarray]) -> bool:
    """Whether NumPy's path optimizer (BLAS, pairwise order) pays for its ~50 us of planning."""
    if len(arrays) >= 3:
        return True
    sizes = {}
    for term, a in zip(equation.split("->")[0].split(","), arrays):
        sizes.update(zip(term, a.shape))
    return len(arrays) == 2 and math.prod(sizes.values()) > 32768


class Einsum(_Primitive):
    """``np.einsum`` on a normalized equation: explicit output, letters only, one size per letter.

    The gradient for operand k is itself an einsum: the other operands and the
    output gradient, contracted to operand k's subscripts. Two details:

    * a letter repeated in operand k (a diagonal, as in 'ii') cannot be repeated in an
      einsum output: each repeat gets a fresh letter, tied to the first by an identity matrix;
    * a letter only operand k has (summed out, as in 'ij->i') gets a vector of ones, which
      broadcasts the gradient back along it.
    """

    @staticmethod
    def forward(ctx, equation, *operands):
        arrays = [t._data for t in operands]
        dt = arrays[0].dtype if arrays else None
        for a in arrays[1:]:
            if a.dtype != dt:
                raise RuntimeError(f"expected scalar type {_SCALAR_NAMES[dt.name]} but found "
                                   f"{_SCALAR_NAMES[a.dtype.name]}")
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        out = np.einsum(equation, *arrays, optimize=_big_contraction(equation, arrays))
        if len(operands) == 1 and isinstance(out, np.ndarray):
            # Single-operand einsums (transpose, diagonal) may be views, as in torch.
            return Tensor._view_of(operands[0], out)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        lhs, out_sub = ctx.equation.split("->")
        terms = lhs.split(",")
        free = iter(c for c in _LETTERS if c not in ctx.equation)
        grads = [None]
        for k, (term, op) in enumerate(zip(terms, operands)):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            in_terms = [t for j, t in enumerate(terms) if j != k] + [out_sub]
            in_ops = [o for j, o in enumerate(operands) if j != k] + [grad]
            result, seen = [], {}
            for letter, size in zip(term, op._data.shape):
                if letter in seen:
                    fresh = next(free)
                    in_terms.append(letter + fresh)
                    in_ops.append(Tensor._make(np.eye(size, dtype=grad._data.dtype)))
                    result.append(fresh)
                else:
                    seen[letter] = size
                    result.append(letter)
            present = set("".join(in_terms))
            for letter, size in seen.items():
                if letter not in present:
                    in_terms.append(letter)
                    in_ops.append(Tensor._make(np.ones(size, dtype=grad._data.dtype)))
            grads.append(Einsum.apply(",".join(in_terms) + "->" + "".join(result), *in_ops))
        return tuple(grads)


def _parse_term(term: str, equation: str, offset: int) -> tuple[list, bool]:
    """The letters of one subscript term, with '...' kept as a single '.' marker."""
    letters, ellipsis, i = [], False, 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "..." or ellipsis:
                raise RuntimeError("einsum(): found '.' for operand that is not part of any ellipsis")
            ellipsis = True
            letters.append(".")
            i += 3
            continue
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
        letters.append(c)
        i += 1
    return letters, ellipsis


def _from_sublists(args: tuple) -> tuple[str, list]:
    """torch's sublist form: einsum(op1, [0, 1], op2, [1, 2], [0, 2]). Ints map to letters in order."""
    def term(sub):
        # Uppercase first, so that the implicit output's alphabetical order is the integers' order.
        return "".join("..." if s is Ellipsis else (string.ascii_uppercase + string.ascii_lowercase)[s] for s in sub)
    has_out = len(args) % 2 == 1
    pairs = args[:-1] if has_out else args
    lhs = ",".join(term(s) for s in pairs[1::2])
    return (lhs + "->" + term(args[-1]) if has_out else lhs), list(pairs[0::2])


def einsum(equation, *operands) -> Tensor:
    """Sums the product of the operands' elements along the dimensions the equation names.

    ``equation`` labels each operand's dimensions with letters ('ij,jk->ik' is a matrix
    product). Without '->', the output has the letters that appear exactly once, in
    alphabetical order. '...' stands for broadcast dimensions; a letter repeated in one
    operand takes a diagonal ('ii->i'); dimensions of size 1 broadcast against the
    same letter elsewhere. The operands may also be passed as one list.

    Example::

        >>> glasstorch.einsum('bij,bjk->bik', glasstorch.randn(5, 2, 3), glasstorch.randn(5, 3, 4)).shape
        glasstorch.Size([5, 2, 4])
    """
    if isinstance(equation, Tensor):
        equation, operands = _from_sublists((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = list(operands)
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")

    # Parse the terms and measure the ellipsis of each operand.
    parsed, offset = [], 0
    n_ell = 0
    for k, (term, op) in enumerate(zip(terms, operands)):
        letters, has_ell = _parse_term(term, equation, offset)
        offset += len(term) + 1
        named = len(letters) - has_ell
        nd = op._data.ndim
        if not has_ell and named != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({nd}) for operand {k} and no ellipsis was given")
        if has_ell and named > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more than the "
                               f"number of dimensions ({nd}) for operand {k}")
        parsed.append(letters)
        n_ell = max(n_ell, nd - named if has_ell else 0)

    # Name the ellipsis dimensions with letters the equation does not use (right-aligned).
    unused = [c for c in _LETTERS if c not in equation]
    if n_ell > len(unused):
        raise RuntimeError("einsum(): too many dimensions for the available subscript letters")
    ell = unused[:n_ell]
    for k, letters in enumerate(parsed):
        if "." in letters:
            i = letters.index(".")
            span = operands[k]._data.ndim - (len(letters) - 1)
            parsed[k] = letters[:i] + ell[n_ell - span:] + letters[i + 1:]

    # One size per letter; size 1 broadcasts.
    sizes: dict = {}
    for k, (letters, op) in enumerate(zip(parsed, operands)):
        own: dict = {}
        for d, (c, s) in enumerate(zip(letters, op._data.shape)):
            if c in own and own[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{s} != {own[c]}")
            own[c] = s
        for c, s in own.items():
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = s
            elif s != prev and s != 1:
                if c in ell:
                    raise RuntimeError(f"einsum(): dimension {ell.index(c)} covered by ellipsis in operand {k}has size "
                                       f"{s} which does not broadcast with previously seen ellipsis with size {prev} "
                                       f"for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {k} which does not broadcast "
                                   f"with previously seen size {prev}")

    # The output subscripts.
    if arrow:
        out_letters, out_ell = _parse_term(rhs, equation, len(lhs) + 2)
        if out_ell:
            i = out_letters.index(".")
            out_letters = out_letters[:i] + ell + out_letters[i + 1:]
        for i, c in enumerate(out_letters):
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any "
                                   f"input operand")
            if c in out_letters[:i]:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:
        counts: dict = {}
        for letters in parsed:
            for c in letters:
                if c not in ell:
                    counts[c] = counts.get(c, 0) + 1
        out_letters = ell + sorted(c for c, n in counts.items() if n == 1)

    # Drop the broadcast size-1 dimensions (a reshape), so that every letter has one size for np.einsum.
    for k, (letters, op) in enumerate(zip(parsed, operands)):
        shape = op._data.shape
        keep = [d for d, c in enumerate(letters) if shape[d] == sizes[c]]
        if len(keep) != len(letters):
            operands[k] = Reshape.apply(op, tuple(shape[d] for d in keep))
            parsed[k] = [letters[d] for d in keep]

    # A letter dropped from one operand still appears in another (the one that set its size).
    eq = ",".join("".join(letters) for letters in parsed) + "->" + "".join(out_letters)
    return Einsum.apply(eq, *operands)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contracts the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b``.

    ``dims`` may also be a pair of lists of dimensions: ``dims=([1, 2], [0, 1])``.
    Written as an einsum, so it shares that op's gradient.
    """
    if isinstance(dims, Tensor):
        dims = dims.item() if dims._data.ndim == 0 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a._data.ndim - dims, a._data.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    da = [_wrap_dim(d, a._data.ndim) for d in da]
    db = [_wrap_dim(d, b._data.ndim) for d in db]
    for i, j in zip(da, db):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a._data.shape[i]} in dim "
                               f"{i} and second has size {b._data.shape[j]} in dim {j}")
    letters = iter(_LETTERS)
    ta = [next(letters) for _ in range(a._data.ndim)]
    tb = [next(letters) for _ in range(b._data.ndim)]
    for i, j in zip(da, db):
        tb[j] = ta[i]
    out = [c for i, c in enumerate(ta) if i not in da] + [c for j, c in enumerate(tb) if j not in db]
    return Einsum.apply("".join(ta) + "," + "".join(tb) + "->" + "".join(out), a, b)


# ------------------------------------------------------------------ distances and products
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2`` (..., R, M)."""
    from .reduction import norm
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    pairs = x1.unsqueeze(-2) - x2.unsqueeze(-3)        # (..., P, R, M)
    return norm(pairs, p, -1)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other``."""
    from .reduction import norm
    return norm(input - other, p)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sums of products over the last dimension of both (a plain product for 0-d operands)."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, dims=([-1], [-1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-D tensors (glasstorch has no complex numbers to conjugate)."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return dot(input, other)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default: the first dimension of size 3, with
    torch's deprecation warning; ``linalg.cross`` uses the last)."""
    import warnings
    from .shape import broadcast_tensors, select, stack
    a, b = broadcast_tensors(input, other)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
                      "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to "
                      "agree with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        sizes = [k for k, n in enumerate(a.shape) if n == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes[0]
    d = _wrap_dim(dim, a._data.ndim)
    if a.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    a0, a1, a2 = (select(a, d, k) for k in range(3))
    b0, b1, b2 = (select(b, d, k) for k in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


# ------------------------------------------------------------------ inverses, determinants, solves
class LinAlgError(RuntimeError):
    """A matrix that the operation cannot handle (singular, not positive-definite), as torch.linalg.LinAlgError."""


def _square(name: str, a: np.ndarray) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_TYPE_NAMES[a.dtype.name]}")


def _lapack(fn, *arrays, message: str):
    """``fn(*arrays)`` (a NumPy LAPACK call), with NumPy's LinAlgError turned into torch's, with ``message``."""
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError:
        raise LinAlgError(message) from None


def _mT(t: Tensor) -> Tensor:
    return t.transpose(-2, -1)


class Inv(_Primitive):
    """``A^-1``; backward ``-A^-T G A^-T`` (written with ops, so it has its own derivative)."""

    @staticmethod
    def forward(ctx, a):
        x = a._data
        _square("inv", x)
        out = _lapack(np.linalg.inv, x, message="linalg.inv: The diagonal element is zero, the inversion could "
                      "not be completed because the input matrix is singular.")
        result = Tensor._make(out)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        inv, = ctx.saved_tensors
        return -(_mT(inv) @ grad @ _mT(inv))


class Det(_Primitive):
    """``det(A)``; backward ``G * det(A) * A^-T`` (A must be invertible for the gradient)."""

    @staticmethod
    def forward(ctx, a):
        _square("det", a._data)
        result = Tensor._make(np.asarray(np.linalg.det(a._data)))
        ctx.save_for_backward(a, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        a, det = ctx.saved_tensors
        return (grad * det).unsqueeze(-1).unsqueeze(-1) * _mT(Inv.apply(a))


class Slogdet(_Primitive):
    """``(sign, log|det A|)``; only the log contributes to the gradient: ``G * A^-T``."""

    @staticmethod
    def forward(ctx, a):
        _square("slogdet", a._data)
        sign, logabs = np.linalg.slogdet(a._data)
        ctx.save_for_backward(a)
        # Both outputs are part of the graph, as in torch; the sign's gradient is 0.
        return np.asarray(sign), np.asarray(logabs)

    @staticmethod
    def backward(ctx, gsign, glog):
        a, = ctx.saved_tensors
        return glog.unsqueeze(-1).unsqueeze(-1) * _mT(Inv.apply(a))


class Solve(_Primitive):
    """``X`` with ``A X = B``; backward ``dB = A^-T G``, ``dA = -dB X^T`` (a vector ``B`` as one column)."""

    @staticmethod
    def forward(ctx, a, b, vector):
        A, B = a._data, b._data
        _square("solve", A)
        rhs = B[..., None] if vector else B
        x = _lapack(np.linalg.solve, A, rhs, message="linalg.solve: The solver failed because the input matrix is "
                    "singular.")
        ctx.vector = vector
        result = Tensor._make(x[..., 0] if vector else x)
        ctx.save_for_backward(a, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        gb = Solve.apply(_mT(a), grad, ctx.vector)
        if ctx.vector:
            ga = -(gb.unsqueeze(-1) @ x.unsqueeze(-2))
        else:
            ga = -(gb @ _mT(x))
        return ga, gb, None


class Cholesky(_Primitive):
    """``L`` lower-triangular with ``A = L L^T``; backward ``sym(L^-T Phi(L^T G) L^-1)``, where Phi keeps
    the lower triangle and halves the diagonal (Murray, 2016)."""

    @staticmethod
    def forward(ctx, a, upper):
        x = a._data
        _square("cholesky", x)
        L = _lapack(np.linalg.cholesky, x, message="linalg.cholesky: The factorization could not be completed "
                    "because the input is not positive-definite.")
        result = Tensor._make(np.ascontiguousarray(np.swapaxes(L, -1, -2)) if upper else L)
        ctx.upper = upper
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        from .shape import diag_embed, diagonal, tril
        out, = ctx.saved_tensors
        L, gL = (_mT(out), _mT(grad)) if ctx.upper else (out, grad)
        p = L.transpose(-2, -1) @ gL
        phi = tril(p) - 0.5 * diag_embed(diagonal(p, 0, -2, -1))
        linv = Inv.apply(L)
        ga = _mT(linv) @ phi @ linv
        return 0.5 * (ga + _mT(ga)), None


def _refuse_double_backward(name: str) -> None:
    """For the spectral ops, whose backward formula is written on arrays: a second derivative
    would be silently wrong, so asking for one (backward with create_graph) raises."""
    if _state.enabled:
        raise NotImplementedError(f"glasstorch cannot take the second derivative of linalg.{name}")


class Svdvals(_Primitive):
    """The singular values, descending; backward ``U diag(G) V^T``."""

    @staticmethod
    def forward(ctx, a):
        x = a._data
        if x.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        ctx.uv = (u, vh)
        return s

    @staticmethod
    def backward(ctx, grad):
        _refuse_double_backward("svdvals")
        u, vh = ctx.uv
        return Tensor._make((u * grad._data[..., None, :]) @ vh)


class Eigvalsh(_Primitive):
    """The eigenvalues of a symmetric matrix (from its lower or upper triangle), ascending;
    backward ``V diag(G) V^T``."""

    @staticmethod
    def forward(ctx, a, uplo):
        x = a._data
        _square("eigh", x)
        w, v = np.linalg.eigh(x, UPLO=uplo)
        ctx.v = v
        return w

    @staticmethod
    def backward(ctx, grad):
        _refuse_double_backward("eigvalsh")
        v = ctx.v
        return Tensor._make((v * grad._data[..., None, :]) @ np.swapaxes(v, -1, -2)), None


__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "ger", "einsum", "addmm", "baddbmm", "tensordot", "cdist",
           "dist", "inner", "vdot", "cross"]
