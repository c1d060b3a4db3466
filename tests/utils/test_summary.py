"""utils.summary: torchinfo's table, checked against hand-computed shapes, parameter counts and mult-adds."""
import re

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.nn as nn
import glasstorch.nn.functional as F
from glasstorch.autograd import observe
from glasstorch.utils import summary
from models import lenet

ALL = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds", "trainable")
HEADERS = ("Input Shape", "Output Shape", "Param #", "Param %", "Kernel Shape", "Mult-Adds", "Trainable")


def parse(table: str) -> list:
    """[(label without the tree prefix, {header: cell})] for the rows of the table, in order.

    Cells are cut at the positions of the header labels (columns are left-aligned under them).
    """
    lines = table.splitlines()
    rulers = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    header = lines[rulers[0] + 1]
    titles = [h for h in HEADERS if h in header]
    starts = [header.index(h) for h in titles]
    rows = []
    for line in lines[rulers[1] + 1:rulers[2]]:
        bounds = [0] + starts + [len(line)]
        parts = [line[a:b].strip() for a, b in zip(bounds, bounds[1:])]
        rows.append((re.sub(r"^[│├└─ ]+", "", parts[0]), dict(zip(titles, parts[1:]))))
    return rows


def cells(table: str, column: str) -> dict:
    """{label: the cell of ``column``}, for tables whose labels are unique."""
    rows = parse(table)
    assert len({label for label, _ in rows}) == len(rows), [label for label, _ in rows]
    return {label: row[column] for label, row in rows}


def labels(table: str) -> list:
    """The layer column as printed (tree prefix included), rows only."""
    lines = table.splitlines()
    rulers = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    first = min(lines[rulers[0] + 1].index(h) for h in HEADERS if h in lines[rulers[0] + 1])
    return [line[:first].rstrip() for line in lines[rulers[1] + 1:rulers[2]]]


def footer(table: str, key: str) -> str:
    for line in table.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no '{key}' line in\n{table}")


# Hand-checked for a batch of 1. Params: conv weight Cout*Cin*k*k + bias Cout; linear in*out + out.
# Mult-adds: conv Cout*Hout*Wout*(Cin/groups)*k*k; pooling k*k per output element; linear in*out.
# (label, input shape, output shape, params, kernel, mult-adds)
LENET = [
    ("Conv2d (0)", "[1, 1, 28, 28]", "[1, 6, 28, 28]", 6 * 1 * 25 + 6, "[5, 5]", 6 * 28 * 28 * 1 * 25),
    ("Sigmoid (1)", "[1, 6, 28, 28]", "[1, 6, 28, 28]", 0, "--", 0),
    ("AvgPool2d (2)", "[1, 6, 28, 28]", "[1, 6, 14, 14]", 0, "2", 6 * 14 * 14 * 4),
    ("Conv2d (3)", "[1, 6, 14, 14]", "[1, 16, 10, 10]", 16 * 6 * 25 + 16, "[5, 5]", 16 * 10 * 10 * 6 * 25),
    ("Sigmoid (4)", "[1, 16, 10, 10]", "[1, 16, 10, 10]", 0, "--", 0),
    ("AvgPool2d (5)", "[1, 16, 10, 10]", "[1, 16, 5, 5]", 0, "2", 16 * 5 * 5 * 4),
    ("Flatten (6)", "[1, 16, 5, 5]", "[1, 400]", 0, "--", 0),
    ("Linear (7)", "[1, 400]", "[1, 120]", 400 * 120 + 120, "--", 400 * 120),
    ("Sigmoid (8)", "[1, 120]", "[1, 120]", 0, "--", 0),
    ("Linear (9)", "[1, 120]", "[1, 84]", 120 * 84 + 84, "--", 120 * 84),
    ("Sigmoid (10)", "[1, 84]", "[1, 84]", 0, "--", 0),
    ("Linear (11)", "[1, 84]", "[1, 10]", 84 * 10 + 10, "--", 84 * 10),
]


