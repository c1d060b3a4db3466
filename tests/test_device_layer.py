"""The device layer of a CPU-only torch: torch.device, torch.cuda, torch.backends, torch.mps/xpu/
accelerator, autocast, GradScaler, torch.compile/jit/onnx and the process-wide switches.

Each row runs the same lambda on glasstorch and on torch (the CPU build, which has no CUDA) and
compares what comes back: the value, or the exception's type and message. The few places where
glasstorch deliberately differs are tested on their own below, each with the reason.
"""
import warnings

import numpy as np
import pytest
import torch

import glasstorch as gt

ROWS = [
    # torch.device
    ("device cuda", lambda t: repr(t.device("cuda"))),
    ("device cuda:1", lambda t: (repr(t.device("cuda:1")), str(t.device("cuda:1")), t.device("cuda:1").index)),
    ("device type and index", lambda t: repr(t.device("cuda", 0))),
    ("device cpu 0", lambda t: (repr(t.device("cpu", 0)), str(t.device("cpu", 0)))),
    ("device mps and meta", lambda t: (repr(t.device("mps")), repr(t.device("meta")))),
    ("device unknown type", lambda t: t.device("foo")),
    ("device negative index", lambda t: t.device("cuda", -1)),
    ("device bad index", lambda t: t.device("cuda:a")),
    ("device bare int", lambda t: t.device(0)),
    ("device equality", lambda t: (t.device("cuda") == t.device("cuda:0"), t.device("cpu") == t.device("cpu"),
                                   t.device("cpu") == "cpu", t.device("cuda", 1) == t.device("cuda:1"))),
    ("device of a tensor", lambda t: repr(t.zeros(2).device)),
    ("to cpu:0 keeps cpu", lambda t: repr(t.zeros(2).to(t.device("cpu", 0)).device)),
    # putting tensors and modules elsewhere
    ("zeros on cuda", lambda t: t.zeros(2, device="cuda")),
    ("tensor on cuda", lambda t: t.tensor([1.0], device=t.device("cuda"))),
    ("to cuda", lambda t: t.zeros(2).to("cuda")),
    ("to cuda with dtype", lambda t: t.zeros(2).to("cuda", t.float64)),
    (".cuda()", lambda t: t.zeros(2).cuda()),
    ("to mps", lambda t: t.zeros(2).to("mps")),
    ("zeros on xpu", lambda t: t.zeros(2, device="xpu")),
    ("module to cuda", lambda t: t.nn.Linear(2, 2).to("cuda")),
    ("load to cuda", lambda t: t.load(_saved(), map_location="cuda")),
    # tensor flags
    ("tensor flags", lambda t: tuple(getattr(t.zeros(2), n) for n in
                                     ("is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized",
                                      "is_cpu", "is_mkldnn", "is_nested"))),
    ("get_device", lambda t: t.zeros(2).get_device()),
    # torch.cuda
    ("cuda availability", lambda t: (t.cuda.is_available(), t.cuda.device_count(), t.cuda.is_initialized(),
                                     t.cuda.is_bf16_supported())),
    ("cuda current_device", lambda t: t.cuda.current_device()),
    ("cuda get_device_name", lambda t: t.cuda.get_device_name(0)),
    ("cuda get_device_properties", lambda t: t.cuda.get_device_properties(0)),
    ("cuda seeding", lambda t: (t.cuda.manual_seed(0), t.cuda.manual_seed_all(1), t.cuda.empty_cache())),
    ("cuda memory", lambda t: (t.cuda.memory_allocated(), t.cuda.max_memory_allocated(), t.cuda.memory_reserved(),
                               t.cuda.max_memory_reserved())),
    # other devices
    ("mps", lambda t: (t.mps.is_available(), t.mps.device_count())),
    ("xpu", lambda t: (t.xpu.is_available(), t.xpu.device_count())),
    ("accelerator", lambda t: (t.accelerator.is_available(), t.accelerator.current_accelerator(),
                               t.accelerator.device_count())),
    # torch.backends
    ("cudnn flags", lambda t: (t.backends.cudnn.enabled, t.backends.cudnn.benchmark, t.backends.cudnn.deterministic,
                               t.backends.cudnn.allow_tf32, t.backends.cudnn.is_available(),
                               t.backends.cudnn.version())),
    ("mps and cuda builds", lambda t: (t.backends.mps.is_available(), t.backends.mps.is_built(),
                                       t.backends.cuda.is_built(), t.backends.cuda.matmul.allow_tf32)),
    ("set a cudnn flag", lambda t: _set_and_read(t.backends.cudnn, "benchmark", True)),
    # switches
    ("matmul precision", lambda t: (t.get_float32_matmul_precision(), t.set_float32_matmul_precision("high"),
                                    t.get_float32_matmul_precision(), t.set_float32_matmul_precision("highest"))),
    ("deterministic", lambda t: (t.are_deterministic_algorithms_enabled(), t.use_deterministic_algorithms(True),
                                 t.are_deterministic_algorithms_enabled(), t.use_deterministic_algorithms(False),
                                 t.are_deterministic_algorithms_enabled())),
    # autocast state
    ("autocast state", lambda t: _autocast_states(t)),
    ("autocast unknown device", lambda t: t.autocast("foo")),
    ("autocast device not a str", lambda t: t.autocast(0)),
    ("autocast as decorator", lambda t: t.autocast("cpu")(lambda: t.is_autocast_enabled("cpu"))()),
    ("autocast on cuda is off", lambda t: _quiet(lambda: _in_region(t, t.autocast("cuda")))),
    ("autocast float64 on cpu is off", lambda t: _quiet(lambda: _in_region(t, t.autocast("cpu", dtype=t.float64)))),
    # GradScaler
    ("disabled scaler", lambda t: _quiet(lambda: _disabled_scaler(t, t.amp.GradScaler()))),
    ("cuda.amp scaler", lambda t: _quiet(lambda: _disabled_scaler(t, t.cuda.amp.GradScaler()))),
    ("explicitly disabled scaler", lambda t: _disabled_scaler(t, t.amp.GradScaler("cpu", enabled=False))),
    ("cpu scaler state", lambda t: t.amp.GradScaler("cpu").state_dict()),
    ("cpu scaler training", lambda t: _scaler_run(t)),
    ("cpu scaler skips a non-finite step", lambda t: _scaler_skip(t)),
    ("scaler unscale twice", lambda t: _unscale_twice(t)),
    ("scaler update without a step", lambda t: t.amp.GradScaler("cpu").update()),
    ("scaler bad growth factor", lambda t: t.amp.GradScaler("cpu", growth_factor=1.0)),
    # compile / jit / onnx
    ("compile a function", lambda t: t.compile(lambda x: x * 2)(t.tensor([1.0, 2.0])).tolist()),
    ("compile as decorator with arguments", lambda t: t.compile(mode="reduce-overhead")(lambda x: x + 1)(
        t.tensor([1.0])).tolist()),
    ("compiled module output", lambda t: _compiled_module(t)),
    ("jit script and trace", lambda t: (t.jit.script(_plus_one)(t.tensor([1.0])).tolist(),
                                        t.jit.trace(lambda x: x * 3, (t.tensor([1.0]),))(t.tensor([2.0])).tolist())),
]


