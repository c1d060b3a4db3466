"""``Trace.table()``: the last recorded step as a text table, one row per site in call order."""
from __future__ import annotations

import math

__all__ = ["text_table", "table_rows"]

COLUMNS = ("site", "type", "output", "fwd ms", "bwd ms", "mean", "std", "% zero", "grad norm",
           "param grad", "update/weight")


def _fmt(x: float, spec: str = ".3g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


def _param_summary(trace, path: str) -> tuple[float, float]:
    """Norm of the gradients of the module's own parameters, and their update/weight ratio, last step."""
    names = trace.module_params(path)
    if not names:
        return math.nan, math.nan
    g2 = w2 = u2 = 0.0
    have_grad = have_update = False
    for n in names:
        s = trace.params[n]
        g = s.last("grad_norm")
        if not math.isnan(g):
            g2 += g * g
            have_grad = True
        u, w = s.last("update_norm"), s.last("weight_norm")
        if not math.isnan(u):
            u2 += u * u
            w2 += w * w
            have_update = True
    grad = math.sqrt(g2) if have_grad else math.nan
    ratio = math.sqrt(u2) / math.sqrt(w2) if have_update and w2 > 0 else math.nan
    return grad, ratio


def table_rows(trace) -> list[tuple]:
    """The rows of the table as tuples of strings, in the order of ``COLUMNS``."""
    rows = []
    for name, s in sorted(trace.sites.items(), key=lambda kv: kv[1].info.get("order", 0)):
        if not s.steps:
            continue
        grad, ratio = (_param_summary(trace, s.info.get("path", "")) if s.kind == "module" and
                       not name.count("#") else (math.nan, math.nan))
        shape = s.info.get("shape")
        rows.append((name, s.type_name, "x".join(map(str, shape)) if shape is not None else "-",
                     _fmt(s.last("fwd_ms"), ".2f"), _fmt(s.last("bwd_ms"), ".2f"),
                     _fmt(s.last("mean")), _fmt(s.last("std")),
                     _fmt(100 * s.last("zero_frac"), ".1f"), _fmt(s.last("grad_norm")),
                     _fmt(grad), _fmt(ratio, ".2e")))
    return rows


def text_table(trace) -> str:
    """The table as aligned text, headed by the step it shows."""
    rows = table_rows(trace)
    steps = [s.steps[-1] for s in trace.sites.values() if s.steps]
    head = f"step {max(steps)}" if steps else "no step recorded yet"
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(COLUMNS)]

    def line(cells) -> str:
        left = "  ".join(c.ljust(w) for c, w in zip(cells[:3], widths[:3]))
        right = "  ".join(c.rjust(w) for c, w in zip(cells[3:], widths[3:]))
        return (left + "  " + right).rstrip()

    rule = "-" * len(line(COLUMNS))
    return "\n".join([head, rule, line(COLUMNS), rule] + [line(r) for r in rows] + [rule])