def num(n: int) -> str:
    return f"{n:,}" if n else "--"


def test_lenet_with_batch_in_input_size_every_column():
    table = summary(lenet(nn), (1, 1, 28, 28), col_names=ALL, print_fn=None)
    rows = parse(table)
    assert rows[0] == ("Sequential", {"Input Shape": "[1, 1, 28, 28]", "Output Shape": "[1, 10]",
                                      "Param #": "--", "Param %": "--", "Kernel Shape": "--",
                                      "Mult-Adds": "--", "Trainable": "True"})
    assert [label for label, _ in rows[1:]] == [r[0] for r in LENET]  # call order
    for (label, row), (_, inp, out, params, kernel, macs) in zip(rows[1:], LENET):
        assert row["Input Shape"] == inp and row["Output Shape"] == out, label
        assert row["Param #"] == num(params) and row["Kernel Shape"] == kernel, label
        assert row["Mult-Adds"] == num(macs), label
        assert row["Trainable"] == ("True" if params else "--"), label
        assert row["Param %"] == (f"{params / 61_706:.2%}" if params else "--"), label
    assert [r[3] for r in LENET if r[3]] == [156, 2416, 48120, 10164, 850]
    assert cells(table, "Param %")["Linear (7)"] == "77.98%"  # 48,120 / 61,706
    assert footer(table, "Total params") == "61,706"
    assert footer(table, "Trainable params") == "61,706"
    assert footer(table, "Non-trainable params") == "0"
    # 117,600 + 4,704 + 240,000 + 1,600 + 48,000 + 10,080 + 840 = 422,824
    assert sum(r[5] for r in LENET) == 422_824
    assert footer(table, "Total mult-adds (M)") == "0.42"
    assert footer(table, "Input size (MB)") == "0.00"  # 784 * 4 bytes
    # outputs of the layers with parameters, x2: (4,704 + 1,600 + 120 + 84 + 10) * 4 bytes * 2 = 52,144
    assert footer(table, "Forward/backward pass size (MB)") == "0.05"
    assert footer(table, "Params size (MB)") == "0.25"  # 61,706 * 4 bytes / 1e6 = 0.2468
    assert footer(table, "Buffers size (MB)") == "0.00"
    assert footer(table, "Estimated Total Size (MB)") == "0.30"  # 3,136 + 52,144 + 246,824 bytes


def test_default_columns_and_header_labels():
    table = summary(lenet(nn), (1, 1, 28, 28), print_fn=None)
    header = table.splitlines()[1]
    assert header.split() == ["Layer", "(type", "(var_name))", "Output", "Shape", "Param", "#"]
    assert set(parse(table)[1][1]) == {"Output Shape", "Param #"}
    for column, title in zip(ALL, HEADERS):
        one = summary(lenet(nn), (1, 1, 28, 28), col_names=(column,), print_fn=None)
        assert set(parse(one)[0][1]) == {title}, column
    assert set(parse(summary(lenet(nn), (1, 1, 28, 28), col_names="mult_adds", print_fn=None))[0][1]) \
        == {"Mult-Adds"}


def test_batch_scales_shapes_and_mult_adds():
    table = summary(lenet(nn), (8, 1, 28, 28), col_names=("output_size", "mult_adds"), print_fn=None)
    out, macs = cells(table, "Output Shape"), cells(table, "Mult-Adds")
    assert out["Conv2d (0)"] == "[8, 6, 28, 28]" and out["Linear (11)"] == "[8, 10]"
    assert macs["Conv2d (0)"] == "940,800"  # 8 * 117,600: torchinfo counts the whole batch
    assert footer(table, "Total mult-adds (M)") == "3.38"  # 8 * 422,824 = 3,382,592


