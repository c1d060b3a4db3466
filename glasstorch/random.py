"""Random numbers: generators, random constructors and in-place random fills.

Every random draw in glasstorch goes through a :class:`Generator`: the one passed
as ``generator=``, or else ``default_generator``. Other modules (dropout,
``nn.init``, samplers) draw from :func:`_rng`, so that one ``manual_seed``
makes a whole program reproducible. NumPy's global ``np.random`` state is never
used.

A Generator wraps NumPy's PCG64 bit generator. Sequences are reproducible from a
seed, but they are not PyTorch's (torch uses mt19937 and its own transforms):
``manual_seed(0)`` gives the same numbers every run, not torch's numbers.

Like torch, a sample does not depend differentiably on its parameters: when
``normal(mean, std)`` or ``bernoulli(p)`` gets tensors that require grad, the
result gets a graph node that sends them zero gradients.
"""
from __future__ import annotations

import contextlib
import operator
import os
from typing import Sequence

import numpy as np

from . import _dtype
from ._creation import _finish, _np_dtype, _size
from ._tensor import Tensor, _TYPE_NAMES, _require_cpu, device as _device
from .autograd.function import _Primitive
from .autograd.grad_mode import is_grad_enabled

# torch's seed for a fresh ``Generator()``.
_DEFAULT_SEED = 67280421310721
_U64 = (1 << 64) - 1
# The state tensor: six little-endian uint64 words (see Generator.get_state).
_STATE_WORDS = 6


def _seed_value(seed) -> int:
    """A seed as torch takes it: any int in [-2**63, 2**64), negatives wrapping modulo 2**64."""
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


class Generator:
    """A source of random numbers with its own state (``torch.Generator``).

    Pass it as ``generator=`` to any random function to draw from it instead of
    the global ``default_generator``.

    Args:
        device: only ``'cpu'``.

    Example::

        >>> g = glasstorch.Generator().manual_seed(42)
        >>> glasstorch.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        d = device if isinstance(device, _device) else _device(device)
        if d.type == "cuda":   # torch's type of error, in a sentence of our own
            raise RuntimeError("Cannot get a CUDA generator: glasstorch computes on the CPU only")
        self.device = _require_cpu(d)
        self._bits = np.random.PCG64(_DEFAULT_SEED)
        self._rng = np.random.Generator(self._bits)
        self._seed = _DEFAULT_SEED

    def manual_seed(self, seed) -> "Generator":
        """Seeds the generator and returns it."""
        seed = _seed_value(seed)
        # Replace the state inside the same bit generator, so that anyone holding
        # ``self._rng`` keeps drawing from this generator.
        self._bits.state = np.random.PCG64(seed).state
        self._seed = seed
        return self

    def seed(self) -> int:
        """Seeds the generator from the operating system's entropy and returns that seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed last set by ``manual_seed`` or ``seed``."""
        return self._seed

    def get_state(self) -> Tensor:
        """The full state as a uint8 tensor, for :meth:`set_state`."""
        s = self._bits.state
        pcg, inc = s["state"]["state"], s["state"]["inc"]
        words = np.array([self._seed, pcg & _U64, pcg >> 64, inc & _U64, inc >> 64,
                          s["has_uint32"] | (s["uinteger"] << 32)], dtype="<u8")
        return Tensor._make(words.view(np.uint8))

    def set_state(self, new_state: Tensor) -> "Generator":
        """Restores a state returned by :meth:`get_state`."""
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state._data).reshape(-1)
        if raw.size != 8 * _STATE_WORDS:
            raise RuntimeError(f"Expected a glasstorch Generator state of size {8 * _STATE_WORDS} but found the "
                               f"input RNG state size to be {raw.size}")
        seed, lo, hi, inc_lo, inc_hi, buffered = (int(w) for w in raw.view("<u8"))
        self._bits.state = {"bit_generator": "PCG64",
                            "state": {"state": lo | (hi << 64), "inc": inc_lo | (inc_hi << 64)},
                            "has_uint32": buffered & 1, "uinteger": buffered >> 32}
        self._seed = seed
        return self

    def clone_state(self) -> "Generator":
        """A new generator in the same state."""
        return Generator(self.device).set_state(self.get_state())

    def __getstate__(self):
        return {"device": str(self.device), "state": self.get_state()._data.tobytes()}

    def __setstate__(self, d):
        self.__init__(d["device"])
        self.set_state(Tensor._make(np.frombuffer(d["state"], dtype=np.uint8).copy()))

    def __repr__(self) -> str:
        return f"<glasstorch.Generator object at {hex(id(self))}>"


