"""utils.summary: the layer table, checked against hand-computed shapes, parameter counts and MACs."""
import re

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.nn as nn
from glasstorch.utils.summary import summary
from models import lenet


def parse(table: str) -> dict:
    """{layer label (without indentation): (shape, params, trainable, macs)} from the rows of the table.

    Numbers are ints ('-' -> None); a trailing '*' (shared parameters) is kept as part of a str.
    """
    lines = table.splitlines()
    rulers = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    rows = {}
    for line in lines[rulers[0] + 1:rulers[1]]:
        label, shape, *nums = re.split(r"\s{2,}", line.strip())
        vals = []
        for n in nums:
            vals.append(None if n == "-" else n if n.endswith("*") else int(n.replace(",", "")))
        assert label not in rows, f"duplicate row {label}"
        rows[label] = (shape, *vals)
    return rows


def footer(table: str, key: str) -> str:
    for line in table.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no '{key}' line in\n{table}")


# Hand-checked, per sample. Params: conv weight Cout*Cin*k*k + bias Cout; linear in*out + out.
# MACs: conv Cout*Hout*Wout*(Cin/groups)*k*k; pooling k*k per output element; linear in*out.
LENET = {
    "0 (Conv2d)": ("[-1, 6, 28, 28]", 6 * 1 * 25 + 6, 6 * 28 * 28 * 1 * 25),          # 156, 117,600
    "1 (Sigmoid)": ("[-1, 6, 28, 28]", 0, None),
    "2 (AvgPool2d)": ("[-1, 6, 14, 14]", 0, 6 * 14 * 14 * 4),                         # 4,704
    "3 (Conv2d)": ("[-1, 16, 10, 10]", 16 * 6 * 25 + 16, 16 * 10 * 10 * 6 * 25),       # 2,416, 240,000
    "4 (Sigmoid)": ("[-1, 16, 10, 10]", 0, None),
    "5 (AvgPool2d)": ("[-1, 16, 5, 5]", 0, 16 * 5 * 5 * 4),                           # 1,600
    "6 (Flatten)": ("[-1, 400]", 0, None),
    "7 (Linear)": ("[-1, 120]", 400 * 120 + 120, 400 * 120),                          # 48,120, 48,000
    "8 (Sigmoid)": ("[-1, 120]", 0, None),
    "9 (Linear)": ("[-1, 84]", 120 * 84 + 84, 120 * 84),                              # 10,164, 10,080
    "10 (Sigmoid)": ("[-1, 84]", 0, None),
    "11 (Linear)": ("[-1, 10]", 84 * 10 + 10, 84 * 10),                               # 850, 840
}


def test_lenet_table():
    table = summary(lenet(nn), (1, 28, 28), print_fn=None)
    rows = parse(table)
    assert list(rows) == list(LENET)  # call order
    for label, (shape, params, macs) in LENET.items():
        assert rows[label] == (shape, params, params, macs), label
    assert (156, 2416, 48120, 10164, 850) == tuple(LENET[k][1] for k in
                                                   ("0 (Conv2d)", "3 (Conv2d)", "7 (Linear)", "9 (Linear)",
                                                    "11 (Linear)"))
    assert footer(table, "Total params") == "61,706"
    assert footer(table, "Trainable params") == "61,706"
    assert footer(table, "Non-trainable params") == "0"
    # 117,600 + 4,704 + 240,000 + 1,600 + 48,000 + 10,080 + 840
    assert footer(table, "Total MACs (per sample)") == "422,824"
    assert footer(table, "Params size (MB)") == "0.24"  # 61,706 * 4 bytes / 2**20 = 0.2354
    assert footer(table, "Buffers size (MB)").startswith("0.00 (0 elements")


