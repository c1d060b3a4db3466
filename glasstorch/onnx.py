"""``torch.onnx``: exporting to ONNX needs torch's tracer, which glasstorch does not have."""

__all__ = ["export"]


def export(model, args=(), f=None, **kwargs):
    raise NotImplementedError("glasstorch cannot export to ONNX; export the model from PyTorch after loading "
                              "the state_dict that glasstorch saved (torch.save writes PyTorch's format)")