def test_input_data_tensor_tuple_dict():
    net = lenet(nn)
    table = summary(net, input_data=gt.randn(3, 1, 28, 28), col_names=("output_size", "mult_adds"),
                    print_fn=None)
    assert cells(table, "Output Shape")["Conv2d (3)"] == "[3, 16, 10, 10]"
    assert cells(table, "Mult-Adds")["Conv2d (3)"] == "720,000"  # 3 * 240,000

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 5)
            self.b = nn.Linear(6, 5)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    x, y = gt.randn(2, 4), gt.randn(2, 6)
    for data in ((x, y), [x, y], {"x": x, "y": y}):
        table = summary(TwoInputs(), input_data=data, col_names=("input_size", "output_size", "mult_adds"),
                        print_fn=None)
        rows = parse(table)
        assert rows[0][1]["Input Shape"] == "[2, 4], [2, 6]", data
        assert cells(table, "Output Shape")["Linear (b)"] == "[2, 5]"
        assert cells(table, "Mult-Adds")["Linear (b)"] == "60"  # 2 rows * 6 * 5
    # a tensor passed to forward as a keyword, as torchinfo's **kwargs
    table = summary(TwoInputs(), input_data=x, y=y, print_fn=None)
    assert cells(table, "Output Shape")["Linear (b)"] == "[2, 5]"


def test_several_input_sizes_and_dtypes():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 5)
            self.b = nn.Linear(6, 5)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    table = summary(TwoInputs(), [(3, 4), (3, 6)], col_names=("input_size", "num_params", "mult_adds"),
                    print_fn=None)
    assert cells(table, "Input Shape") == {"TwoInputs": "[3, 4], [3, 6]", "Linear (a)": "[3, 4]",
                                           "Linear (b)": "[3, 6]", "add (functional)": "[3, 5], [3, 5]"}
    assert cells(table, "Param #")["Linear (a)"] == "25" and cells(table, "Param #")["Linear (b)"] == "35"
    assert cells(table, "Mult-Adds")["Linear (b)"] == "90"  # 3 rows * 6 * 5

    class Tokens(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3)
            self.fc = nn.Linear(3, 2)

        def forward(self, idx, w):
            return self.fc(self.emb(idx)) * w

    table = summary(Tokens(), [(2, 7), (2, 7, 2)], dtypes=[gt.int64, gt.float32],
                    col_names=("output_size", "num_params", "mult_adds"), print_fn=None)
    rows = dict(parse(table))
    assert rows["Embedding (emb)"] == {"Output Shape": "[2, 7, 3]", "Param #": "30", "Mult-Adds": "--"}
    assert rows["Linear (fc)"] == {"Output Shape": "[2, 7, 2]", "Param #": "8", "Mult-Adds": "84"}  # 14*3*2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(4, 4), nn.ReLU())  # 20 params, 2*4*4 = 32 mult-adds
        self.scale = nn.Parameter(gt.ones(4))                   # 4 params on the block itself

    def forward(self, x):
        return self.inner(x) * self.scale


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(Block(), nn.Linear(4, 3))  # Linear: 15 params, 2*4*3 = 24
        self.head = nn.Linear(3, 1)                          # 4 params, 2*3 = 6

    def forward(self, x):
        return self.head(self.body(x))


