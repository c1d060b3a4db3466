"""Grad modes: context managers, decorators, thread-locality."""
import threading

import glasstorch as gt


def test_no_grad_context_and_decorator():
    x = gt.tensor([1.0], requires_grad=True)
    with gt.no_grad():
        assert not gt.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert gt.is_grad_enabled()

    @gt.no_grad()
    def f(v):
        return v * 2

    @gt.no_grad
    def g(v):
        return v * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert gt.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = gt.tensor([1.0], requires_grad=True)
    with gt.no_grad():
        with gt.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

    @gt.enable_grad()
    def f(v):
        return v * 2

    with gt.no_grad():
        assert f(x).requires_grad


def test_set_grad_enabled_as_function_context_and_decorator():
    x = gt.tensor([1.0], requires_grad=True)
    gt.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    gt.set_grad_enabled(True)
    with gt.set_grad_enabled(False):
        assert not gt.is_grad_enabled()
    assert gt.is_grad_enabled()

    @gt.set_grad_enabled(False)
    def f(v):
        return v * 2

    assert gt.is_grad_enabled(), "decorating must not change the mode"
    assert not f(x).requires_grad
    assert gt.is_grad_enabled()


def test_inference_mode():
    x = gt.tensor([1.0], requires_grad=True)
    with gt.inference_mode():
        assert gt.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert not gt.is_inference_mode_enabled()
    with gt.inference_mode(False):
        assert (x * 2).requires_grad

    @gt.inference_mode()
    def f(v):
        return v * 2

    assert not f(x).requires_grad


def test_grad_mode_is_thread_local():
    results = {}

    def worker():
        x = gt.tensor([1.0], requires_grad=True)
        results["other"] = (x * 2).requires_grad

    with gt.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
    assert results["other"] is True


def test_exception_inside_no_grad_restores_mode():
    try:
        with gt.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert gt.is_grad_enabled()
