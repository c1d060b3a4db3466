"""Linear regression written for a GPU: picks the device with torch.cuda.is_available(), moves the
model and each batch to it, trains with a DataLoader and SGD, prints the loss of every epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
x = torch.linspace(-2, 2, 64).unsqueeze(1)
y = 3 * x + 1 + 0.1 * torch.sin(7 * x)
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=False)
model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1)).to(device)
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (k + 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = F.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    print(f"epoch {epoch} loss {total / len(x):.6f}")