def test_depth_hides_rows_and_folds_their_counts_into_the_parent():
    cols = ("output_size", "num_params", "mult_adds")
    t0 = summary(Deep(), (2, 4), depth=0, col_names=cols, print_fn=None)
    assert parse(t0) == [("Deep", {"Output Shape": "[2, 1]", "Param #": "43", "Mult-Adds": "62"})]

    t1 = summary(Deep(), (2, 4), depth=1, col_names=cols, print_fn=None)
    assert labels(t1) == ["Deep", "├─Sequential (body)", "├─Linear (head)"]
    # body at the limit: 20 + 4 + 15 = 39 params, 32 + 24 = 56 mult-adds
    assert dict(parse(t1))["Sequential (body)"] == {"Output Shape": "[2, 3]", "Param #": "39",
                                                    "Mult-Adds": "56"}

    t2 = summary(Deep(), (2, 4), depth=2, col_names=cols, print_fn=None)
    assert labels(t2) == ["Deep", "├─Sequential (body)", "│    └─Block (body.0)",
                          "│    └─Linear (body.1)", "├─Linear (head)"]
    assert cells(t2, "Param #") == {"Deep": "--", "Sequential (body)": "--", "Block (body.0)": "24",
                                    "Linear (body.1)": "15", "Linear (head)": "4"}
    assert cells(t2, "Mult-Adds")["Block (body.0)"] == "32"

    t3 = summary(Deep(), (2, 4), depth=3, col_names=cols, print_fn=None)
    assert labels(t3) == ["Deep", "├─Sequential (body)", "│    └─Block (body.0)",
                          "│    │    └─Sequential (body.0.inner)", "│    │    └─mul (functional)",
                          "│    └─Linear (body.1)", "├─Linear (head)"]
    params = cells(t3, "Param #")
    assert params["Block (body.0)"] == "4"  # only its own scale: inner's row shows the rest
    assert params["Sequential (body.0.inner)"] == "20"  # at the limit: its Linear, hidden below
    assert cells(t3, "Mult-Adds")["Sequential (body.0.inner)"] == "32"
    assert cells(t3, "Mult-Adds")["Block (body.0)"] == "--"
    t4 = summary(Deep(), (2, 4), depth=4, col_names=cols, print_fn=None)
    assert "│    │    │    └─Linear (body.0.inner.0)" in labels(t4)
    for table in (t0, t1, t2, t3, t4):
        assert footer(table, "Total params") == "43"
        assert footer(table, "Total mult-adds (M)") == "0.00"  # 62
    # depth 3 is the default
    assert summary(Deep(), (2, 4), col_names=cols, print_fn=None) == t3


def test_functional_ops_in_a_containers_forward():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)  # (1, 6, 6) -> (2, 4, 4): 2*3*3 + 2 = 20 params
            self.fc = nn.Linear(32, 3)       # 32*3 + 3 = 99 params

        def forward(self, x):
            x = F.relu(self.conv(x))
            return self.fc(x.flatten(1))

    table = summary(Net(), (5, 1, 6, 6), col_names=("input_size", "output_size", "num_params"), print_fn=None)
    assert labels(table) == ["Net", "├─Conv2d (conv)", "├─relu (functional)", "├─view (functional)",
                             "├─Linear (fc)"]
    rows = dict(parse(table))
    assert rows["relu (functional)"] == {"Input Shape": "[5, 2, 4, 4]", "Output Shape": "[5, 2, 4, 4]",
                                         "Param #": "--"}
    assert rows["view (functional)"] == {"Input Shape": "[5, 2, 4, 4]", "Output Shape": "[5, 32]",
                                         "Param #": "--"}
    assert rows["Linear (fc)"]["Param #"] == "99"
    assert footer(table, "Total params") == "119"
    # inside layers without children (Conv2d, Linear, Flatten) their own ops get no row
    seq = summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), (1, 1, 6, 6), print_fn=None)
    assert "functional" not in seq
    # a functional op below the depth limit is hidden like a module
    assert "functional" not in summary(Net(), (5, 1, 6, 6), depth=0, print_fn=None)


def test_layout_is_aligned_and_printed_text_is_returned(capsys):
    table = summary(lenet(nn), (1, 1, 28, 28), col_names=ALL)
    assert capsys.readouterr().out == table + "\n"
    got = []
    assert summary(lenet(nn), (1, 1, 28, 28), print_fn=got.append) == got[0] and len(got) == 1
    assert summary(lenet(nn), (1, 1, 28, 28), verbose=0) and capsys.readouterr().out == ""
    lines = table.splitlines()
    width = len(lines[0])
    assert set(lines[0]) == {"="} and all(len(line) <= width for line in lines)
    header = lines[1]
    # torchinfo's widths: a 40-character name column, then 25 per column, left-aligned
    assert header.index("Input Shape") == 41 and header.index("Output Shape") == 41 + 26
    assert width == 40 + 7 * 25
    for line in lines[4:4 + len(LENET)]:
        assert line[header.index("Output Shape")] == "[" and line[header.index("Input Shape") - 1] == " "


