"""Saves a model's state_dict, loads it into a fresh model, checks the outputs agree, then
fine-tunes the copy with a learning-rate scheduler."""
import os
import tempfile

import torch
import torch.nn as nn


def make():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))


src = make()
with torch.no_grad():
    for k, p in enumerate(src.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) + k).reshape(p.shape) * 0.3)
x = torch.sin(torch.arange(2 * 36, dtype=torch.float32)).reshape(2, 1, 6, 6)
path = os.path.join(tempfile.mkdtemp(), "model.pt")
torch.save(src.state_dict(), path)
dst = make()
dst.load_state_dict(torch.load(path, weights_only=True))
print("keys", list(dst.state_dict()))
print("same outputs", torch.allclose(src(x), dst(x)))
opt = torch.optim.SGD(dst.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
target = torch.tensor([0, 2])
for step in range(5):
    loss = nn.functional.cross_entropy(dst(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.6f} lr {sched.get_last_lr()[0]:.4f}")
