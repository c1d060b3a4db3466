"""viz.graph and viz.module_graph: nodes and edges against torch's own graph, numbers, boxes, files."""
import os
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

import glasstorch as gt
from glasstorch import viz
from models import lenet


# ------------------------------------------------------------- vs torch
def _name(node) -> str:
    return node.name().replace("torch::autograd::", "")   # torch's C++ name of its leaf node


def torch_walk(t) -> list:
    """(node name, sorted input names) for each node reachable from ``t.grad_fn``, in a canonical order.

    Leaves are "AccumulateGrad"; inputs that need no gradient are left out, as glasstorch draws no box for them.
    """
    out, seen, stack = [], set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        kids = [n for n, _ in node.next_functions if n is not None]
        out.append((_name(node), tuple(sorted(_name(k) for k in kids))))
        stack.extend(kids)
    return sorted(out)


def ours_walk(g) -> list:
    names = {n.id: n.name for n in g.nodes}
    inputs = {n.id: [] for n in g.nodes}
    for a, b in g.edges:
        inputs[b].append(names[a])
    return sorted((n.name, tuple(sorted(inputs[n.id]))) for n in g.nodes)


def _affine(t, x, w, b):
    return (x * w + b).sum()


def _exp_mean(t, x, w, b):
    return t.exp(x).mean()


def _leaf_twice(t, x, w, b):
    return (x * x + x).sum()


def _broadcast(t, x, w, b):
    # (3,1,4) * (1,3,4). (torch turns x[:, None] into an UnsqueezeBackward0; glasstorch records
    # an IndexBackward0 for it, so the test spells unsqueeze out.)
    return (x.unsqueeze(1) * w.unsqueeze(0)).sum()


def _conv_relu(t, x, w, b):
    k = w.reshape(3, 1, 2, 2)
    return t.relu(t.nn.functional.conv2d(x.reshape(1, 1, 3, 4), k)).sum()


def _mlp(t, x, w, b):
    h = t.tanh(x @ w.t())          # (3, 3)
    return (h @ w * b).mean()


EXPRESSIONS = [_affine, _exp_mean, _leaf_twice, _broadcast, _conv_relu, _mlp]


@pytest.mark.parametrize("fn", EXPRESSIONS, ids=[f.__name__ for f in EXPRESSIONS])
def test_nodes_and_edges_equal_torchs_next_functions(fn):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal(4)]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    gg = [gt.tensor(a, requires_grad=True) for a in arrays]
    ours = viz.graph(fn(gt, *gg))
    theirs = torch_walk(fn(torch, *tt))
    # torch shows each leaf once per reader in next_functions, but has one AccumulateGrad per leaf.
    assert ours_walk(ours) == theirs
    assert sum(n.kind == "leaf" for n in ours.nodes) == sum(name == "AccumulateGrad" for name, _ in theirs)


def test_known_name_differences_are_real_nodes():
    # Where glasstorch fuses differently from torch, the graph shows glasstorch's own nodes.
    lin = gt.nn.Linear(4, 2)
    g = viz.graph(lin(gt.randn(3, 4)).sum())
    assert {n.name for n in g.nodes} == {"SumBackward0", "LinearBackward0", "AccumulateGrad"}


# ---------------------------------------------------------------- numbers
def _lenet_step(record: bool):
    gt.manual_seed(0)
    model = lenet(gt.nn)
    x, y = gt.randn(4, 1, 28, 28), gt.randint(0, 10, (4,))
    if record:
        with viz.record():
            loss = gt.nn.functional.cross_entropy(model(x), y)
            before = viz.graph(loss, params=dict(model.named_parameters()))
            loss.backward()
    else:
        loss = gt.nn.functional.cross_entropy(model(x), y)
        before = viz.graph(loss, params=dict(model.named_parameters()))
        loss.backward()
    after = viz.graph(loss, params=dict(model.named_parameters()), depth=0)
    return model, before, after


def test_gradient_norms_after_backward_and_none_before():
    model, before, after = _lenet_step(record=True)
    params = dict(model.named_parameters())
    leaves = {n.label: n for n in after.nodes if n.kind == "leaf"}
    assert set(leaves) == set(params)
    for name, p in params.items():
        assert abs(leaves[name].grad_norm - p.grad.norm().item()) <= 1e-6 * max(1.0, p.grad.norm().item())
    for n in before.nodes:
        assert n.grad_norm is None and "no gradient yet" in n.lines()
    ops = [n for n in after.nodes if n.kind == "op"]
    assert all(n.grad_norm is not None and n.grad_norm > 0 for n in ops)
    root = next(n for n in ops if n.name == "CrossEntropyBackward0")
    assert root.grad_norm == pytest.approx(1.0)


def test_without_record_the_graph_says_so():
    _, _, after = _lenet_step(record=False)
    ops = [n for n in after.nodes if n.kind == "op"]
    assert all(n.grad_norm is None and n.stats is None for n in ops)
    assert all("gradient not recorded" in n.grad_note for n in ops)


def test_record_stats_equal_the_arrays_by_hand():
    gt.manual_seed(1)
    lin = gt.nn.Linear(5, 3)
    x = gt.randn(7, 5)
    with viz.record():
        h = lin(x)
        y = gt.relu(h)
        (y * y).sum().backward()
    g = viz.graph((y * y).sum())
    node = next(n for n in g.nodes if n.name == "ReluBackward0")
    arr = np.maximum(h.detach().numpy(), 0)
    assert node.stats.mean == pytest.approx(arr.mean(), rel=1e-6)
    assert node.stats.std == pytest.approx(arr.std(), rel=1e-5)
    assert node.stats.zero_frac == pytest.approx((arr == 0).mean())
    # The gradient that reached relu's output: d(sum(y*y))/dy = 2y.
    assert node.grad_norm == pytest.approx(np.linalg.norm(2 * arr), rel=1e-6)