default_generator = Generator()
# As in torch, an unseeded program gets different numbers on every run.
default_generator.seed()


def _rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the global default's.

    Every random draw in glasstorch goes through here.
    """
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a glasstorch.Generator as generator, but got {type(generator).__name__}")
    return generator._rng


def manual_seed(seed) -> Generator:
    """Seeds the global generator and returns it.

    Example::

        >>> glasstorch.manual_seed(0)
        >>> a = glasstorch.rand(3)
        >>> glasstorch.manual_seed(0)
        >>> bool((glasstorch.rand(3) == a).all())
        True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the global generator non-deterministically and returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the global generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The state of the global generator, as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restores the global generator to a state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type=None):
    """A context manager that restores the global generator's state on exit."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# ------------------------------------------------------------ graph nodes
class _Sampled(_Primitive):
    """The graph node of a random op: zero gradients for every tensor input.

    ``apply(values, *inputs)`` returns ``values``, already drawn. The classes
    below only give the node torch's name for that overload.
    """
    _backward_suffix = ""

    @staticmethod
    def forward(ctx, values, *inputs):
        ctx.metas = [(t._data.shape, t._data.dtype) for t in inputs]
        return values

    @staticmethod
    def backward(ctx, grad):
        zeros = [Tensor._make(np.zeros(shape, dtype)) if need else None
                 for (shape, dtype), need in zip(ctx.metas, ctx.needs_input_grad[1:])]
        return (None, *zeros)


class NormalBackward0(_Sampled):
    """normal_"""


class NormalBackward1(_Sampled):
    """normal(Tensor mean, float std)"""


class NormalBackward2(_Sampled):
    """normal(float mean, Tensor std)"""


class NormalBackward3(_Sampled):
    """normal(Tensor mean, Tensor std)"""


class UniformBackward0(_Sampled):
    """uniform_"""


class BernoulliBackward0(_Sampled):
    """bernoulli(Tensor p)"""


class BernoulliBackward1(_Sampled):
    """bernoulli_(Tensor p)"""


class BernoulliBackward2(_Sampled):
    """bernoulli_(float p)"""


class RandomBackward0(_Sampled):
    """random_(from, to)"""


class RandomBackward1(_Sampled):
    """random_(to)"""


class RandomBackward2(_Sampled):
    """random_()"""


class ExponentialBackward0(_Sampled):
    """exponential_"""


class PoissonBackward0(_Sampled):
    """poisson"""


def _sampled(node, values: np.ndarray, *inputs) -> Tensor:
    """Wraps fresh samples, through ``node`` when a tensor input needs grad."""
    if is_grad_enabled() and any(t._requires_grad for t in inputs):
        return node.apply(values, *inputs)
    return Tensor._make(values)


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    """Honours ``out=``: writes ``result`` into ``out`` (resized if needed, as torch does) and returns it."""
    if out is None:
        return result
    if out._data.shape == result._data.shape:
        np.copyto(out._data, result._data, casting="unsafe")
    else:
        out._data = result._data.astype(out._data.dtype, copy=False)
    out._version.value += 1
    return out


def _out_dtype(dtype, out: Tensor | None):
    """With ``out=`` and no ``dtype``, torch samples in ``out``'s dtype."""
    return out.dtype if dtype is None and out is not None else dtype


# --------------------------------------------------------- argument checks
def _shape(size: tuple, fname: str) -> tuple:
    """``f(2, 3)`` or ``f((2, 3))`` to a shape, with torch's errors."""
    if not size:
        raise TypeError(f"{fname}() missing required argument 'size'")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        # operator.index accepts ints, NumPy integers and integer 0-d tensors, but not floats.
        shape = tuple([operator.index(s) for s in size])
    except TypeError:
        for s in size:
            try:
                operator.index(s)
            except TypeError:
                raise TypeError(f"{fname}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {type(s).__name__}") from None
        raise
    if shape and min(shape) < 0:
        _size((shape,))  # raises torch's negative-dimension error
    return shape