def test_single_layer_model():
    table = summary(nn.Linear(5, 3), input_data=gt.randn(7, 5), col_names=("output_size", "num_params",
                                                                           "mult_adds"), print_fn=None)
    assert parse(table) == [("Linear", {"Output Shape": "[7, 3]", "Param #": "18", "Mult-Adds": "105"})]


def test_batchnorm_buffers_and_mode_restored():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.5))
    net.train()
    net[3].eval()  # mixed modes must come back exactly
    mean_before = net[1].running_mean.numpy().copy()
    table = summary(net, (2, 3, 10, 10), col_names=("output_size", "num_params", "mult_adds"), print_fn=None)
    assert [m.training for m in net.modules()] == [True, True, True, True, False]
    np.testing.assert_array_equal(net[1].running_mean.numpy(), mean_before)  # ran in eval mode
    assert net[1].num_batches_tracked.item() == 0
    rows = dict(parse(table))
    # conv: 8*3*9 + 8 = 224 params; mult-adds 2 * 8*8*8 * 3*9 = 27,648
    assert rows["Conv2d (0)"] == {"Output Shape": "[2, 8, 8, 8]", "Param #": "224", "Mult-Adds": "27,648"}
    assert rows["BatchNorm2d (1)"] == {"Output Shape": "[2, 8, 8, 8]", "Param #": "16", "Mult-Adds": "--"}
    assert footer(table, "Total params") == "240"


def test_sizes_use_each_dtype():
    net = nn.Sequential(nn.BatchNorm1d(100_000)).double()
    table = summary(net, (2, 100_000), print_fn=None)
    # params: 2 * 100,000 float64 = 1.6e6 bytes; buffers: 2 * 8e5 + 8 bytes (num_batches_tracked, int64)
    assert footer(table, "Params size (MB)") == "1.60"
    assert footer(table, "Buffers size (MB)") == "1.60"
    assert footer(table, "Input size (MB)") == "1.60"  # 2 * 100,000 float64
    assert footer(table, "Forward/backward pass size (MB)") == "3.20"  # output 1.6e6 bytes, x2
    assert footer(table, "Estimated Total Size (MB)") == "8.00"


def test_frozen_parameters_are_non_trainable():
    net = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    net[0].requires_grad_(False)
    net[2].bias.requires_grad_(False)
    table = summary(net, (1, 10), col_names=("num_params", "trainable"), print_fn=None)
    rows = dict(parse(table))
    assert rows["Linear (0)"] == {"Param #": "(55)", "Trainable": "False"}  # torchinfo's parentheses
    assert rows["ReLU (1)"] == {"Param #": "--", "Trainable": "--"}
    assert rows["Linear (2)"] == {"Param #": "12", "Trainable": "Partial"}
    assert rows["Sequential"]["Trainable"] == "Partial"
    assert footer(table, "Total params") == "67"
    assert footer(table, "Trainable params") == "10"
    assert footer(table, "Non-trainable params") == "57"


def test_shared_weights_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(6, 6)
            self.dec = nn.Linear(6, 6)
            self.dec.weight = self.enc.weight  # tied: 36 weights shared, two biases of 6

        def forward(self, x):
            return self.dec(self.enc(x))

    table = summary(Tied(), (1, 6), col_names=("num_params", "mult_adds"), print_fn=None)
    rows = dict(parse(table))
    assert rows["Linear (enc)"] == {"Param #": "42", "Mult-Adds": "36"}
    assert rows["Linear (dec)"] == {"Param #": "42*", "Mult-Adds": "36"}  # marked as shown before
    assert footer(table, "Total params") == "48"  # 36 + 6 + 6
    assert "* parameters shown in an earlier row too" in table


