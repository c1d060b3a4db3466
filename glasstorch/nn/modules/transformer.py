"""Transformer layers, mirroring torch/nn/modules/transformer.py (filled in by the attention work)."""
__all__: list = []
