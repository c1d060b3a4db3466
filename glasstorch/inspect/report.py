"""The one-file HTML report of a ``Trace``: ``write_report(trace, path)``.

Top to bottom it shows the findings (each linked to its layer and, with a graph, its node), one
line chart per logged scalar, the update/weight ratio of each parameter, the per-module table of
the last recorded step, the graph (when given) and, per layer, heat-map strips of the activation
and gradient histograms over time.

How it is written. Each piece of HTML and SVG comes from a small function here that returns a
string, with text escaped by ``html.escape``. Nothing is fetched: no URL, font, script or style
sheet outside the file, and the SVG is inline (HTML5 needs no xmlns). The only script is the
step-range selector: every chart over time draws its data inside an inner ``<svg data-x>`` whose
viewBox is in step units, so choosing a range only changes that viewBox's x and width; the axes
and labels around it are in pixels and stay put.

Same trace, same bytes: no timestamps, everything in recorded order, numbers at fixed precision,
and the timing columns left out of the table unless asked for (two runs of one seed take
different times).

Size. A histogram strip merges adjacent steps into at most ``MAX_COLUMNS`` columns, shades each
bin in one of five levels, and draws each run of equal shade along a bin's row as one path
segment, one ``<path>`` per shade. Histograms change slowly over training, so the runs are long:
450 steps of LeNet come to a few hundred kB.
"""
from __future__ import annotations

import html
import math
import re

import numpy as np

from .._io import write_atomic
from .table import COLUMNS, table_rows
from .trace import HIST_BINS, hist_edges

__all__ = ["write_report", "MAX_COLUMNS"]

MAX_COLUMNS = 200            # columns of a histogram strip; more steps are merged by adding counts
MAX_POINTS = 1000            # points of a line chart; more are reduced to each bucket's min and max
# Shade of a histogram bin: the fraction of the column's values that fall in it. Level 1 is any
# value at all (so that a lone outlier shows), then these thresholds.
LEVELS = (0.005, 0.02, 0.08, 0.2)
LEVEL_LABELS = ("< 0.5%", "0.5-2%", "2-8%", "8-20%", ">= 20%")
ROW_PX = 2                   # pixel height of one histogram bin
STRIP_ROWS = HIST_BINS + 1   # the bins, with the top row for NaN/Inf

WIDE = (940, 170)            # scalar charts: width, height in pixels
SMALL = (462, 120)           # update ratio charts and strips: width, height of a ratio chart
MARGIN = (58, 10, 8, 20)     # left, right, top, bottom

_esc = html.escape


# ------------------------------------------------------------------ numbers and names
def _c(v: float) -> str:
    """A coordinate: one decimal at most, so the bytes do not depend on float noise."""
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _num(v: float, spec: str = ".3g") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, spec)


def _anchor(prefix: str, name: str) -> str:
    """An element id for a site or parameter name: letters, digits and '.' kept, the rest as
    ``_<hex>_`` (so ``fc#2`` and ``relu()`` are safe in a URL fragment and no two names collide)."""
    return prefix + "-" + "".join(c if (c.isascii() and c.isalnum()) or c == "." else f"_{ord(c):x}_"
                                  for c in name)