def test_module_called_twice_and_registered_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.alias = self.fc  # same module under two names: shown under its first

        def forward(self, x):
            return self.fc(self.fc(x))

    table = summary(Twice(), (1, 3), col_names=("num_params", "params_percent", "mult_adds"), print_fn=None)
    rows = parse(table)
    assert rows[1] == ("Linear (fc)", {"Param #": "12", "Param %": "100.00%", "Mult-Adds": "9"})
    assert rows[2] == ("Linear (fc)", {"Param #": "(recursive)", "Param %": "(recursive)", "Mult-Adds": "9"})
    assert footer(table, "Total params") == "12"


def test_container_with_own_parameters():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(gt.ones(4))
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x) * self.scale

    table = summary(Scaled(), (1, 4), print_fn=None)
    assert labels(table) == ["Scaled", "├─Linear (fc)", "├─mul (functional)"]
    assert cells(table, "Param #") == {"Scaled": "4", "Linear (fc)": "20", "mul (functional)": "--"}
    assert footer(table, "Total params") == "24"


def test_other_layer_mult_adds():
    net = nn.Sequential(
        nn.Conv1d(4, 8, 3, groups=2),           # (4, 12) -> (8, 10): 8*10 * (4/2)*3 = 480
        nn.MaxPool1d(2),                        # -> (8, 5): 8*5 * 2 = 80
        nn.ConvTranspose1d(8, 4, 3, stride=2),  # (8, 5) -> (4, 11): 8*5 * 4*3 = 480
    )
    table = summary(net, (1, 4, 12), col_names=("output_size", "num_params", "kernel_size", "mult_adds"),
                    print_fn=None)
    rows = dict(parse(table))
    assert rows["Conv1d (0)"] == {"Output Shape": "[1, 8, 10]", "Param #": "56", "Kernel Shape": "[3]",
                                  "Mult-Adds": "480"}  # 8*2*3 + 8 params
    assert rows["MaxPool1d (1)"] == {"Output Shape": "[1, 8, 5]", "Param #": "--", "Kernel Shape": "2",
                                     "Mult-Adds": "80"}
    assert rows["ConvTranspose1d (2)"]["Param #"] == "100" and rows["ConvTranspose1d (2)"]["Mult-Adds"] == "480"

    net2 = nn.Sequential(
        nn.ConvTranspose2d(4, 2, 3, stride=2),  # (4, 5, 5) -> (2, 11, 11): 4*5*5 * 2*9 = 1,800
        nn.MaxPool2d(3, stride=2),               # -> (2, 5, 5): 2*5*5 * 9 = 450
        nn.AdaptiveAvgPool2d((1, 1)),            # one op per input element: 2*5*5 = 50
        nn.Flatten(), nn.Linear(2, 1, bias=False))  # 2
    table = summary(net2, (1, 4, 5, 5), depth=0, col_names=("mult_adds",), print_fn=None)
    assert parse(table) == [("Sequential", {"Mult-Adds": "2,302"})]  # 1,800 + 450 + 50 + 2
    rows = dict(parse(summary(net2, (1, 4, 5, 5), col_names=("mult_adds",), print_fn=None)))
    assert [rows[k]["Mult-Adds"] for k in ("ConvTranspose2d (0)", "MaxPool2d (1)", "AdaptiveAvgPool2d (2)",
                                           "Flatten (3)", "Linear (4)")] == ["1,800", "450", "50", "--", "2"]


def test_mult_adds_units():
    big = nn.Linear(1000, 1000, bias=False)
    assert footer(summary(big, (2000, 1000), print_fn=None), "Total mult-adds (G)") == "2.00"  # 2e9
    assert footer(summary(big, (3, 1000), print_fn=None), "Total mult-adds (M)") == "3.00"