def _int_arg(value, fname: str, name: str) -> int:
    if isinstance(value, (float, np.floating)) or not hasattr(value, "__index__"):
        raise TypeError(f"{fname}(): argument '{name}' must be int, not {type(value).__name__}")
    value = operator.index(value)
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError("Overflow when unpacking long long")
    return value


def _type_name(np_dt: np.dtype) -> str:
    return _TYPE_NAMES[_dtype.from_numpy_dtype(np_dt).name]


def _require_float(np_dt: np.dtype, kernel: str) -> None:
    if np_dt.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(np_dt)}'")


def _check_std(std: float) -> None:
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def _check_p(p: np.ndarray) -> None:
    # Written so that NaN fails too.
    if not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        i = max(i for i in range(n) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))
        raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                           f"non-singleton dimension {i}") from None


def _check_expand(src: tuple, dst: tuple) -> None:
    """torch's expand rules: ``src`` must broadcast to exactly ``dst``."""
    if len(src) > len(dst):
        raise RuntimeError(f"expand(size={list(src)}, size={list(dst)}): the number of sizes provided "
                           f"({len(dst)}) must be greater or equal to the number of dimensions in the tensor "
                           f"({len(src)})")
    lead = len(dst) - len(src)
    for i, s in enumerate(src):
        if s != 1 and s != dst[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({dst[lead + i]}) must match the existing size "
                               f"({s}) at non-singleton dimension {lead + i}.  Target sizes: {list(dst)}.  "
                               f"Tensor sizes: {list(src)}")


# -------------------------------------------------------------- sampling
# Each ``_*_into`` writes a sample into ``dst`` (an ndarray, possibly a
# non-contiguous view). Contiguous float32/float64 arrays are filled by NumPy
# directly, with no temporary array.

def _direct(dst: np.ndarray) -> bool:
    return dst.dtype in (np.float32, np.float64) and dst.flags.c_contiguous


def _uniform_into(rng: np.random.Generator, dst: np.ndarray, low: float, high: float) -> None:
    if dst.dtype == np.float16:
        # Eleven random bits, as many as a half holds: [0, 1) then rounds to half
        # without ever reaching 1. Scaled in float32, then rounded once.
        u = rng.integers(0, 2048, dst.shape, dtype=np.int16).astype(np.float32)
        u *= np.float32(1 / 2048)
    elif _direct(dst):
        u = rng.random(out=dst, dtype=dst.dtype)
    else:
        u = rng.random(dst.shape, dtype=dst.dtype if dst.dtype == np.float64 else np.float32)
    if low != 0.0 or high != 1.0:
        u *= high - low
        u += low
    if u is not dst:
        np.copyto(dst, u, casting="unsafe")


def _normal_into(rng: np.random.Generator, dst: np.ndarray, mean: float, std: float) -> None:
    if _direct(dst):
        z = rng.standard_normal(out=dst, dtype=dst.dtype)
    else:
        z = rng.standard_normal(dst.shape, dtype=np.float64 if dst.dtype == np.float64 else np.float32)
    if std != 1.0:
        z *= std
    if mean != 0.0:
        z += mean
    if z is not dst:
        np.copyto(dst, z, casting="unsafe")


def _exponential_into(rng: np.random.Generator, dst: np.ndarray, lambd: float) -> None:
    if _direct(dst):
        e = rng.standard_exponential(out=dst, dtype=dst.dtype)
    else:
        e = rng.standard_exponential(dst.shape, dtype=np.float64 if dst.dtype == np.float64 else np.float32)
    if lambd != 1.0:
        e /= lambd
    if e is not dst:
        np.copyto(dst, e, casting="unsafe")


def _coin_flips(rng: np.random.Generator, shape: tuple, p) -> np.ndarray:
    """Booleans, True with probability ``p`` (a float or an array broadcastable to ``shape``)."""
    wide = isinstance(p, np.ndarray) and p.dtype == np.float64
    return rng.random(shape, dtype=np.float64 if wide else np.float32) < p


# Names torch uses in its bound errors, and the largest integer each float type holds exactly.
_C_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
            "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}
_MANTISSA = {np.dtype(np.float16): 11, np.dtype(np.float32): 24, np.dtype(np.float64): 53}