def test_batch_size_and_input_data_shapes():
    net = lenet(nn)
    rows = parse(summary(net, (1, 28, 28), batch_size=8, print_fn=None))
    assert rows["0 (Conv2d)"][0] == "[8, 6, 28, 28]" and rows["11 (Linear)"][0] == "[8, 10]"
    assert rows["0 (Conv2d)"][3] == 117_600  # MACs stay per sample
    table = summary(net, input_data=gt.randn(3, 1, 28, 28), print_fn=None)
    rows = parse(table)
    assert rows["3 (Conv2d)"][0] == "[3, 16, 10, 10]" and rows["6 (Flatten)"][0] == "[3, 400]"
    assert rows["3 (Conv2d)"][3] == 240_000
    assert footer(table, "Total MACs (per sample)") == "422,824"


def test_layout_is_aligned_and_printed_text_is_returned(capsys):
    table = summary(lenet(nn), (1, 28, 28))
    assert capsys.readouterr().out == table + "\n"
    got = []
    assert summary(lenet(nn), (1, 28, 28), print_fn=got.append) == got[0] and len(got) == 1
    lines = table.splitlines()
    width = len(lines[0])
    assert set(lines[0]) == {"-"} and all(len(line) <= width for line in lines)
    header = lines[1]
    # numbers are right-aligned under their headers
    macs_end = header.index("MACs") + len("MACs")
    for line in lines[3:3 + len(LENET)]:
        assert len(line) == macs_end, line
        assert line.index("[-1") == header.index("Output Shape")


def test_nested_containers_show_tree():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            return self.head(self.features(x))

    table = summary(Net(), (4,), print_fn=None)
    labels = [re.match(r"^( *\S.*?)\s{2,}", line).group(1) for line in table.splitlines()[3:7]]
    assert labels == ["features (Sequential)", "  features.0 (Linear)", "  features.1 (ReLU)", "head (Linear)"]
    rows = parse(table)
    assert rows["features (Sequential)"] == ("[-1, 8]", None, None, None)  # its children hold the params
    assert rows["features.0 (Linear)"] == ("[-1, 8]", 40, 40, 32)
    assert rows["head (Linear)"] == ("[-1, 2]", 18, 18, 16)
    assert footer(table, "Total params") == "58"


def test_single_layer_model():
    rows = parse(summary(nn.Linear(5, 3), input_data=gt.randn(7, 5), print_fn=None))
    assert rows == {"Linear": ("[7, 3]", 18, 18, 15)}


def test_batchnorm_buffers_and_mode_restored():
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.5))
    net.train()
    net[3].eval()  # mixed modes must come back exactly
    mean_before = net[1].running_mean.numpy().copy()
    table = summary(net, (3, 10, 10), print_fn=None)
    assert [m.training for m in net.modules()] == [True, True, True, True, False]
    np.testing.assert_array_equal(net[1].running_mean.numpy(), mean_before)  # ran in eval mode
    assert net[1].num_batches_tracked.item() == 0
    rows = parse(table)
    # conv: 8*3*9 + 8 = 224 params; MACs 8*8*8 * 3*9 = 13,824
    assert rows["0 (Conv2d)"] == ("[-1, 8, 8, 8]", 224, 224, 13_824)
    assert rows["1 (BatchNorm2d)"] == ("[-1, 8, 8, 8]", 16, 16, None)  # weight + bias, trainable
    assert footer(table, "Total params") == "240"
    # buffers: running_mean 8 + running_var 8 (float32) + num_batches_tracked 1 (int64) = 17 elements
    assert footer(table, "Buffers size (MB)") == "0.00 (17 elements, not trained)"


def test_buffer_bytes_use_each_dtype():
    net = nn.Sequential(nn.BatchNorm1d(100_000)).double()
    table = summary(net, (100_000,), print_fn=None)
    # params: 2 * 100,000 float64 = 1.6e6 bytes = 1.53 MB; buffers: 2 * 8e5 + 8 bytes = 1.53 MB
    assert footer(table, "Params size (MB)") == f"{1.6e6 / 2**20:.2f}" == "1.53"
    assert footer(table, "Buffers size (MB)").startswith("1.53 (200,001 elements")


