"""See the graph: ``graph(tensor)`` draws the backward graph with its numbers, ``module_graph(model, x)``
the modules as nested boxes. Both give a ``Graph`` (``.to_svg()``, ``.to_dot()``, ``.save(path)``),
laid out by glasstorch itself: no Graphviz, nothing to install."""
from .graph import Graph, GraphNode, graph, record
from .module_graph import module_graph

__all__ = ["graph", "module_graph", "record", "Graph", "GraphNode"]
