"""A small image classifier with BatchNorm, trained with SGD + momentum + weight decay and a cosine
schedule; prints the loss, the accuracy and BatchNorm's running statistics."""
import torch
import torch.nn as nn
import torch.nn.functional as F

images = torch.sin(torch.arange(64 * 1 * 8 * 8, dtype=torch.float32) * 0.013).reshape(64, 1, 8, 8)
labels = (images.mean(dim=(1, 2, 3)) > 0).long() + (images[:, 0, 0, 0] > 0.5).long()
model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (0.5 + k)).reshape(p.shape) * 0.3)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
for epoch in range(6):
    for i in range(0, 64, 16):
        loss = F.cross_entropy(model(images[i:i + 16]), labels[i:i + 16])
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    model.eval()
    with torch.no_grad():
        acc = (model(images).argmax(1) == labels).float().mean().item()
    model.train()
    print(f"epoch {epoch} loss {loss.item():.6f} accuracy {acc:.4f} lr {sched.get_last_lr()[0]:.6f}")
bn = model[1]
print("running_mean", [round(v, 5) for v in bn.running_mean.tolist()])
print("running_var", [round(v, 5) for v in bn.running_var.tolist()])
