"""Recurrent layers, mirroring torch/nn/modules/rnn.py.

``RNN``, ``LSTM`` and ``GRU`` keep torch's parameters (``weight_ih_l0``, ``weight_hh_l0_reverse``,
``bias_ih_l1``, ``weight_hr_l0`` for ``proj_size``) in torch's layout, so a torch ``state_dict``
loads as it is. Their forward runs each layer and direction as one fused graph node
(``glasstorch.ops.rnn.RNNLayer``, which explains why and how). The cells are one time step
written with ordinary ops.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import _creation
from ..._tensor import Tensor
from ...ops import rnn as _rnn
from ...ops.nn_misc import dropout as _dropout
from ...ops.shape import cat, reshape, stack, transpose, unsqueeze, squeeze
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _packed_type():
    from ..utils.rnn import PackedSequence  # here, as nn.utils imports nn.modules
    return PackedSequence


def _select(t: Tensor, dim: int, index: Tensor | None) -> Tensor:
    return t if index is None else t.index_select(dim, index)


class RNNBase(Module):
    """Base of RNN, LSTM and GRU: the parameters, their checks and the layer loop.

    Args:
        mode: ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``.
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: stacked recurrent layers. Default: 1.
        bias: if False, no ``b_ih`` and ``b_hh``. Default: True.
        batch_first: inputs and outputs are ``(batch, seq, feature)``. Default: False.
        dropout: dropout on the outputs of every layer but the last. Default: 0.
        bidirectional: run a second, reversed direction. Default: False.
        proj_size: LSTM only: project ``h`` to this size. Default: 0.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gates = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gates is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        factory = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                shapes = [("weight_ih", (gates * hidden_size, layer_input)),
                          ("weight_hh", (gates * hidden_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gates * hidden_size,)), ("bias_hh", (gates * hidden_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_creation.empty(*shape, **factory)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters, one list per layer and direction, in torch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Does nothing: the weights already are the arrays the layers use (torch compacts them for cuDNN)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---------------------------------------------------------------- checks, as torch words them
    def check_input(self, input: Tensor, batch_sizes) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                             f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, mini_batch, self.proj_size if self.proj_size > 0 else self.hidden_size)

    @staticmethod
    def check_hidden_size(hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.shape)))

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        if self.mode == "LSTM":
            self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                                   "Expected hidden[0] size {}, got {}")
            expected_c = self.get_expected_hidden_size(input, batch_sizes)[:2] + (self.hidden_size,)
            self.check_hidden_size(hidden[1], expected_c, "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    # ---------------------------------------------------------------- the forward
    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        packed = isinstance(input, _packed_type())
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        is_batched = True
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = batch_sizes.numpy().astype(np.int64)
            max_batch = int(sizes[0])
            if hx is not None:
                hx = (_select(hx[0], 1, sorted_indices), _select(hx[1], 1, sorted_indices)) if lstm \
                    else _select(hx, 1, sorted_indices)
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                kind = "D instead" if lstm else "D tensor instead"
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}{kind}")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = unsqueeze(input, batch_dim)
            if hx is not None:
                if lstm:
                    dims = (hx[0].dim(), hx[1].dim())
                    want = 3 if is_batched else 2
                    if dims != (want, want):
                        kind = "batched 3-D" if is_batched else "unbatched 2-D"
                        raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                           f"({dims[0]}-D, {dims[1]}-D) tensors")
                    if not is_batched:
                        hx = (unsqueeze(hx[0], 1), unsqueeze(hx[1], 1))
                elif is_batched and hx.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
                elif not is_batched:
                    if hx.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                           f"{hx.dim()}-D tensor")
                    hx = unsqueeze(hx, 1)
            max_batch = input.shape[0] if self.batch_first else input.shape[1]
            data = input
        if hx is None:
            zeros = lambda size: _creation.zeros(self.num_layers * directions, max_batch, size,  # noqa: E731
                                                 dtype=data.dtype)
            hx = (zeros(real_hidden), zeros(self.hidden_size)) if lstm else zeros(real_hidden)
        self.check_forward_args(data, hx, batch_sizes)

        if packed:
            x = data
        else:
            # Time-major flat rows: step t owns rows t*B .. t*B+B-1.
            seq = transpose(data, 0, 1) if self.batch_first else data
            T, B = seq.shape[0], seq.shape[1]
            sizes = np.full(T, B, np.int64)
            x = reshape(seq, (T * B, self.input_size))
        h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
        h_n, c_n = [], []
        weights = self.all_weights
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                w = dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"),
                             self._layer_weights(weights[k])))
                result = _rnn.RNNLayer.apply(x, h0[k], None if c0 is None else c0[k], w["weight_ih"],
                                             w["weight_hh"], w["bias_ih"], w["bias_hh"], w["weight_hr"],
                                             self.mode, sizes, direction == 1)
                outs.append(result[0])
                h_n.append(result[1])
                if lstm:
                    c_n.append(result[2])
            x = outs[0] if directions == 1 else cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = stack(h_n)
        hidden = (h_n, stack(c_n)) if lstm else h_n

        if packed:
            output = _packed_type()(x, batch_sizes, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                hidden = (_select(hidden[0], 1, unsorted_indices), _select(hidden[1], 1, unsorted_indices)) \
                    if lstm else _select(hidden, 1, unsorted_indices)
            return output, hidden
        output = reshape(x, (T, B, x.shape[-1]))
        if self.batch_first:
            output = transpose(output, 0, 1)
        if not is_batched:
            output = squeeze(output, 0 if self.batch_first else 1)
            hidden = (squeeze(hidden[0], 1), squeeze(hidden[1], 1)) if lstm else squeeze(hidden, 1)
        return output, hidden

    def _layer_weights(self, params: list) -> list:
        """``[w_ih, w_hh, b_ih, b_hh, w_hr]`` of one layer and direction, None where absent."""
        w = list(params[:2])
        rest = list(params[2:])
        w += rest[:2] if self.bias else [None, None]
        rest = rest[2:] if self.bias else rest
        w.append(rest[0] if self.proj_size > 0 else None)
        return w


class RNN(RNNBase):
    """A multi-layer Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    Args:
        input_size, hidden_size, num_layers, nonlinearity (``'tanh'`` or ``'relu'``), bias,
        batch_first, dropout, bidirectional: as torch.nn.RNN.

    Shape:
        input: ``(L, N, H_in)`` (``(N, L, H_in)`` with batch_first), ``(L, H_in)`` or a PackedSequence.
        output: ``(L, N, D * H_out)``; h_n: ``(D * num_layers, N, H_out)``.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(glasstorch.randn(5, 3, 10), glasstorch.randn(2, 3, 20))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """A multi-layer long short-term memory RNN (gates ``i, f, g, o``, torch's layout).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: as torch.nn.LSTM.

    Shape:
        input: ``(L, N, H_in)`` (``(N, L, H_in)`` with batch_first), ``(L, H_in)`` or a PackedSequence.
        output: ``(L, N, D * H_out)``; h_n: ``(D * num_layers, N, H_out)``; c_n: ``(D * num_layers, N, H_cell)``
        (``H_out`` is proj_size when it is set, else hidden_size).

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(glasstorch.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """A multi-layer gated recurrent unit RNN (gates ``r, z, n``, torch's layout).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as torch.nn.GRU.

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> output, hn = gru(glasstorch.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ==================================================================== cells
class RNNCellBase(Module):
    """Base of the cells: ``weight_ih`` (chunks*hidden, input), ``weight_hh`` (chunks*hidden, hidden), biases."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(_creation.empty(num_chunks * hidden_size, input_size, **factory))
        self.weight_hh = Parameter(_creation.empty(num_chunks * hidden_size, hidden_size, **factory))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **factory))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input: Tensor, hx: tuple, name: str) -> tuple:
        """Checks ranks and sizes as torch does; returns the batched input and states, and is_batched."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for idx, value in enumerate(hx):
            if value is not None and value.dim() not in (1, 2):
                what = "hidden" if len(hx) == 1 else f"hx[{idx}]"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = unsqueeze(input, 0)
        states = []
        for value in hx:
            if value is None:
                value = _creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            elif not is_batched:
                value = unsqueeze(value, 0)
            states.append(value)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        for k, value in enumerate(states):
            if value.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size "
                                   f"{value.shape[0]}")
            if value.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {value.shape[1]}, expected "
                                   f"{self.hidden_size}")
        return input, states, is_batched


class RNNCell(RNNCellBase):
    """An Elman RNN cell: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> hx = cell(glasstorch.randn(3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (hx,), is_batched = self._prepare(input, (hx,), "RNNCell")
        if self.nonlinearity == "tanh":
            cell = _rnn.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            cell = _rnn.rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if is_batched else squeeze(h, 0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell; returns ``(h', c')``.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> hx, cx = cell(glasstorch.randn(3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        input, (h, c), is_batched = self._prepare(input, (None, None) if hx is None else tuple(hx), "LSTMCell")
        h, c = _rnn.lstm_cell(input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if is_batched else (squeeze(h, 0), squeeze(c, 0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell: ``h' = (1 - z) * n + z * h``.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> hx = cell(glasstorch.randn(3, 10))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (hx,), is_batched = self._prepare(input, (hx,), "GRUCell")
        h = _rnn.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if is_batched else squeeze(h, 0)