def _limits(np_dt: np.dtype) -> tuple:
    if np_dt == np.bool_:
        return 0, 1
    if np_dt.kind == "f":
        big = float(np.finfo(np_dt).max)
        return -big, big
    info = np.iinfo(np_dt)
    return int(info.min), int(info.max)


# (lowest, highest) value of each dtype, and torch's C name for it in bound errors.
_BOUNDS = {d.np: (*_limits(d.np), _C_NAMES[d.name]) for d in _dtype._ALL}


def _check_bounds(low: int, high_incl: int, np_dt: np.dtype) -> None:
    lo, hi, name = _BOUNDS[np_dt]
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= high_incl <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _integers(rng: np.random.Generator, low: int, high_incl: int, shape: tuple, np_dt: np.dtype) -> np.ndarray:
    """Uniform integers in [low, high_incl], as ``np_dt`` (floats are drawn as int64 and converted)."""
    draw = np_dt if np_dt.kind in "biu" else np.dtype(np.int64)
    out = rng.integers(low, high_incl, shape, dtype=draw, endpoint=True)
    return out.astype(np_dt, copy=False)


def _check_from_to(low: int, high: int) -> None:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")


# ----------------------------------------------------------- constructors
def rand(*size, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A tensor of samples from the uniform distribution on [0, 1).

    Args:
        size: the shape, as varargs or one sequence.
        generator: draw from this generator instead of the global one.
        dtype: a floating dtype; default :func:`get_default_dtype` (float32).

    Example::

        >>> glasstorch.rand(2, 3).shape
        glasstorch.Size([2, 3])
    """
    np_dt = _np_dtype(_out_dtype(dtype, out))
    _require_float(np_dt, "check_uniform_bounds")
    arr = np.empty(_shape(size, "rand"), dtype=np_dt)
    _uniform_into(_rng(generator), arr, 0.0, 1.0)
    return _out(_finish(arr, requires_grad, device), out)


def randn(*size, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A tensor of samples from the standard normal distribution N(0, 1).

    Example::

        >>> glasstorch.randn(4).dtype
        glasstorch.float32
    """
    np_dt = _np_dtype(_out_dtype(dtype, out))
    _require_float(np_dt, "normal_kernel_cpu")
    arr = np.empty(_shape(size, "randn"), dtype=np_dt)
    _normal_into(_rng(generator), arr, 0.0, 1.0)
    return _out(_finish(arr, requires_grad, device), out)


def randint(*args, low=None, high=None, size=None, generator: Generator | None = None, out=None, dtype=None,
            layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    Args:
        low: the lowest value (default 0).
        high: one above the highest value.
        size: the shape, a tuple.
        dtype: default int64.

    Example::

        >>> glasstorch.randint(3, 10, (2, 2))
        tensor([[4, 9],
                [3, 7]])
    """
    pos = list(args)
    if size is None:
        if not pos:
            raise TypeError("randint() missing required argument 'size'")
        size = pos.pop()
    if high is None:
        if not pos:
            raise TypeError("randint() missing required argument 'high'")
        high = pos.pop()
    if low is None:
        low = pos.pop() if pos else 0
    if pos:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args)} given)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    low, high = _int_arg(low, "randint", "low"), _int_arg(high, "randint", "high")
    _check_from_to(low, high)
    np_dt = _np_dtype(_out_dtype(dtype, out), _dtype.int64)
    _check_bounds(low, high - 1, np_dt)
    arr = _integers(_rng(generator), low, high - 1, _shape((size,), "randint"), np_dt)
    return _out(_finish(arr, requires_grad, device), out)


def randperm(n: int, *, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of the integers ``0 .. n-1``.

    Example::

        >>> glasstorch.randperm(4)
        tensor([2, 0, 3, 1])
    """
    n = _int_arg(n, "randperm", "n")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    np_dt = _np_dtype(_out_dtype(dtype, out), _dtype.int64)
    if np_dt == np.bool_:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if np_dt.kind == "f":
        limit = (1 << _MANTISSA[np_dt]) + 1
        if n > limit:
            raise RuntimeError(f"n cannot be greater than {limit} for {_type_name(np_dt)} type.")
    elif n > 0 and n - 1 > np.iinfo(np_dt).max:
        raise RuntimeError(f"value cannot be converted to type {np_dt.name}_t without overflow")
    arr = _rng(generator).permutation(n).astype(np_dt, copy=False)
    return _out(_finish(arr, requires_grad, device), out)


def normal(mean, std=1.0, size: Sequence[int] | None = None, *, generator: Generator | None = None, out=None,
           dtype=None, layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Samples from normal distributions with the given means and standard deviations.

    Overloads, as in torch:

    * ``normal(mean: Tensor, std: Tensor)``: one sample per element, broadcasting;
    * ``normal(mean: Tensor, std: float = 1.0)`` and ``normal(mean: float, std: Tensor)``;
    * ``normal(mean: float, std: float, size)``: a tensor of shape ``size``.

    The result takes the dtype of ``mean`` if it is a tensor, else of ``std``.

    Example::

        >>> glasstorch.normal(glasstorch.zeros(3), glasstorch.tensor([1., 2., 3.])).shape
        glasstorch.Size([3])
        >>> glasstorch.normal(2., 3., size=(1, 4)).shape
        glasstorch.Size([1, 4])
    """
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (tm or ts):
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}): size is required when mean and "
                            f"std are numbers")
        mean, std = float(mean), float(std)
        _check_std(std)
        np_dt = _np_dtype(_out_dtype(dtype, out))
        _require_float(np_dt, "normal_kernel_cpu")
        arr = np.empty(_shape((size,), "normal"), dtype=np_dt)
        _normal_into(_rng(generator), arr, mean, std)
        return _out(_finish(arr, requires_grad, device), out)

    if size is not None:
        raise TypeError("normal() received an invalid combination of arguments - size is only accepted when "
                        "mean and std are numbers")
    np_dt = (mean if tm else std)._data.dtype
    _require_float(np_dt if out is None else out._data.dtype, "normal_kernel_cpu")
    if ts:
        if not (std._data >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        std = float(std)
        _check_std(std)
    m = mean._data.astype(np_dt, copy=False) if tm else float(mean)
    s = std._data.astype(np_dt, copy=False) if ts else std
    shape = _broadcast_shape(np.shape(m), np.shape(s))
    z = np.empty(shape, dtype=np_dt)
    _normal_into(_rng(generator), z, 0.0, 1.0)
    z *= s
    z += m
    if tm and ts:
        return _out(_sampled(NormalBackward3, z, mean, std), out)
    return _out(_sampled(NormalBackward1, z, mean) if tm else _sampled(NormalBackward2, z, std), out)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None, out=None) -> Tensor:
    """Draws 0 or 1 for each element: 1 with probability ``input`` (or ``p``, if given).

    Args:
        input: the probabilities, each in [0, 1]; with ``p``, only its shape and dtype are used.
        p: one probability for every element.

    Example::

        >>> glasstorch.bernoulli(glasstorch.tensor([0., 1.]))
        tensor([0., 1.])
    """
    if p is not None:
        if isinstance(p, Tensor):
            raise TypeError("bernoulli() received an invalid combination of arguments - got (Tensor, Tensor): "
                            "p must be a float")
        # torch gives this result a node that cannot backward; here it is simply a constant.
        return _out(bernoulli_(Tensor._make(np.empty_like(input._data)), p, generator=generator), out)
    probs = input._data
    _require_float(probs.dtype, "bernoulli_tensor_cpu_p_")
    _check_p(probs)
    flips = _coin_flips(_rng(generator), probs.shape, probs)
    return _out(_sampled(BernoulliBackward0, flips.astype(probs.dtype), input), out)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out=None) -> Tensor:
    """Samples category indices from the distributions in the rows of ``input``.

    Args:
        input: 1-D or 2-D non-negative weights; rows need not sum to 1.
        num_samples: the number of draws per row.
        replacement: draw with replacement; without it, an index appears at most once per row.

    Returns:
        int64 indices of shape ``(num_samples,)`` or ``(rows, num_samples)``.

    Example::

        >>> glasstorch.multinomial(glasstorch.tensor([0., 10., 3.]), 2)
        tensor([1, 2])
    """
    w = input._data
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_type_name(w.dtype)}")
    num_samples = _int_arg(num_samples, "multinomial", "num_samples")
    if out is not None and out._data.dtype != np.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_type_name(out._data.dtype)}")
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n_cat = w.shape[-1]
    if n_cat > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    w2 = w[None] if w.ndim == 1 else w
    rows = w2.shape[0]
    if rows == 0:
        return _out(Tensor._make(np.empty((0, num_samples), dtype=np.int64)), out)
    if not (np.isfinite(w2).all() and (w2 >= 0).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not (w2.sum(axis=-1, dtype=np.float64) > 0).all():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")

    rng = _rng(generator)
    if replacement or num_samples == 1:
        idx = _draw_with_replacement(rng, w2, num_samples)
    else:
        idx = _draw_without_replacement(rng, w2, num_samples)
    return _out(Tensor._make(idx.reshape(w.shape[:-1] + (num_samples,))), out)


def _draw_with_replacement(rng: np.random.Generator, w: np.ndarray, n: int) -> np.ndarray:
    """Inverse-CDF sampling, all rows in one ``searchsorted``."""
    rows, n_cat = w.shape
    cdf = np.cumsum(w, axis=-1, dtype=np.float64)
    # Dividing by the total gives exactly 1.0 at the last positive weight, and
    # u < 1, so a zero-weight category (an empty CDF step) is never chosen.
    cdf /= cdf[:, -1:]
    u = rng.random((rows, n))
    if rows == 1:
        return np.searchsorted(cdf[0], u[0], side="right").reshape(1, n)
    # Shift row i into [i, i + 1] so that one sorted search serves every row.
    offset = np.arange(rows, dtype=np.float64)[:, None]
    flat = (cdf + offset).ravel()
    idx = np.searchsorted(flat, (u + offset).ravel(), side="right").reshape(rows, n)
    idx -= np.arange(rows)[:, None] * n_cat
    # Rounding of u + i can reach i + 1 and step past the row's last positive weight.
    last = n_cat - 1 - np.argmax(w[:, ::-1] > 0, axis=-1)
    return np.minimum(idx, last[:, None])


def _draw_without_replacement(rng: np.random.Generator, w: np.ndarray, n: int) -> np.ndarray:
    """The exponential-race trick (as torch does): with E ~ Exp(1), the order of E / w
    is the order of drawing without replacement, so the n smallest keys are the sample.
    Zero weights get key inf: they come last, only once the positive ones run out."""
    keys = rng.standard_exponential(w.shape)
    np.divide(keys, w, out=keys, where=w > 0)
    keys[w <= 0] = np.inf
    if n < w.shape[1]:
        part = np.argpartition(keys, n - 1, axis=-1)[:, :n]
        order = np.argsort(np.take_along_axis(keys, part, axis=-1), axis=-1, kind="stable")
        return np.take_along_axis(part, order, axis=-1)
    return np.argsort(keys, axis=-1, kind="stable")


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Draws from Poisson distributions with rates ``input``; the result has ``input``'s dtype."""
    rates = input._data
    if rates.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{_type_name(rates.dtype)}'")
    if not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    counts = _rng(generator).poisson(rates).astype(rates.dtype)
    return _sampled(PoissonBackward0, counts, input)


# -------------------------------------------------------- *_like forms
def rand_like(input: Tensor, *, generator: Generator | None = None, dtype=None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    """``rand`` with the shape (and, by default, the dtype) of ``input``."""
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype=None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    """``randn`` with the shape (and, by default, the dtype) of ``input``."""
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Generator | None = None,
                 dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """``randint`` with the shape and dtype of ``input``: ``randint_like(x, high)`` or ``(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator, dtype=dtype or input.dtype,
                   device=device, requires_grad=requires_grad)


# ------------------------------------------------------ in-place fills
def _fill_(tensor: Tensor, node, fill, *params) -> Tensor:
    """Runs ``fill(tensor._data)``, which writes a sample in place, and bumps the version.

    When autograd records (an input requires grad), the tensor's history is
    replaced by ``node``, which sends zero gradients back to the old history.
    """
    inputs = (tensor,) + tuple(p for p in params if isinstance(p, Tensor))
    recording = is_grad_enabled() and any(t._requires_grad for t in inputs)
    if recording:
        if tensor._requires_grad and tensor._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = tensor._base
        if base is not None and base._requires_grad and base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        if base is not None and (base._requires_grad or tensor._requires_grad):
            raise RuntimeError("in-place operation on a view of a tensor that is part of the autograd graph: "
                               "glasstorch does not rebase views; use an out-of-place op or clone() first")
    if not tensor._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    fill(tensor._data)
    tensor._version.value += 1
    if recording:
        # The node's input is the tensor with its old history; its output is the new values.
        res = node.apply(tensor._data, *inputs)
        tensor._grad_fn, tensor._output_nr, tensor._requires_grad = res._grad_fn, 0, True
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` in place with samples from the uniform distribution on [a, b)."""
    a, b = float(a), float(b)
    _require_float(tensor._data.dtype, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    rng = _rng(generator)
    return _fill_(tensor, UniformBackward0, lambda dst: _uniform_into(rng, dst, a, b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` in place with samples from N(mean, std**2)."""
    mean, std = float(mean), float(std)
    _require_float(tensor._data.dtype, "normal_kernel_cpu")
    _check_std(std)
    rng = _rng(generator)
    return _fill_(tensor, NormalBackward0, lambda dst: _normal_into(rng, dst, mean, std))


def exponential_(tensor: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` in place with samples from the exponential distribution with rate ``lambd``."""
    lambd = float(lambd)
    if tensor._data.dtype.kind != "f":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_type_name(tensor._data.dtype)}")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    rng = _rng(generator)
    return _fill_(tensor, ExponentialBackward0, lambda dst: _exponential_into(rng, dst, lambd))


def bernoulli_(tensor: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    """Fills ``tensor`` in place with 0 or 1, each 1 with probability ``p`` (a float or a tensor
    that broadcasts to ``tensor``'s shape)."""
    rng = _rng(generator)
    if isinstance(p, Tensor):
        probs = p._data
        _check_expand(probs.shape, tensor._data.shape)
        _check_p(probs)
        fill = lambda dst: np.copyto(dst, _coin_flips(rng, dst.shape, probs), casting="unsafe")  # noqa: E731
        return _fill_(tensor, BernoulliBackward1, fill, p)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    fill = lambda dst: np.copyto(dst, _coin_flips(rng, dst.shape, p), casting="unsafe")  # noqa: E731
    return _fill_(tensor, BernoulliBackward2, fill)


def random_(tensor: Tensor, *args, generator: Generator | None = None, **kwargs) -> Tensor:
    """Fills ``tensor`` in place with uniform random integers.

    * ``random_()``: in [0, 2**mantissa] for floats, [0, max] for integer dtypes;
    * ``random_(to)``: in [0, to);
    * ``random_(from, to)``: in [from, to); ``to=None`` means up to the largest value above.
    """
    if len(args) > 2 or set(kwargs) - {"from", "to"}:
        raise TypeError("random_() takes at most 2 arguments: (from, to)")
    given = dict(kwargs)
    if len(args) == 2 or (len(args) == 1 and "to" in kwargs):
        given["from"] = args[0]
        if len(args) == 2:
            given["to"] = args[1]
    elif len(args) == 1:
        given["to"] = args[0]
    np_dt = tensor._data.dtype
    top = (1 << _MANTISSA[np_dt]) if np_dt.kind == "f" else _BOUNDS[np_dt][1]
    if "from" in given:
        node, low = RandomBackward0, _int_arg(given["from"], "random_", "from")
        if given.get("to") is None:
            high_incl = top
            if low > high_incl:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                                   f"casted to dtype, but got from={low} > to_inc={high_incl}")
        else:
            high = _int_arg(given["to"], "random_", "to")
            _check_from_to(low, high)
            high_incl = high - 1
        _check_bounds(low, high_incl, np_dt)
    elif "to" in given:
        node, low, high = RandomBackward1, 0, _int_arg(given["to"], "random_", "to")
        _check_from_to(low, high)
        high_incl = high - 1
        _check_bounds(low, high_incl, np_dt)
    else:
        node, low, high_incl = RandomBackward2, 0, top
    rng = _rng(generator)
    fill = lambda dst: np.copyto(dst, _integers(rng, low, high_incl, dst.shape, np_dt), casting="unsafe")  # noqa
    return _fill_(tensor, node, fill)


__all__ = ["rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson", "rand_like",
           "randn_like", "randint_like", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "Generator", "default_generator"]
