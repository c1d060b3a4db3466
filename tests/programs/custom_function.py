"""A custom autograd Function (a clipped exponential with its own backward), checked with gradcheck
and used in a small optimisation loop."""
import torch


class ClippedExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, limit):
        out = torch.exp(torch.clamp(x, max=limit))
        ctx.save_for_backward(x, out)
        ctx.limit = limit
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * out * (x <= ctx.limit).to(grad.dtype), None


x = torch.tensor([-1.0, 0.5, 1.5, 3.0], dtype=torch.float64, requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(lambda v: ClippedExp.apply(v, 2.0), (x,)))
w = torch.tensor([0.3, -0.2, 0.1, 0.4], requires_grad=True)
opt = torch.optim.Adam([w], lr=0.1)
for step in range(6):
    loss = (ClippedExp.apply(w, 1.0) - 2.0).pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
