"""The HTML report (glasstorch/inspect/report.py), opened in a real headless Chromium.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL on fds 3 and 4), so the test sees what a console would show: uncaught
exceptions (``Runtime.exceptionThrown``), ``console.error``/``warn`` calls, browser log errors
(failed loads, ``Log.entryAdded``) and every request the page makes (``Network.requestWillBeSent``).
Name resolution and the proxy are pointed nowhere, so a page that needed the network would show it.
Negative controls check that each of these detectors fires on a page made to trip it.

Without a working Chromium the tests fail, never skip: ``bash scripts/test.sh`` installs it.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

import glasstorch as torch
from glasstorch import nn
from glasstorch.inspect import Trace
from glasstorch.inspect.trace import HIST_BINS
from models import lenet

# Chromium run as root in a container, on a closed network: no sandbox, no GPU, none of the
# browser's own background connections, and every host name resolving to nothing.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                  "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                  "--remote-debugging-pipe"]
SECTIONS = ("findings", "curves", "ratios", "table", "graph", "layers")


# ------------------------------------------------------------------ a tiny DevTools client
class Browser:
    """One headless Chromium, one page; ``load(path)`` opens a file and reports what happened."""

    def __init__(self, exe: str):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds():   # the protocol pipe must be fds 3 (commands in) and 4 (replies out) in the child
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        # stderr to a file, not a pipe: Chromium logs freely there and a full pipe would stall it
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log, preexec_fn=fds, pass_fds=(3, 4))
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable", session=True)
            self.call("Emulation.setDeviceMetricsOverride", session=True, width=1200, height=3000,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"Chromium closed the DevTools pipe (exit {self.proc.poll()}): {err}")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, session: bool = False, timeout: float = 30, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e["method"] == method for e in self.events):
            self.events.append(self._read(deadline))

    def evaluate(self, expression: str):
        r = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def load(self, path: str, screenshot: bool = False) -> dict:
        """Opens ``path``; returns the DOM after scripts ran, the problems seen and the requests made."""
        self.events = []
        self.call("Page.navigate", session=True, url="file://" + os.path.abspath(path))
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => setTimeout(r, 200))")   # let late errors and requests arrive
        self.call("Runtime.evaluate", session=True, expression="0")
        out = {"dom": self.evaluate("document.documentElement.outerHTML"), "problems": [], "requests": []}
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out["problems"].append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
            elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
                out["problems"].append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                                        for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out["problems"].append(f"log {p['entry']['level']}: {p['entry']['text']} {p['entry'].get('url', '')}")
            elif m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    out["requests"].append(url)
        if screenshot:
            out["png"] = base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])
        return out

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._r, self._w):
            os.close(fd)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        pytest.fail("Chromium is not installed: the report's tests open it in a real browser. "
                    "Run `bash scripts/test.sh` (it installs Debian's chromium) or `apt-get install chromium`.")
    try:
        b = Browser(exe)
    except Exception as e:   # noqa: BLE001 - any way of not starting is the same failure
        pytest.fail(f"Chromium ({exe}) could not be started and driven over DevTools: {e}")
    yield b
    b.close()


# ------------------------------------------------------------------ traces of real runs
def traced_lenet(steps: int, seed: int = 0, batch: int = 16):
    """A LeNet trained ``steps`` SGD steps on random 28x28 images; returns (trace, last loss)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = lenet(nn)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = nn.CrossEntropyLoss()
    with Trace(model, opt) as trace:
        for _ in range(steps):
            x = torch.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
            y = torch.tensor(rng.integers(0, 10, batch))
            opt.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            with torch.no_grad():   # before step(): ops between step() and log() would start the next step
                acc = (out.argmax(1) == y).float().mean()
            opt.step()
            trace.log(loss=loss, accuracy=acc)
    return trace, loss


def graph_of(loss, model_params=None):
    """The graph of ``loss`` from glasstorch.viz, or None while that package has no ``graph``."""
    try:
        from glasstorch.viz import graph
    except ImportError:
        return None
    return graph(loss, params=model_params)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    trace, loss = traced_lenet(20)
    g = graph_of(loss, dict(trace.model.named_parameters()))
    path = str(tmp_path_factory.mktemp("report") / "report.html")
    assert trace.report(path, title="LeNet <test> & co", graph=g) == path
    return path, trace, g


# ------------------------------------------------------------------ the detectors work (negative controls)
@pytest.mark.parametrize("body, expect", [
    ("<script>nosuchfunction();</script>", "exception"),
    ("<script>console.error('broken')</script>", "console.error"),
    ('<img src="https://example.invalid/x.png">', "request"),
    ("<script>fetch('https://example.invalid/y').catch(() => {})</script>", "request"),
])
def test_detectors_catch_a_broken_page(browser, tmp_path, body, expect):
    page = tmp_path / "broken.html"
    page.write_text(f'<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
                    f'<body><p>x</p>{body}</body></html>')
    seen = browser.load(str(page))
    if expect == "request":
        assert any("example.invalid" in u for u in seen["requests"]), seen
    else:
        assert any(p.startswith(expect) for p in seen["problems"]), seen