def test_frozen_parameters_are_non_trainable():
    net = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    net[0].requires_grad_(False)
    net[2].bias.requires_grad_(False)
    table = summary(net, (10,), print_fn=None)
    rows = parse(table)
    assert rows["0 (Linear)"][1:3] == (55, 0)
    assert rows["2 (Linear)"][1:3] == (12, 10)
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

    table = summary(Tied(), (6,), print_fn=None)
    rows = parse(table)
    assert rows["enc (Linear)"] == ("[-1, 6]", 42, 42, 36)
    assert rows["dec (Linear)"] == ("[-1, 6]", "42*", "42*", 36)  # marked as shown before
    assert footer(table, "Total params") == "48"  # 36 + 6 + 6
    assert footer(table, "Params size (MB)") == "0.00"
    assert "* parameters shown in an earlier row" in table
    assert footer(table, "Total MACs (per sample)") == "72"  # both calls do the work


def test_module_called_twice_and_registered_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.alias = self.fc  # same module under two names

        def forward(self, x):
            return self.fc(self.fc(x))

    table = summary(Twice(), (3,), print_fn=None)
    body = table.splitlines()[3:5]
    assert body[0].startswith("fc (Linear)") and body[1].startswith("fc (Linear)")
    assert "12*" in body[1] and "12*" not in body[0]
    assert footer(table, "Total params") == "12"
    assert footer(table, "Total MACs (per sample)") == "18"  # 9 + 9


def test_container_with_own_parameters():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(gt.ones(4))
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x) * self.scale

    table = summary(Scaled(), (4,), print_fn=None)
    rows = parse(table)
    assert rows["Scaled"] == ("[-1, 4]", 4, 4, None)  # the model's own parameter
    assert rows["fc (Linear)"] == ("[-1, 4]", 20, 20, 16)
    lines = table.splitlines()
    assert lines[3].startswith("Scaled") and lines[4].startswith("  fc (Linear)")
    assert footer(table, "Total params") == "24"


def test_multiple_inputs_and_dtypes():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 5)
            self.b = nn.Linear(6, 5)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    rows = parse(summary(TwoInputs(), [(4,), (6,)], print_fn=None))
    assert rows["a (Linear)"] == ("[-1, 5]", 25, 25, 20)
    assert rows["b (Linear)"] == ("[-1, 5]", 35, 35, 30)
    x, y = gt.randn(2, 4), gt.randn(2, 6)
    assert parse(summary(TwoInputs(), input_data=(x, y), print_fn=None))["b (Linear)"][0] == "[2, 5]"

    class Tokens(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3)
            self.fc = nn.Linear(3, 2)

        def forward(self, idx, w):
            return self.fc(self.emb(idx)) * w

    table = summary(Tokens(), [(7,), (7, 2)], dtypes=[gt.int64, gt.float32], print_fn=None)
    rows = parse(table)
    assert rows["emb (Embedding)"] == ("[-1, 7, 3]", 30, 30, None)
    assert rows["fc (Linear)"] == ("[-1, 7, 2]", 8, 8, 7 * 3 * 2)  # 7 rows of 3*2 per sample


def test_no_graph_recorded_and_grad_mode_kept():
    seen = []
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    net[1].register_forward_hook(lambda m, i, o: seen.append((o.requires_grad, o.grad_fn)))
    summary(net, (3,), print_fn=None)
    assert seen == [(False, None)]
    assert gt.is_grad_enabled()
    assert all(p.grad is None for p in net.parameters())
    # our hooks are gone, the user's stays
    assert len(net[0]._forward_hooks) == 0 and len(net[0]._forward_pre_hooks) == 0
    assert len(net[1]._forward_hooks) == 1


def test_global_rng_untouched():
    net = lenet(nn)
    gt.manual_seed(0)
    a = gt.rand(5)
    gt.manual_seed(0)
    summary(net, (1, 28, 28), print_fn=None)
    np.testing.assert_array_equal(gt.rand(5).numpy(), a.numpy())