def _nice_ticks(lo: float, hi: float, most: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten."""
    span = hi - lo
    raw = span / max(1, most - 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if span / (m * mag) <= most - 1)
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t < hi + step * 0.999:
        ticks.append(round(t, 12))
        t += step
    return ticks


# ------------------------------------------------------------------ the frame of a chart over steps
def _frame(inner: str, size: tuple[int, int], x_span: int, inner_h: float, yaxis: str, label: str) -> str:
    """An SVG with pixel axes around an inner ``<svg data-x>`` that draws in step units.

    ``inner`` is drawn with x in steps (0 to ``x_span``) and y from 0 to ``inner_h``; ``yaxis`` is
    SVG in pixels (tick marks and labels left of the plot).
    """
    w, h = size
    left, right, top, bottom = MARGIN
    pw, ph = w - left - right, h - top - bottom
    last = x_span - 1
    ty = top + ph + 14
    return (f'<svg class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{_esc(label)}">'
            f'<rect class="plot" x="{left}" y="{top}" width="{pw}" height="{ph}"/>{yaxis}'
            f'<svg data-x="" x="{left}" y="{top}" width="{pw}" height="{ph}" '
            f'viewBox="0 0 {x_span} {_c(inner_h)}" preserveAspectRatio="none">{inner}</svg>'
            f'<text class="x0" x="{left}" y="{ty}">0</text>'
            f'<text class="xm" x="{left + pw / 2:.0f}" y="{ty}" text-anchor="middle">{round(last / 2)}</text>'
            f'<text class="x1" x="{left + pw}" y="{ty}" text-anchor="end">{last}</text>'
            f'<text class="xl" x="{left - 4}" y="{ty}" text-anchor="end">step</text></svg>')


def _ytick(y_px: float, text: str, width: int) -> str:
    """One y tick: a label left of the plot and a faint grid line across it, at pixel height ``y_px``."""
    left, right, top, _ = MARGIN
    y = top + y_px
    return (f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_c(y)}" y2="{_c(y)}"/>'
            f'<text x="{left - 4}" y="{_c(y + 3)}" text-anchor="end">{_esc(text)}</text>')


def _decimate(steps: list, values: list) -> list[tuple[int, float]]:
    """At most about MAX_POINTS (step, value) pairs: each bucket's min and max, so spikes survive."""
    pts = list(zip(steps, values))
    if len(pts) <= MAX_POINTS:
        return pts
    size = -(-len(pts) // (MAX_POINTS // 2))
    out = []
    for i in range(0, len(pts), size):
        bucket = [p for p in pts[i:i + size] if math.isfinite(p[1])]
        if not bucket:
            out.append(pts[i])     # keep the gap: a non-finite value breaks the line
            continue
        lo, hi = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


def _polyline(pts: list[tuple[int, float]], y_of) -> tuple[str, str]:
    """Path data of the line through the finite points (broken at the others), and marks for the
    steps whose value is NaN or Inf, both in step units."""
    line, bad, pen = [], [], "M"
    for s, v in pts:
        if not math.isfinite(v):
            bad.append(f"M{s} 0h1v6h-1z")
            pen = "M"
            continue
        line.append(f"{pen}{s}.5 {_c(y_of(v))}")
        pen = "L"
    return "".join(line), "".join(bad)


def _line_chart(name: str, steps: list, values: list, x_span: int) -> str:
    """A line chart of one logged scalar over the steps, linear y axis."""
    w, h = WIDE
    ph = h - MARGIN[2] - MARGIN[3]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return f"<p>{_esc(name)}: no finite value logged.</p>"
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        lo, hi = lo - 0.5 * max(abs(lo), 1.0), hi + 0.5 * max(abs(hi), 1.0)
    ticks = _nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

    def y_of(v: float) -> float:
        return ph * (hi - v) / (hi - lo)

    line, bad = _polyline(_decimate(steps, values), y_of)
    inner = f'<path class="ln" d="{line}"/>' + (f'<path class="nf" d="{bad}"/>' if bad else "")
    yaxis = "".join(_ytick(y_of(t), f"{t:.4g}", w) for t in ticks)
    return _frame(inner, WIDE, x_span, ph, yaxis, f"{name} over steps")


def _ratio_range(trace) -> tuple[int, int]:
    """The decades shown on every update ratio chart (one range for all, so they compare), 1e-3 always in."""
    logs = [math.log10(v) for s in trace.params.values() for v in s.column("update_ratio")
            if math.isfinite(v) and v > 0]
    lo = min(logs + [-4.0])
    hi = max(logs + [-2.0])
    return max(math.floor(lo), -12), min(math.ceil(hi), 4)


def _ratio_chart(name: str, s, x_span: int, decades: tuple[int, int]) -> str:
    """The update/weight ratio of one parameter over the steps, log y axis, with the 1e-3 guide."""
    w, h = SMALL
    ph = h - MARGIN[2] - MARGIN[3]
    d0, d1 = decades

    def y_of(v: float) -> float:
        lv = min(max(math.log10(v), d0), d1)
        return ph * (d1 - lv) / (d1 - d0)

    vals = [v if v > 0 else math.nan for v in s.column("update_ratio")]   # 0: no change, off the log axis
    line, _ = _polyline(_decimate(list(s.steps), vals), y_of)
    guide = _c(y_of(1e-3))
    inner = (f'<line class="guide" x1="0" x2="{x_span}" y1="{guide}" y2="{guide}"/>'
             f'<path class="ln" d="{line}"/>')
    yaxis = "".join(_ytick(y_of(10.0 ** d), f"1e{d}", w) for d in range(d0, d1 + 1)
                    if (d - d1) % max(1, (d1 - d0 + 3) // 4) == 0)
    return _frame(inner, SMALL, x_span, ph, yaxis, f"update/weight ratio of {name}")


# ------------------------------------------------------------------ histogram strips
def _columns(steps: list, hists: list, bad: list, every: int) -> list[tuple[int, int, object, bool]]:
    """Merges adjacent steps into at most MAX_COLUMNS columns: (first step, end step, summed counts or
    None, any NaN/Inf). A column ends where the next begins, or ``every`` steps after its last step."""
    n = len(steps)
    hists = list(hists) + [None] * (n - len(hists))
    group = max(1, -(-n // MAX_COLUMNS))
    cols = []
    for i in range(0, n, group):
        j = min(i + group, n)
        hs = [h for h in hists[i:j] if h is not None]
        counts = np.sum(np.stack(hs).astype(np.int64), axis=0) if hs else None
        end = steps[j] if j < n else steps[j - 1] + every
        cols.append((steps[i], min(end, steps[j - 1] + every), counts, any(b > 0 for b in bad[i:j])))
    return cols


def _strip_paths(cols: list) -> str:
    """One ``<path>`` per shade: each run of equal shade along a bin's row is one rectangle."""
    runs: dict[int, list[str]] = {}
    levels = []
    for _, _, counts, _ in cols:
        if counts is None or counts.sum() == 0:
            levels.append(None)
            continue
        frac = counts / counts.sum()
        levels.append(np.where(counts > 0, 1 + np.digitize(frac, LEVELS), 0))
    for b in range(HIST_BINS):
        row = HIST_BINS - b                  # bin 0 (exact zeros) at the bottom, large values at the top
        start = None
        for k, (x0, x1, _, _) in enumerate(cols):
            lev = int(levels[k][b]) if levels[k] is not None else 0
            if start is not None and (lev != start[1] or x0 != cols[k - 1][1]):
                runs.setdefault(start[1], []).append(f"M{start[0]} {row}h{cols[k - 1][1] - start[0]}v1H{start[0]}z")
                start = None
            if start is None and lev:
                start = (x0, lev)
        if start is not None:
            runs.setdefault(start[1], []).append(f"M{start[0]} {row}h{cols[-1][1] - start[0]}v1H{start[0]}z")
    bad = "".join(f"M{x0} 0h{x1 - x0}v1h-{x1 - x0}z" for x0, x1, _, b in cols if b)
    out = "".join(f'<path class="l{lev}" d="{"".join(runs[lev])}"/>' for lev in sorted(runs))
    return out + (f'<path class="nf" d="{bad}"/>' if bad else "")


def _strip_axis(width: int) -> str:
    """The magnitude scale of a strip: |x| at every second decade, the zero bin and the NaN/Inf row."""
    log2_lo = math.log2(hist_edges()[0])
    ticks = []
    for d in range(-6, 3, 2):     # 1e-8 and 1e4 would sit on the "0" and "NaN" labels
        height = math.log2(10.0 ** d) - log2_lo + 2      # in bins from the bottom (the zero bin is 0-1)
        if 1 <= height <= HIST_BINS:
            ticks.append(_ytick((STRIP_ROWS - height) * ROW_PX, "1" if d == 0 else f"1e{d}", width))
    left, top = MARGIN[0], MARGIN[2]
    for y, text in (((STRIP_ROWS - 0.5) * ROW_PX, "0"), (0.5 * ROW_PX + 2, "NaN")):
        ticks.append(f'<text x="{left - 4}" y="{_c(top + y + 3)}" text-anchor="end">{text}</text>')
    return "".join(ticks)


def _strip(label: str, steps: list, hists: list, bad: list, every: int, x_span: int) -> str:
    """A heat-map strip of per-step histograms of |x|: x is the step, y the magnitude bin."""
    w = SMALL[0]
    size = (w, STRIP_ROWS * ROW_PX + MARGIN[2] + MARGIN[3])
    inner = _strip_paths(_columns(steps, hists, bad, every)) if steps else ""
    return (f'<figure><figcaption>{_esc(label)}</figcaption>'
            + _frame(inner, size, x_span, STRIP_ROWS, _strip_axis(w), label) + "</figure>")


def _bad_counts(s, keys: tuple[str, str]) -> list[float]:
    """Per step, the number of NaN and Inf values (0 where not recorded)."""
    a, b = s.column(keys[0]), s.column(keys[1])
    return [(x if x == x else 0.0) + (y if y == y else 0.0) for x, y in zip(a, b)]


def _legend() -> str:
    """The shades of the strips, and what each means."""
    cells = "".join(f'<rect class="l{i + 1}" x="{i * 92}" y="2" width="14" height="10"/>'
                    f'<text x="{i * 92 + 18}" y="11">{_esc(t)}</text>' for i, t in enumerate(LEVEL_LABELS))
    n = len(LEVEL_LABELS)
    cells += (f'<rect class="nf" x="{n * 92}" y="2" width="14" height="10"/>'
              f'<text x="{n * 92 + 18}" y="11">NaN/Inf</text>')
    return f'<svg class="legend" width="{(n + 1) * 92 + 20}" height="16">{cells}</svg>'


# ------------------------------------------------------------------ sections
def _finding_links(trace, f) -> tuple[str, str]:
    """The anchor of a finding's layer (or parameter), and a label for it."""
    if f.module in trace.sites:
        return "#" + _anchor("layer", f.module), f.module
    if f.module in trace.params:
        return "#" + _anchor("param", f.module), f.module
    if not f.module and f.node:
        # An op outside any module (a NaN from a functional log()) has no module: its site is the
        # first one that ran that op.
        for name, s in sorted(trace.sites.items(), key=lambda kv: kv[1].info.get("order", 0)):
            if s.kind == "op" and s.type_name == f.node:
                return "#" + _anchor("layer", name), name
    return "", f.module


def _findings_section(findings: list, links: list, node_ids: dict) -> str:
    if not findings:
        items = "<p>No findings: no rule crossed its threshold.</p>"
    else:
        lis = []
        for i, (f, (href, where)) in enumerate(zip(findings, links)):
            place = (f' in <a href="{_esc(href)}">{_esc(where)}</a>' if href else
                     f" in {_esc(where)}" if where else " in the whole run")
            node = ""
            if f.node:
                nid = node_ids.get((f.module, f.node)) or node_ids.get(("", f.node))
                node = (f' · graph node <a href="#{_esc(nid)}">{_esc(f.node)}</a>' if nid else
                        f" · graph node {_esc(f.node)}")
            lis.append(f'<li class="finding" id="finding-{i}"><p class="head"><b>{_esc(f.kind)}</b>{place}'
                       f" · from step {f.step}{node}</p><p>{_esc(f.message)}</p>"
                       f'<p class="nums">measured <b>{_num(f.value)}</b>, threshold {_num(f.threshold, "g")}</p>'
                       f'<p class="fix">Fix: {_esc(f.fix)}</p></li>')
        items = f'<ol class="findings">{"".join(lis)}</ol>'
    return f'<section id="findings"><h2>Findings ({len(findings)})</h2>{items}</section>'


def _curves_section(trace, x_span: int) -> str:
    charts = [f'<figure><figcaption>{_esc(name)}</figcaption>'
              f'{_line_chart(name, list(s.steps), s.column("value"), x_span)}</figure>'
              for name, s in trace.scalars.items()]
    body = "".join(charts) or "<p>No scalars logged: call trace.log(loss=loss) once per step.</p>"
    return f'<section id="curves"><h2>Loss and metrics</h2>{body}</section>'


def _ratios_section(trace, x_span: int) -> str:
    decades = _ratio_range(trace)
    charts = [f'<figure id="{_anchor("ratio", name)}"><figcaption>{_esc(name)}</figcaption>'
              f"{_ratio_chart(name, s, x_span, decades)}</figure>"
              for name, s in trace.params.items() if "update_ratio" in s.columns]
    body = ('<div class="grid2">' + "".join(charts) + "</div>" if charts else
            "<p>No update recorded: pass the optimizer to Trace(model, optimizer).</p>")
    return (f'<section id="ratios"><h2>Update / weight ratio</h2><p class="note">Per step, the norm of the '
            f"change optimizer.step() made to the parameter over the parameter's norm; the dashed line is the "
            f"usual 1e-3.</p>{body}</section>")


def _table_section(trace, timings: bool) -> str:
    keep = [i for i, c in enumerate(COLUMNS) if timings or not c.endswith(" ms")]
    rows = table_rows(trace)
    head = "".join(f"<th>{_esc(COLUMNS[i])}</th>" for i in keep)
    body = []
    for r in rows:
        cells = [f'<td><a href="#{_anchor("layer", r[0])}">{_esc(r[0])}</a></td>' if i == 0 else
                 f"<td>{_esc(r[i])}</td>" if i < 3 else f'<td class="n">{_esc(r[i])}</td>' for i in keep]
        body.append("<tr>" + "".join(cells) + "</tr>")
    steps = [s.steps[-1] for s in trace.sites.values() if s.steps]
    note = f"At step {max(steps)}, the last recorded." if steps else "No step recorded."
    return (f'<section id="table"><h2>Per module</h2><p class="note">{note}</p>'
            f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></section>')


def _graph_svg(graph) -> str:
    """The graph's SVG, ready to sit inline in HTML5 (no XML declaration, no namespace attributes)."""
    svg = graph if isinstance(graph, str) else graph.to_svg()
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:].lstrip()
    # Namespace declarations are URLs (never fetched, but the file is to hold none); the HTML parser
    # puts inline <svg> in the SVG namespace by itself.
    return re.sub(r"""\s+xmlns(:\w+)?=("[^"]*"|'[^']*')""", "", svg)


def _node_ids(graph, svg: str) -> dict:
    """(module, op name) of each graph node -> the id of its element in the SVG, where it has one.

    Also ("", op name) for the first node of each op name, for findings without a module.
    """
    out: dict = {}
    for node in getattr(graph, "nodes", ()) or ():
        nid = str(getattr(node, "id", ""))
        for cand in (nid, f"node-{nid}", f"n{nid}"):
            if cand and f'id="{cand}"' in svg:
                key = (str(getattr(node, "module", "") or ""), str(getattr(node, "name", "")))
                out.setdefault(key, cand)
                out.setdefault(("", key[1]), cand)
                break
    return out


def _graph_section(svg: str | None) -> str:
    body = (f'<div class="graph">{svg}</div>' if svg is not None else
            '<p class="note">No graph given: pass graph=glasstorch.viz.graph(loss) to trace.report().</p>')
    return f'<section id="graph"><h2>Graph</h2>{body}</section>'


def _badges(anchor: str, by_anchor: dict) -> str:
    """Links back to the findings that point at the element ``anchor``."""
    return "".join(f' <a class="badge" href="#finding-{i}">{_esc(kind)}</a>' for i, kind in by_anchor.get(anchor, ()))


def _layers_section(trace, x_span: int, by_anchor: dict) -> str:
    every = trace.every
    blocks, owned = [], set()
    for name, s in sorted(trace.sites.items(), key=lambda kv: kv[1].info.get("order", 0)):
        shape = s.info.get("shape")
        facts = " · ".join(x for x in (s.type_name, "x".join(map(str, shape)) if shape else "",
                                       s.info.get("activation", "")) if x)
        steps = list(s.steps)
        strips = (_strip(f"{name}: activation |x|", steps, s.hists.get("activation", []),
                         _bad_counts(s, ("nan_count", "inf_count")), every, x_span)
                  + _strip(f"{name}: gradient at its output", steps, s.hists.get("gradient", []),
                           _bad_counts(s, ("grad_nan", "grad_inf")), every, x_span))
        params = []
        if s.kind == "module" and "#" not in name:
            for p in trace.module_params(s.info.get("path", "")):
                owned.add(p)
                params.append(_param_block(trace, p, x_span, by_anchor))
        anchor = _anchor("layer", name)
        blocks.append(f'<div class="layer" id="{anchor}"><h3>{_esc(name)} '
                      f'<small>{_esc(facts)}</small>{_badges(anchor, by_anchor)}</h3>'
                      f'<div class="grid2">{strips}{"".join(params)}</div></div>')
    rest = [_param_block(trace, p, x_span, by_anchor) for p in trace.params if p not in owned]
    if rest:
        blocks.append(f'<div class="params" id="other-params"><h3>Parameters of no recorded layer</h3>'
                      f'<div class="grid2">{"".join(rest)}</div></div>')
    return (f'<section id="layers"><h2>Histograms per layer</h2><p class="note">Each column is a step (adjacent '
            f"steps merged past {MAX_COLUMNS} columns), each row a bin of |x| (one per power of 2, exact zeros "
            f"at the bottom); the shade is the share of the step's values in that bin.</p>{_legend()}"
            f'{"".join(blocks) or "<p>No layer recorded.</p>"}</section>')


def _param_block(trace, name: str, x_span: int, by_anchor: dict) -> str:
    s = trace.params[name]
    n = s.last("numel", math.nan)
    strip = _strip(f"{name}: gradient", list(s.steps), s.hists.get("gradient", []),
                   _bad_counts(s, ("grad_nan", "grad_inf")), trace.every, x_span)
    ratio = f' · <a href="#{_anchor("ratio", name)}">update ratio</a>' if "update_ratio" in s.columns else ""
    anchor = _anchor("param", name)
    return (f'<div class="param" id="{anchor}"><h4>{_esc(name)} <small>{_num(n, ".0f")} '
            f'values{ratio}</small>{_badges(anchor, by_anchor)}</h4>{strip}</div>')


# ------------------------------------------------------------------ the page
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:0 12px 40px;color:#222}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:28px}
h3{font-size:15px;margin:18px 0 4px}h4{font-size:13px;margin:8px 0 2px}small{color:#666;font-weight:normal}
nav a{margin-right:10px}.note{color:#555;font-size:13px}
#steps{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:1}
#steps input{width:280px;vertical-align:middle}
figure{margin:4px 0}figcaption{font-size:12px;color:#444}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px}
svg text{font-size:10px;fill:#444}.chart .plot{fill:#f7f8fa;stroke:#bbb}
.grid{stroke:#e2e4e8}.ln{fill:none;stroke:#1f5fa8;stroke-width:1.5;vector-effect:non-scaling-stroke}
.guide{stroke:#d0021b;stroke-dasharray:5 4;vector-effect:non-scaling-stroke}
path{shape-rendering:crispEdges}.ln{shape-rendering:auto}
.l1{fill:#c6dbef}.l2{fill:#6baed6}.l3{fill:#3182bd}.l4{fill:#08519c}.l5{fill:#08306b}.nf{fill:#d62728}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.finding{margin-bottom:10px}.finding p{margin:2px 0}.fix{color:#155724}.nums{color:#555}
.badge{font-size:11px;background:#fde8e8;color:#a61b1b;border-radius:3px;padding:0 4px;text-decoration:none}
.graph{overflow:auto;border:1px solid #ddd;max-height:900px}:target{background:#fff7d6}
"""

# The step-range selector: every chart over steps has an inner <svg data-x> in step units, so a
# range is a viewBox; the step labels under each chart follow.
_JS = """
const lo = document.getElementById("lo"), hi = document.getElementById("hi");
function setRange() {
  let a = +lo.value, b = +hi.value;
  if (a > b) [a, b] = [b, a];
  for (const s of document.querySelectorAll("svg[data-x]")) {
    const v = s.viewBox.baseVal; v.x = a; v.width = b - a + 1;
  }
  const put = (sel, t) => document.querySelectorAll(sel).forEach(e => { e.textContent = t; });
  put(".x0", a); put(".xm", Math.round((a + b) / 2)); put(".x1", b); put("#range", a + " to " + b);
}
lo.oninput = hi.oninput = setRange;
"""


def _header(trace, title: str, last: int, n_findings: int) -> str:
    recorded = max((len(s.steps) for s in trace.sites.values()), default=0)
    summary = (f"{last + 1 if recorded or trace.scalars else 0} steps, {recorded} recorded (every {trace.every}); "
               f"{len(trace.sites)} layers and ops, {len(trace.params)} parameters, {n_findings} findings.")
    nav = "".join(f'<a href="#{i}">{t}</a>' for i, t in (("findings", "findings"), ("curves", "loss and metrics"),
                  ("ratios", "update ratios"), ("table", "per module"), ("graph", "graph"), ("layers", "histograms")))
    return (f"<header><h1>{_esc(title)}</h1><p>{_esc(summary)}</p><nav>{nav}</nav></header>"
            f'<div id="steps">steps from <input type="range" id="lo" min="0" max="{last}" value="0" '
            f'aria-label="first step"> to <input type="range" id="hi" min="0" max="{last}" value="{last}" '
            f'aria-label="last step"> <output id="range">0 to {last}</output></div>')


def render(trace, title: str = "glasstorch run", graph=None, timings: bool = False) -> str:
    """The report as one HTML string (see ``write_report``)."""
    steps = [st for store in (trace.scalars, trace.sites, trace.params) for s in store.values() for st in s.steps[-1:]]
    last = max(steps, default=0)
    x_span = last + 1
    findings = trace.findings()
    links = [_finding_links(trace, f) for f in findings]
    by_anchor: dict[str, list] = {}
    for i, (f, (href, _)) in enumerate(zip(findings, links)):
        if href:
            by_anchor.setdefault(href[1:], []).append((i, f.kind))
    svg = _graph_svg(graph) if graph is not None else None
    node_ids = _node_ids(graph, svg) if svg is not None else {}
    body = (_header(trace, title, last, len(findings)) + _findings_section(findings, links, node_ids)
            + _curves_section(trace, x_span) + _ratios_section(trace, x_span) + _table_section(trace, timings)
            + _graph_section(svg) + _layers_section(trace, x_span, by_anchor))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{_CSS}</style></head>\n<body>{body}\n<script>{_JS}</script>\n</body></html>\n")


def write_report(trace, path, title: str = "glasstorch run", graph=None, timings: bool = False) -> str:
    """Writes the one-file HTML report of ``trace`` to ``path``; returns the path.

    Args:
        trace: a ``glasstorch.inspect.Trace`` after (or during) a run.
        path: the HTML file to write. It is written to a temporary file beside it and moved into
            place, so a reader never sees half a report.
        title: the page's title and heading.
        graph: a ``glasstorch.viz`` Graph (or its SVG text) to show inline, with findings linked to
            its nodes; None leaves the graph section with a note.
        timings: also show the forward/backward milliseconds in the table. Off by default, because
            times differ between runs and the report is otherwise the same bytes for the same seed.

    Example::

        trace.report("runs/lenet/report.html", graph=glasstorch.viz.graph(loss))
    """
    data = render(trace, title=title, graph=graph, timings=timings).encode("utf-8")
    return write_atomic(path, data)