def test_a_clean_page_shows_no_problem(browser, tmp_path):
    page = tmp_path / "clean.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
                    '<body><p id="p">x</p><script>document.getElementById("p").textContent = "ran"</script>'
                    '</body></html>')
    seen = browser.load(str(page))
    assert seen["problems"] == [] and seen["requests"] == []
    assert '<p id="p">ran</p>' in seen["dom"]


# ------------------------------------------------------------------ the report itself
def test_report_renders_with_every_section_and_no_network(browser, report):
    path, trace, g = report
    seen = browser.load(path, screenshot=True)
    assert seen["problems"] == [], seen["problems"]
    assert seen["requests"] == [], seen["requests"]
    dom = seen["dom"]
    for section in SECTIONS:
        assert f'<section id="{section}">' in dom, section
    assert "<title>LeNet &lt;test&gt; &amp; co</title>" in dom
    for name in trace.scalars:                          # one chart per logged scalar
        assert f'aria-label="{name} over steps"' in dom
    # a section per layer, each reachable from its row of the table
    assert browser.evaluate("document.querySelectorAll('#layers .layer').length") == len(trace.sites)
    links = browser.evaluate("[...document.querySelectorAll('#table tbody a')].map(a => a.getAttribute('href'))")
    assert len(links) == len(trace.sites)
    assert browser.evaluate(f"{json.dumps(links)}.every(h => document.getElementById(h.slice(1)).matches('.layer'))")
    # each parameter's gradient strip, linked to its update ratio chart
    ratio_links = browser.evaluate("[...document.querySelectorAll('#layers .param a:not(.badge)')]"
                                   ".map(a => a.getAttribute('href'))")
    assert len(ratio_links) == len(trace.params)
    assert browser.evaluate(f"{json.dumps(ratio_links)}.every(h => document.querySelector('#ratios').contains("
                            f"document.getElementById(h.slice(1))))")
    assert browser.evaluate("document.querySelectorAll('#table tbody tr').length") == len(trace.sites)
    assert browser.evaluate("document.querySelectorAll('#layers svg[data-x]').length") == \
        2 * len(trace.sites) + len(trace.params)
    assert browser.evaluate("document.querySelectorAll('#ratios .guide').length") == len(trace.params)
    if g is not None:
        assert browser.evaluate("document.querySelectorAll('#graph svg').length") >= 1
    else:
        assert "No graph given" in dom
    png = seen["png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    shot = os.path.join(os.path.dirname(path), "report_screenshot.png")   # for a person to look at
    with open(shot, "wb") as f:
        f.write(png)


def test_findings_carry_their_numbers_and_link_to_their_layer(browser, report):
    path, trace, g = report
    findings = trace.findings()
    assert findings, "LeNet with sigmoids at lr 0.5 should give at least one finding"
    browser.load(path)
    items = browser.evaluate("""[...document.querySelectorAll('#findings li.finding')].map(li => ({
        text: li.textContent, links: [...li.querySelectorAll('a')].map(a => a.getAttribute('href'))}))""")
    assert len(items) == len(findings)
    linked = 0
    for i, (f, item) in enumerate(zip(findings, items)):
        assert f.kind in item["text"] and f"from step {f.step}" in item["text"]
        assert f"threshold {f.threshold:g}" in item["text"] and f"Fix: {f.fix}" in item["text"]
        if f.module in trace.sites or f.module in trace.params:
            # the link goes to the layer's (or parameter's) block, which links back with a badge
            href = item["links"][0]
            assert href.startswith(("#layer-", "#param-")), href
            assert browser.evaluate(f"document.getElementById({json.dumps(href[1:])})"
                                    f".querySelector('a.badge[href=\"#finding-{i}\"]') !== null"), href
            linked += 1
    assert linked, "some finding should name a layer or parameter"


def test_step_range_selector_zooms_every_chart(browser, report):
    path, trace, _ = report
    browser.load(path)
    last = max(trace.scalars["loss"].steps)
    assert browser.evaluate("document.getElementById('hi').max") == str(last)
    browser.evaluate("""(() => { const lo = document.getElementById('lo'), hi = document.getElementById('hi');
        lo.value = 12; hi.value = 5; lo.dispatchEvent(new Event('input')); })()""")
    boxes = browser.evaluate("[...document.querySelectorAll('svg[data-x]')].map(s => s.getAttribute('viewBox'))")
    assert boxes and all(b.split()[0] == "5" and b.split()[2] == "8" for b in boxes), boxes[:3]
    assert browser.evaluate("document.getElementById('range').textContent") == "5 to 12"
    assert set(browser.evaluate("[...document.querySelectorAll('.x0')].map(t => t.textContent)")) == {"5"}
    assert set(browser.evaluate("[...document.querySelectorAll('.x1')].map(t => t.textContent)")) == {"12"}


# ------------------------------------------------------------------ the file
def test_report_is_self_contained(report):
    path, _, _ = report
    text = open(path, encoding="utf-8").read()
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http" not in text       # not even the namespace: inline SVG in HTML5 needs none
    assert "<link rel=\"stylesheet\"" not in text and "src=" not in text and "@import" not in text
    assert text.count("<script>") == 1
    js = text.split("<script>")[1].split("</script>")[0].strip().splitlines()
    assert len(js) <= 15, "the step selector is meant to stay a few lines"


def test_same_seed_same_bytes(tmp_path):
    paths = []
    for i in range(2):
        trace, _ = traced_lenet(8, seed=3)
        paths.append(trace.report(str(tmp_path / f"r{i}.html")))
    a, b = (open(p, "rb").read() for p in paths)
    assert a == b
    other, _ = traced_lenet(8, seed=4)
    assert open(other.report(str(tmp_path / "r2.html")), "rb").read() != a


def test_written_atomically(tmp_path, monkeypatch, report):
    _, trace, _ = report
    target = tmp_path / "report.html"
    target.write_text("old report")
    from glasstorch import _io   # the one atomic writer, which the report uses

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(_io.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        trace.report(str(target))
    assert target.read_text() == "old report"            # the old file untouched ...
    assert sorted(os.listdir(tmp_path)) == ["report.html"]   # ... and no temporary left behind
    monkeypatch.undo()
    trace.report(str(target))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(os.listdir(tmp_path)) == ["report.html"]


def test_450_lenet_steps_stay_under_2_mb(tmp_path):
    """Ten epochs of LeNet on Digits are about 450 steps of batch 32 (random data of that size here)."""
    trace, _ = traced_lenet(450, batch=32)
    path = trace.report(str(tmp_path / "big.html"))
    size = os.path.getsize(path)
    print(f"report of 450 LeNet steps: {size / 1e6:.2f} MB", file=sys.stderr)
    assert size < 2_000_000, size


def test_a_run_that_goes_nan_is_drawn_and_named(browser, tmp_path):
    """log() of a negative number: the NaN shows in the loss chart and the strips, and the finding names the op."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Trace(model, opt) as trace:
        for i in range(6):
            x = torch.randn(16, 4)
            opt.zero_grad()
            out = model(x)
            loss = torch.log(out - 0.5 * (i >= 3) * 100).mean()   # from step 3 on, the log of negatives
            loss.backward()
            opt.step()
            trace.log(loss=loss)
    kinds = [f.kind for f in trace.findings()]
    assert "nonfinite" in kinds
    seen = browser.load(trace.report(str(tmp_path / "nan.html")))
    assert seen["problems"] == [] and seen["requests"] == []
    assert browser.evaluate("document.querySelectorAll('#curves path.nf').length") == 1
    assert browser.evaluate("document.querySelectorAll('#layers path.nf').length") >= 1
    assert "nonfinite" in browser.evaluate("document.getElementById('finding-0').textContent")
    # the NaN began in a functional log() outside any module: the finding links to that op's strips
    href = browser.evaluate("document.querySelector('#finding-0 a').getAttribute('href')")
    assert browser.evaluate(f"document.getElementById({json.dumps(href[1:])}).querySelector('h3').textContent"
                            ).startswith("log()")


def test_an_empty_trace_and_a_sparse_one_still_make_a_page(browser, tmp_path):
    model = lenet(nn)
    with Trace(model) as empty:
        pass
    seen = browser.load(empty.report(str(tmp_path / "empty.html")))
    assert seen["problems"] == [] and all(f'<section id="{s}">' in seen["dom"] for s in SECTIONS)

    torch.manual_seed(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with Trace(model, opt, every=5) as sparse:
        for _ in range(12):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(torch.randn(4, 1, 28, 28)), torch.randint(0, 10, (4,)))
            loss.backward()
            opt.step()
            sparse.log(loss=loss)
    seen = browser.load(sparse.report(str(tmp_path / "sparse.html")))
    assert seen["problems"] == []
    # recorded at steps 0, 5, 10: each strip's columns are 5 steps wide, over all 12 steps
    box = browser.evaluate("document.querySelector('#layers svg[data-x]').getAttribute('viewBox')")
    assert box == f"0 0 12 {HIST_BINS + 1}"
    assert "M5 " in browser.evaluate("document.querySelector('#layers svg[data-x] path').getAttribute('d')")


def test_a_graph_given_as_svg_text_is_inlined_without_namespaces(browser, report, tmp_path):
    _, trace, _ = report
    svg = ('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
           "xmlns:xlink='http://www.w3.org/1999/xlink' width=\"120\" height=\"40\">"
           '<g id="node-1"><rect width="100" height="30" fill="#eee"/><text x="5" y="20">AddmmBackward0</text></g></svg>')
    seen = browser.load(trace.report(str(tmp_path / "g.html"), graph=svg))
    assert seen["problems"] == []
    assert browser.evaluate("document.querySelector('#graph svg #node-1 text').textContent") == "AddmmBackward0"
    assert browser.evaluate("document.querySelector('#graph svg').namespaceURI") == "http://www.w3.org/2000/svg"
    assert "http" not in (tmp_path / "g.html").read_text(encoding="utf-8")