def test_tuple_outputs_and_uncalled_modules():
    class Split(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 6)
            self.unused = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

    net = nn.Sequential(nn.Linear(4, 4), nn.MaxPool1d(2, return_indices=True))
    table = summary(net, (2, 3, 4), print_fn=None)
    assert cells(table, "Output Shape")["MaxPool1d (1)"] == "[2, 3, 2], [2, 3, 2]"
    table = summary(Split(), (1, 4), print_fn=None)
    assert labels(table) == ["Split", "├─Linear (fc)"]
    assert footer(table, "Total params") == "36"  # 30 + the unused layer's 6
    assert "Not called in forward, but in the totals: unused" in table


def test_no_graph_recorded_and_nothing_left_behind():
    seen = []
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    net[1].register_forward_hook(lambda m, i, o: seen.append((o.requires_grad, o.grad_fn)))
    observers_before = list(observe.observers)
    summary(net, (2, 3), print_fn=None)
    assert seen == [(False, None)]
    assert gt.is_grad_enabled()
    assert all(p.grad is None for p in net.parameters())
    assert observe.observers == observers_before
    assert len(net[0]._forward_hooks) == 0 and len(net[0]._forward_pre_hooks) == 0
    assert len(net[1]._forward_hooks) == 1  # the user's hook stays


def test_global_rng_untouched():
    net = lenet(nn)
    gt.manual_seed(0)
    a = gt.rand(5)
    gt.manual_seed(0)
    summary(net, (1, 1, 28, 28), print_fn=None)
    np.testing.assert_array_equal(gt.rand(5).numpy(), a.numpy())


def test_double_model_gets_double_inputs():
    net = lenet(nn).double()
    table = summary(net, (1, 1, 28, 28), print_fn=None)
    assert footer(table, "Params size (MB)") == "0.49"  # 61,706 * 8 / 1e6
    assert footer(table, "Input size (MB)") == "0.01"   # 784 * 8


def test_errors_and_cleanup_on_failure():
    net = lenet(nn)
    with pytest.raises(ValueError, match="exactly one of input_size"):
        summary(net)
    with pytest.raises(ValueError, match="exactly one of input_size"):
        summary(net, (1, 1, 28, 28), input_data=gt.zeros(1, 1, 28, 28))
    with pytest.raises(ValueError, match=r"input_size must be a shape .* got '1x28x28'"):
        summary(net, "1x28x28")
    with pytest.raises(ValueError, match=r"got \[\(1, 28\), 5\]"):
        summary(net, [(1, 28), 5])
    with pytest.raises(ValueError, match=r"input_size \(-1, 1, 28, 28\) has a dimension below 1"):
        summary(net, (-1, 1, 28, 28))  # the old torchsummary display of the batch
    with pytest.raises(ValueError, match=r"got \(\)"):
        summary(net, ())
    with pytest.raises(ValueError, match=r"got 2 dtypes for 1 inputs of shapes \[\(1, 1, 28, 28\)\]"):
        summary(net, (1, 1, 28, 28), dtypes=[gt.float32, gt.float32])
    with pytest.raises(ValueError, match="col_names must be"):
        summary(net, (1, 1, 28, 28), col_names=("params",))
    with pytest.raises(ValueError, match="depth must be"):
        summary(net, (1, 1, 28, 28), depth=-1)
    with pytest.raises(ValueError, match="input_data must be"):
        summary(net, input_data=np.zeros((1, 1, 28, 28)))
    net.train()
    with pytest.raises(RuntimeError) as info:
        summary(net, (1, 1, 27, 27), print_fn=None)  # flatten gives 16*4*4 = 256, not 400
    notes = getattr(info.value, "__notes__", [])
    assert any("failed inside 7 (Linear)" in note for note in notes), notes
    assert any("[(1, 1, 27, 27)]" in note and "batch dimension" in note for note in notes), notes
    assert net.training and all(m.training for m in net.modules())
    assert observe.observers == []


def test_old_convention_without_batch_fails_with_a_hint():
    with pytest.raises(RuntimeError) as info:
        summary(lenet(nn), (1, 28, 28), print_fn=None)
    assert any("includes the batch dimension" in note for note in getattr(info.value, "__notes__", []))