def test_double_model_gets_double_inputs():
    net = lenet(nn).double()
    assert footer(summary(net, (1, 28, 28), print_fn=None), "Params size (MB)") == "0.47"  # 61,706 * 8


def test_other_layer_macs():
    net = nn.Sequential(
        nn.Conv1d(4, 8, 3, groups=2),        # (4, 12) -> (8, 10): 8*10 * (4/2)*3 = 480
        nn.MaxPool1d(2),                      # -> (8, 5): 8*5 * 2 = 80
        nn.ConvTranspose1d(8, 4, 3, stride=2),  # (8, 5) -> (4, 11): 8*5 * 4*3 = 480
    )
    rows = parse(summary(net, (4, 12), print_fn=None))
    assert rows["0 (Conv1d)"] == ("[-1, 8, 10]", 8 * 2 * 3 + 8, 56, 480)
    assert rows["1 (MaxPool1d)"] == ("[-1, 8, 5]", 0, 0, 80)
    assert rows["2 (ConvTranspose1d)"] == ("[-1, 4, 11]", 8 * 4 * 3 + 4, 100, 480)

    net2 = nn.Sequential(
        nn.ConvTranspose2d(4, 2, 3, stride=2),  # (4, 5, 5) -> (2, 11, 11): 4*5*5 * 2*9 = 1,800
        nn.MaxPool2d(3, stride=2),               # -> (2, 5, 5): 2*5*5 * 9 = 450
        nn.AdaptiveAvgPool2d((1, 1)),            # one op per input element: 2*5*5 = 50
        nn.Flatten(), nn.Linear(2, 1, bias=False))  # 2
    table = summary(net2, (4, 5, 5), print_fn=None)
    rows = parse(table)
    assert rows["0 (ConvTranspose2d)"] == ("[-1, 2, 11, 11]", 4 * 2 * 9 + 2, 74, 1800)
    assert rows["1 (MaxPool2d)"] == ("[-1, 2, 5, 5]", 0, 0, 450)
    assert rows["2 (AdaptiveAvgPool2d)"] == ("[-1, 2, 1, 1]", 0, 0, 50)
    assert rows["4 (Linear)"] == ("[-1, 1]", 2, 2, 2)
    assert footer(table, "Total MACs (per sample)") == "2,302"


def test_tuple_outputs_and_uncalled_modules():
    class Split(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 6)
            self.unused = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x).split(3, dim=1)

    net = nn.Sequential(nn.Linear(4, 4), nn.MaxPool1d(2, return_indices=True))
    rows = parse(summary(net, (3, 4), print_fn=None))
    assert rows["1 (MaxPool1d)"][0] == "[-1, 3, 2], [-1, 3, 2]"
    table = summary(Split(), (4,), print_fn=None)
    assert list(parse(table)) == ["fc (Linear)"]
    assert footer(table, "Total params") == "36"  # 30 + the unused layer's 6
    assert "Not called in forward, but in the totals: unused" in table


def test_errors_and_cleanup_on_failure():
    net = lenet(nn)
    with pytest.raises(ValueError, match="exactly one of input_size"):
        summary(net)
    with pytest.raises(ValueError, match="exactly one of input_size"):
        summary(net, (1, 28, 28), input_data=gt.zeros(1, 1, 28, 28))
    with pytest.raises(ValueError, match="input_size must be a shape"):
        summary(net, "1x28x28")
    with pytest.raises(ValueError, match="got 2 dtypes for 1 inputs"):
        summary(net, (1, 28, 28), dtypes=[gt.float32, gt.float32])
    with pytest.raises(ValueError, match="batch_size must be -1 or a positive int"):
        summary(net, (1, 28, 28), batch_size=0)
    net.train()
    with pytest.raises(RuntimeError) as info:
        summary(net, (1, 27, 27), print_fn=None)  # flatten gives 16*4*4 = 256, not 400
    assert any("7" in note for note in getattr(info.value, "__notes__", []))
    assert net.training and all(m.training for m in net.modules())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())
