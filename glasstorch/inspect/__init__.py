"""See-through training: record a run (``Trace``), read what went wrong (``findings``), write a report.

Example::

    with glasstorch.inspect.Trace(model, optimizer) as trace:
        for x, y in loader:
            ...
            optimizer.step()
            trace.log(loss=loss)
    print(trace.table())
    trace.report("runs/report.html")
"""
from .stats import Stats, array_stats
from .trace import Trace

__all__ = ["Trace", "Stats", "array_stats", "Finding"]


def __getattr__(name):
    # findings imports the rule table lazily, so that importing the package stays cheap.
    if name == "Finding":
        from .findings import Finding
        return Finding
    raise AttributeError(f"module 'glasstorch.inspect' has no attribute {name!r}")
