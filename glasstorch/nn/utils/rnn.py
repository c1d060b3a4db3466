"""Ragged batches for the recurrent layers, mirroring torch/nn/utils/rnn.py.

A ``PackedSequence`` holds a batch of sequences of different lengths without padding: its
``data`` row block ``t`` is time step ``t`` of every sequence still running at ``t``, the
sequences sorted longest first, and ``batch_sizes[t]`` says how many those are.

Every conversion here (padding, packing, unpacking) is one gather: a single fancy index
``x[index]`` with an index array computed up front from the lengths, after at most one
``reshape`` or ``cat``. So a batch of 32 sequences becomes two or three graph nodes, not one
node per time step, and the gradient is the scatter-add that indexing already has.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Iterable, Sequence

import numpy as np

from ... import _creation
from ..._tensor import Tensor
from ...ops.shape import cat, reshape, transpose

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of ``0..n-1`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation.numpy().astype(np.int64)
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return Tensor._make(out)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of variable-length sequences; made by :func:`pack_padded_sequence` and
    :func:`pack_sequence`, read by the RNN layers.

    Attributes:
        data: ``(sum(lengths), *)``, time step by time step.
        batch_sizes: int64 ``(max_length,)``, the number of sequences at each step.
        sorted_indices: int64, original batch index of each packed position (None if it was sorted).
        unsorted_indices: int64, the inverse of ``sorted_indices``.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> "PackedSequence":
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """The data converted with ``Tensor.to``; the indices stay as they are."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self) -> "PackedSequence":
        return self

    def double(self) -> "PackedSequence":
        return self._with_data(self.data.double())

    def float(self) -> "PackedSequence":
        return self._with_data(self.data.float())

    def half(self) -> "PackedSequence":
        return self._with_data(self.data.half())

    def long(self) -> "PackedSequence":
        return self._with_data(self.data.long())

    def int(self) -> "PackedSequence":
        return self._with_data(self.data.int())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths.detach().numpy().astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """``batch_sizes[t]``: how many of the (sorted) lengths exceed ``t``."""
    return (lengths[None, :] > np.arange(int(lengths.max()))[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch ``(T, B, *)`` (``(B, T, *)`` with batch_first) of sequences of ``lengths``.

    With ``enforce_sorted=True`` the lengths must be non-increasing; otherwise the batch is sorted
    here and the permutation kept in ``sorted_indices``.

    Example::

        >>> packed = pack_padded_sequence(glasstorch.randn(5, 3, 2), [5, 2, 1])
        >>> packed.batch_sizes
        tensor([3, 2, 1, 1, 1])
    """
    n = _lengths_array(lengths)
    B, T = (input.shape[0], input.shape[1]) if batch_first else (input.shape[1], input.shape[0])
    if n.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {n.size} (batch_size={B})")
    if enforce_sorted:
        if np.any(n[1:] > n[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order = np.arange(B)
        sorted_indices = None
    else:
        order = np.argsort(-n, kind="stable")  # torch.sort(descending=True) keeps ties in order
        sorted_indices = Tensor._make(order.astype(np.int64))
    n = n[order]
    if B and n[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if B and n[0] > T:
        raise RuntimeError(f"the longest length in 'lengths' is {int(n[0])}, but the input has only {T} time steps")
    sizes = _batch_sizes(n)
    # Row of the flat input for (step t, packed position k): sequence order[k] at time t.
    t = np.repeat(np.arange(sizes.size), sizes)
    k = np.concatenate([np.arange(s) for s in sizes]) if sizes.size else np.zeros(0, np.int64)
    b = order[k]
    rows = b * T + t if batch_first else t * B + b
    flat = reshape(input, (B * T,) + tuple(input.shape[2:]))
    return PackedSequence(flat[Tensor._make(rows)], Tensor._make(sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undoes :func:`pack_padded_sequence`: returns the padded batch and the int64 lengths,
    in the batch order the sequences had before packing.

    Args:
        total_length: pad to this many steps (at least the longest length), e.g. for DataParallel.
    """
    data, batch_sizes, _, unsorted = sequence
    sizes = batch_sizes.numpy().astype(np.int64)
    T = sizes.size
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T}")
        T = total_length
    B = int(sizes[0]) if sizes.size else 0
    lengths = (sizes[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)  # of each packed position
    position = unsorted.numpy().astype(np.int64) if unsorted is not None else np.arange(B)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    # For each padded (t, b): its data row, or the padding row N that is appended below.
    N = data.shape[0]
    t = np.arange(T)[:, None]
    k = position[None, :]
    live = t < lengths[k]
    rows = np.where(live, starts[np.minimum(t, max(sizes.size - 1, 0))] + k, N)
    if batch_first:
        rows = rows.T
    pad = _creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    padded = cat([data, pad])[Tensor._make(rows)]
    return padded, Tensor._make(lengths[position])


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks sequences ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` with batch_first), padding each
    with ``padding_value`` on ``padding_side`` (``'right'`` or ``'left'``) to the longest length.

    Example::

        >>> pad_sequence([glasstorch.ones(3, 2), glasstorch.ones(1, 2)]).shape
        glasstorch.Size([3, 2, 2])
    """
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    elif not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != trailing:
            d = next(i for i, (a, b) in enumerate(zip(s.shape[1:], trailing)) if a != b) + 1 \
                if s.dim() == len(trailing) + 1 else 0
            raise RuntimeError(f"The size of tensor a ({trailing[d - 1] if d else sequences[0].dim()}) must match "
                               f"the size of tensor b ({s.shape[d] if d else s.dim()}) at non-singleton dimension {d}")
    n = np.array([s.shape[0] for s in sequences], np.int64)
    B, T, N = n.size, int(n.max()), int(n.sum())
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    t = np.arange(T)[:, None]
    shift = (T - n)[None, :] if padding_side == "left" else 0  # left padding: sequence b starts at T - n[b]
    local = t - shift
    rows = np.where((local >= 0) & (local < n[None, :]), starts[None, :] + local, N)
    if batch_first:
        rows = rows.T
    pad = _creation.full((1,) + trailing, padding_value, dtype=sequences[0].dtype)
    return cat(list(sequences) + [pad])[Tensor._make(rows)]


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Splits a padded batch back into its sequences, a list of ``(L_i, *)`` tensors."""
    if not batch_first:
        padded_sequences = transpose(padded_sequences, 0, 1)
    return [padded_sequences[b, :int(length)] for b, length in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of sequences ``(L_i, *)``; with ``enforce_sorted`` they must come longest first."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """Undoes :func:`pack_sequence`: the list of sequences, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