def _plus_one(x):
    return x + 1


def _saved():
    import io
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    buf.seek(0)
    return buf


def _set_and_read(ns, name, value):
    before = getattr(ns, name)
    setattr(ns, name, value)
    after = getattr(ns, name)
    setattr(ns, name, before)
    return before, after


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _in_region(t, ctx):
    with ctx:
        return t.is_autocast_enabled("cpu"), t.is_autocast_enabled("cuda"), t.is_autocast_enabled()


def _autocast_states(t):
    out = [t.is_autocast_enabled("cpu")]
    with _quiet(lambda: t.autocast("cpu")):
        out.append(t.is_autocast_enabled("cpu"))
        out.append(t.is_autocast_enabled())      # no argument: CUDA's state
        with t.autocast("cpu", enabled=False):
            out.append(t.is_autocast_enabled("cpu"))
        out.append(t.is_autocast_enabled("cpu"))
    out.append(t.is_autocast_enabled("cpu"))
    return tuple(out)


def _disabled_scaler(t, scaler):
    w = t.nn.Parameter(t.tensor([1.0, -2.0]))
    opt = t.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    scaled = scaler.scale(loss)
    scaled.backward()
    scaler.step(opt)
    scaler.update()
    return scaler.is_enabled(), scaler.get_scale(), scaler.state_dict(), scaled.item(), w.tolist()


