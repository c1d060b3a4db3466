"""A layered drawing of a directed graph, as SVG text: glasstorch's own layout, no Graphviz needed.

The layout is the classic one in three steps:

1. **Layers.** Each vertex goes one layer below the lowest of its inputs (longest path from
   the sources), so data flows from the top down; a source (a leaf) is pulled down to sit just
   above the first vertex that reads it.
2. **Order.** Within a layer, vertices start in the order they were found, then a few sweeps
   move each vertex to the mean position of its neighbours in the layer above (down sweep) or
   below (up sweep): the barycentre heuristic, which removes most edge crossings. Vertices of
   one box (cluster) are kept side by side.
3. **Coordinates.** Each layer is a row; boxes are as wide as their longest line of text.

Everything is plain string building with ``html.escape``; the output depends only on the input,
so the same graph gives the same bytes.
"""
from __future__ import annotations

from html import escape

_CHAR_W = 6.6       # width of one character of the 11px monospace text, in px
_LINE_H = 13
_PAD_X, _PAD_Y = 8, 6
_GAP_X, _GAP_Y = 18, 34
_SWEEPS = 4


def _layers(ids: list, inputs: dict) -> dict:
    """Layer of each vertex: every vertex below all of its inputs; sources (leaves) in a row of
    their own just above their first reader, so they never crowd a row of ops."""
    layer = {}
    for v in ids:          # ``ids`` is in topological order (inputs first)
        ins = [u for u in inputs.get(v, ()) if inputs.get(u)]   # inputs that are not sources
        layer[v] = 2 * (1 + max((layer[u] // 2 for u in ins if u in layer), default=-1)) + 1
    consumers: dict = {}
    for v in ids:
        for u in inputs.get(v, ()):
            consumers.setdefault(u, []).append(v)
    for v in ids:
        if not inputs.get(v):
            readers = consumers.get(v)
            layer[v] = min(layer[c] for c in readers) - 1 if readers else 0
    return layer


def _order(ids: list, inputs: dict, layer: dict, cluster_of: dict) -> list:
    rows: dict = {}
    for v in ids:
        rows.setdefault(layer[v], []).append(v)
    outputs: dict = {}
    for v in ids:
        for u in inputs.get(v, ()):
            outputs.setdefault(u, []).append(v)
    pos = {}
    for row in rows.values():
        for i, v in enumerate(row):
            pos[v] = float(i)
    keys = sorted(rows)
    for sweep in range(_SWEEPS):
        down = sweep % 2 == 0
        for k in (keys[1:] if down else reversed(keys[:-1])):
            row = rows[k]
            near = inputs if down else outputs

            def bary(v, near=near):
                ns = [pos[u] for u in near.get(v, ()) if u in pos]
                return sum(ns) / len(ns) if ns else pos[v]
            bc = {v: bary(v) for v in row}
            # Members of one cluster stay together: sort by the cluster's mean, then by the vertex's own.
            groups: dict = {}
            for v in row:
                groups.setdefault(cluster_of.get(v), []).append(bc[v])
            gmean = {g: sum(x) / len(x) for g, x in groups.items()}
            row.sort(key=lambda v: (gmean[cluster_of.get(v)], bc[v]))
            for i, v in enumerate(row):
                pos[v] = float(i)
    return [rows[k] for k in keys]


def _box(lines: list) -> tuple:
    w = max(len(s) for s in lines) * _CHAR_W + 2 * _PAD_X
    h = len(lines) * _LINE_H + 2 * _PAD_Y
    return w, h


def layout(ids: list, inputs: dict, labels: dict, cluster_of: dict) -> dict:
    """``{id: (x, y, w, h)}`` for each vertex (x, y the top-left corner)."""
    if not ids:
        return {}
    layer = _layers(ids, inputs)
    rows = _order(ids, inputs, layer, cluster_of)
    size = {v: _box(labels[v]) for v in ids}
    widths = [sum(size[v][0] for v in row) + _GAP_X * (len(row) - 1) for row in rows]
    total_w = max(widths)
    place = {}
    y = 20.0
    for row, w in zip(rows, widths):
        x = 20.0 + (total_w - w) / 2
        h_row = max(size[v][1] for v in row)
        for v in row:
            bw, bh = size[v]
            place[v] = (x, y + (h_row - bh) / 2, bw, bh)
            x += bw + _GAP_X
        y += h_row + _GAP_Y
    return place


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def draw(ids: list, inputs: dict, labels: dict, styles: dict, titles: dict, clusters: dict,
         cluster_of_all: dict) -> str:
    """The SVG document.

    Args:
        ids: vertex ids in topological order; ``inputs[v]`` the ids feeding v.
        labels: lines of text per vertex; ``styles[v]`` one of "op", "leaf", "anomaly", "module";
        titles: tooltip text per vertex.
        clusters: ``{cluster id: (label, depth)}``; ``cluster_of_all[v]``: the clusters v is in,
            outermost first.
    """
    innermost = {v: cs[-1] for v, cs in cluster_of_all.items() if cs}
    place = layout(ids, inputs, labels, innermost)
    width = max((x + w for x, y, w, h in place.values()), default=100) + 20
    height = max((y + h for x, y, w, h in place.values()), default=60) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="gt-graph" width="{_fmt(width)}" height="{_fmt(height)}" '
           f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" font-family="monospace" font-size="11">',
           '<defs><marker id="gt-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
           '<rect width="100%" height="100%" fill="white"/>']
    # Cluster boxes, outermost first, each padded a little more than the boxes inside it.
    max_depth = max((d for _, d in clusters.values()), default=0)
    for cid in sorted(clusters, key=lambda c: (clusters[c][1], c)):
        label, depth = clusters[cid]
        members = [place[v] for v, cs in cluster_of_all.items() if cid in cs and v in place]
        if not members:
            continue
        pad = 6 + 6 * (max_depth - depth)
        x0 = min(x for x, y, w, h in members) - pad
        y0 = min(y for x, y, w, h in members) - pad - 12
        x1 = max(x + w for x, y, w, h in members) + pad
        y1 = max(y + h for x, y, w, h in members) + pad
        out.append(f'<g class="gt-cluster" id="cluster-{escape(cid)}"><rect x="{_fmt(x0)}" y="{_fmt(y0)}" '
                   f'width="{_fmt(x1 - x0)}" height="{_fmt(y1 - y0)}" rx="6" fill="#3b6ea5" fill-opacity="0.06" '
                   f'stroke="#3b6ea5" stroke-opacity="0.5" stroke-dasharray="4 2"/>'
                   f'<text x="{_fmt(x0 + 6)}" y="{_fmt(y0 + 11)}" fill="#3b6ea5">{escape(label)}</text></g>')
    for v in ids:
        for u in inputs.get(v, ()):
            if u not in place:
                continue
            x, y, w, h = place[u]
            x2, y2, w2, _ = place[v]
            sx, sy, tx, ty = x + w / 2, y + h, x2 + w2 / 2, y2
            my = (sy + ty) / 2
            out.append(f'<path d="M{_fmt(sx)},{_fmt(sy)} C{_fmt(sx)},{_fmt(my)} {_fmt(tx)},{_fmt(my)} '
                       f'{_fmt(tx)},{_fmt(ty)}" fill="none" stroke="#555" stroke-width="1" '
                       f'marker-end="url(#gt-arrow)"/>')
    fills = {"op": ("#e8eef7", "#3b6ea5"), "leaf": ("#f3f3e6", "#8a8a3b"), "anomaly": ("#fde0e0", "#c62828"),
             "module": ("#eef5ea", "#4b7f3a")}
    for v in ids:
        x, y, w, h = place[v]
        fill, stroke = fills.get(styles.get(v, "op"), fills["op"])
        width_px = 2.5 if styles.get(v) == "anomaly" else 1
        out.append(f'<g class="gt-node gt-{escape(styles.get(v, "op"))}" id="node-{escape(v)}">'
                   f'<title>{escape(titles.get(v, ""))}</title>'
                   f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="{_fmt(h)}" rx="3" fill="{fill}" '
                   f'stroke="{stroke}" stroke-width="{width_px}"/>')
        for i, line in enumerate(labels[v]):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{_fmt(x + _PAD_X)}" y="{_fmt(y + _PAD_Y + (i + 1) * _LINE_H - 3)}"{weight}>'
                       f'{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