def test_show_saved_lists_bytes():
    a = gt.randn(3, 4, requires_grad=True)
    b = gt.randn(3, 4, requires_grad=True)
    g = viz.graph(a * b, show_saved=True)
    mul = next(n for n in g.nodes if n.name == "MulBackward0")
    assert [s[3] for s in mul.saved] == [48, 48]      # two (3,4) float32 tensors
    assert any("48 B" in line for line in mul.lines())


def test_anomaly_node_is_red():
    x = gt.tensor([1.0, 0.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        with pytest.raises(RuntimeError) as err:
            with gt.autograd.detect_anomaly():
                gt.log(x * 1.0)
    node = err.value.node
    assert node.name() == "LogBackward0" and node._anomaly
    g = viz.graph(node)
    red = [n for n in g.nodes if n.anomaly]
    assert [n.name for n in red] == ["LogBackward0"]
    svg = g.to_svg()
    assert svg.count('class="gt-node gt-anomaly"') == 1 and "#c62828" in svg


# ------------------------------------------------------------- boxes, fold
def _blocks(n):
    return gt.nn.Sequential(*[gt.nn.Sequential(gt.nn.Linear(8, 8), gt.nn.ReLU(), gt.nn.LayerNorm(8))
                              for _ in range(n)])


def test_boxes_follow_module_calls():
    model = lenet(gt.nn)
    g = viz.graph(model(gt.randn(2, 1, 28, 28)).sum(), depth=1)
    assert sorted(label for label, _ in g.clusters.values())[:3] == ["0 (Conv2d)", "1 (Sigmoid)", "10 (Sigmoid)"]
    conv = next(n for n in g.nodes if n.name == "ConvolutionBackward0")
    assert g.clusters[conv.clusters[0]][0] == "0 (Conv2d)" and conv.module == "0"


def test_a_module_called_twice_gives_two_boxes():
    lin = gt.nn.Linear(3, 3)

    class Twice(gt.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x):
            return self.lin(self.lin(x))
    g = viz.graph(Twice()(gt.randn(2, 3)).sum(), fold=False)
    assert [label for label, _ in g.clusters.values()] == ["lin (Linear)", "lin (Linear)"]


def test_2000_nodes_fold_to_few_boxes_fast():
    model = _blocks(300)
    out = model(gt.randn(2, 8)).sum()
    t0 = time.perf_counter()
    full = viz.graph(out, fold=False)
    svg_full = full.to_svg()
    t_full = time.perf_counter() - t0
    assert len(full.nodes) >= 2000
    folded = viz.graph(out)
    assert len([c for c, (_, d) in folded.clusters.items() if d == 1]) <= 50
    assert any("x 300" in label for label, _ in folded.clusters.values())
    assert any(n.fold == 300 for n in folded.nodes)
    ET.fromstring(svg_full)
    ET.fromstring(folded.to_svg())
    print(f"2000-node graph: build + to_svg {t_full:.3f} s")
    assert t_full < 5.0   # the speed claim itself is measured in benchmarks/, not here


# ------------------------------------------------------------------ files
def test_svg_and_dot_are_well_formed_deterministic_and_need_no_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    model, _, after = _lenet_step(record=True)
    svg = after.to_svg()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    _, _, again = _lenet_step(record=True)
    assert again.to_svg() == svg
    dot = after.to_dot()
    assert dot.startswith("digraph") and dot.count("{") == dot.count("}")
    declared = {line.split()[0] for line in dot.splitlines() if "[label=" in line}
    for line in dot.splitlines():
        if "->" in line:
            a, b = line.strip().rstrip(";").split(" -> ")
            assert a in declared and b in declared
    p = after.save(str(tmp_path / "g.svg"))
    assert open(p).read() == svg and not [f for f in os.listdir(tmp_path) if f.startswith(".graph-")]
    after.save(str(tmp_path / "g.dot"))
    with pytest.raises(ValueError, match="g.png"):
        after.save(str(tmp_path / "g.png"))
    assert after._repr_svg_() == svg


def test_module_graph_nests_and_links():
    class Net(gt.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = gt.nn.Sequential(gt.nn.Conv2d(1, 2, 3), gt.nn.ReLU())
            self.head = gt.nn.Linear(2 * 6 * 6, 3)

        def forward(self, x):
            return self.head(self.features(x).flatten(1))
    net = Net()
    g = viz.module_graph(net, gt.randn(1, 1, 8, 8))
    names = [n.name for n in g.nodes]
    assert names == ["features.0 (Conv2d)", "features.1 (ReLU)", "head (Linear)"]
    assert [n.shape for n in g.nodes] == [(1, 2, 6, 6), (1, 2, 6, 6), (1, 3)]
    assert list(g.clusters.values()) == [("features (Sequential)", 1), ("Net (Net)", 0)]
    assert g.nodes[0].clusters == tuple(c for c, _ in sorted(g.clusters.items(), key=lambda kv: kv[1][1]))
    ids = {n.name: n.id for n in g.nodes}
    assert (ids["features.0 (Conv2d)"], ids["features.1 (ReLU)"]) in g.edges
    ET.fromstring(g.to_svg())
    assert net.training