def _scaler_run(t):
    t.manual_seed(0)
    w = t.nn.Parameter(t.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=t.float64))
    opt = t.optim.SGD([w], lr=0.1)
    scaler = t.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    x = t.tensor(np.arange(12.0).reshape(4, 3) / 10, dtype=t.float64)
    scales = []
    for _ in range(5):
        opt.zero_grad()
        loss = (x @ w.T).pow(2).mean()
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        grad = np.round(w.grad.numpy(), 12).tolist()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return np.round(w.detach().numpy(), 12).tolist(), grad, scales, scaler.state_dict()


def _scaler_skip(t):
    w = t.nn.Parameter(t.tensor([1.0, 2.0], dtype=t.float64))
    opt = t.optim.SGD([w], lr=0.1)
    scaler = t.amp.GradScaler("cpu", init_scale=8.0)
    loss = (w * t.tensor([float("inf"), 1.0], dtype=t.float64)).sum()
    scaler.scale(loss).backward()
    stepped = scaler.step(opt)
    scaler.update()
    return stepped, w.tolist(), scaler.get_scale()


def _unscale_twice(t):
    w = t.nn.Parameter(t.tensor([1.0]))
    opt = t.optim.SGD([w], lr=0.1)
    scaler = t.amp.GradScaler("cpu")
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)
    scaler.unscale_(opt)


def _compiled_module(t):
    t.manual_seed(0)
    m = t.nn.Linear(3, 2)
    x = t.ones(1, 3)
    return t.allclose(t.compile(m)(x), m(x))


def _outcome(t, fn):
    try:
        return "ok", fn(t)
    except Exception as e:   # the type and the message are what is compared
        return type(e).__name__, str(e).split("\n")[0]


@pytest.mark.parametrize("name,fn", ROWS, ids=[r[0] for r in ROWS])
def test_same_as_torch_without_cuda(name, fn):
    ours, theirs = _outcome(gt, fn), _outcome(torch, fn)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert ours[1] == theirs[1]
    elif name not in ("module to cuda", "zeros on xpu"):   # there, torch's text names its own internals
        assert ours[1] == theirs[1]


# ------------------------------------------------ where glasstorch differs, on purpose
def test_set_device_raises():
    # torch without CUDA fails here with an AttributeError from its internals; glasstorch says why.
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        gt.cuda.set_device(0)


def test_synchronize_is_a_no_op():
    # torch without CUDA raises in synchronize(); a program that calls it unguarded runs here.
    assert gt.cuda.synchronize() is None
    with pytest.raises(AssertionError):
        torch.cuda.synchronize()


def test_pin_memory_returns_the_tensor():
    # torch raises without an accelerator; there is nothing to pin for, so glasstorch hands the tensor back.
    x = gt.ones(3)
    assert x.pin_memory() is x and not x.is_pinned()


def test_unsupported_devices_raise_clearly():
    for dev in ("meta", "hip", "xla"):
        with pytest.raises(NotImplementedError, match=f"'{dev}'"):
            gt.zeros(2, device=dev)
    with pytest.raises(RuntimeError, match="CUDA generator"):
        gt.Generator("cuda")


def test_autocast_runs_in_full_precision_and_says_so(monkeypatch):
    from glasstorch.amp import autocast_mode
    monkeypatch.setattr(autocast_mode, "_warned", False)
    with pytest.warns(UserWarning, match="no lower-precision kernels"):
        with gt.autocast("cpu", dtype=gt.float16):
            y = gt.ones(2, 2) @ gt.ones(2, 2)
    assert y.dtype == gt.float32


def test_oneDNN_and_opt_einsum_are_not_used():
    assert not gt.backends.mkldnn.is_available() and not gt.backends.opt_einsum.is_available()


def test_compile_returns_the_module_itself():
    m = gt.nn.Linear(2, 2)
    assert gt.compile(m) is m and list(gt.compile(m).state_dict()) == ["weight", "bias"]


def test_torchscript_and_onnx_files_are_refused():
    with pytest.raises(NotImplementedError, match="state_dict"):
        gt.jit.save(gt.nn.Linear(2, 2), "model.pt")
    with pytest.raises(NotImplementedError, match="ONNX"):
        gt.onnx.export(gt.nn.Linear(2, 2), (gt.ones(1, 2),), "model.onnx")
    assert gt.jit.ignore(print) is print and gt.jit.unused(print) is print
    assert not gt.jit.is_scripting()
