"""A time-series LSTM: predicts the next value of a noisy sine from the last 20, trained with Adam
and gradient clipping, evaluated under no_grad with the model in eval mode."""
import math

import torch
import torch.nn as nn


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=16, num_layers=2, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


t = torch.arange(400, dtype=torch.float32)
series = torch.sin(t * 0.1) + 0.05 * torch.cos(t * 1.7)
windows = series.unfold(0, 21, 1)                     # (380, 21): 20 inputs and the next value
x, y = windows[:, :20].unsqueeze(-1), windows[:, 20:]
model = Forecaster()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.37 + k)).reshape(p.shape) * 0.2)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(4):
    for i in range(0, 320, 64):
        loss = nn.functional.mse_loss(model(x[i:i + 64]), y[i:i + 64])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    with torch.no_grad():
        held = nn.functional.mse_loss(model(x[320:]), y[320:]).item()
    model.train()
    print(f"epoch {epoch} train {loss.item():.6f} held-out {held:.6f} rmse {math.sqrt(held):.6f}")
