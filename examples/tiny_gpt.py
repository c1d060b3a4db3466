"""A small decoder-only transformer (4 layers, 4 heads, d_model 128, context 64) trained as a
character language model on a generated English text: causal self-attention through
F.scaled_dot_product_attention, GELU MLPs, pre-LayerNorm, tied embeddings, AdamW with weight-decay
groups, a warm-up plus cosine schedule and gradient clipping."""
import math
import sys

from _corpus import start, train_and_report


def extra(p):
    p.add_argument("--steps", type=int, default=600, help="training steps (default 600)")
    p.add_argument("--batch", type=int, default=16, help="sequences per step (default 16)")
    p.add_argument("--block", type=int, default=64, help="context length in characters (default 64)")
    p.add_argument("--layers", type=int, default=4, help="transformer blocks (default 4)")
    p.add_argument("--d-model", type=int, default=128, help="embedding width (default 128)")
    p.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    p.add_argument("--sample", type=int, default=400, help="characters to sample at the end (default 400)")


def make_model(torch, vocab: int, block: int, d: int, heads: int, layers: int):
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(x).split(d, dim=2)
            # (B, T, d) -> (B, heads, T, d / heads): attention runs per head.
            q, k, v = (z.view(b, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).reshape(b, t, d))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(d)
            self.attn = CausalSelfAttention()
            self.ln2 = nn.LayerNorm(d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(block, d)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.ln = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab, bias=False)
            self.head.weight = self.tok.weight  # weight tying: one matrix reads and writes tokens
            self.apply(self._init)

        @staticmethod
        def _init(m):
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(torch.arange(t))
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.ln(x))

    return GPT()


def param_groups(model, weight_decay: float) -> list:
    """Matrices (linear weights and embeddings) decay; biases and LayerNorm scales do not."""
    params = {n: p for n, p in model.named_parameters()}  # a tied weight appears once
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def sample(torch, model, stoi, itos, n: int, block: int, prompt: str = "The ", temperature: float = 0.8) -> str:
    model.eval()
    idx = torch.tensor([[stoi[c] for c in prompt]])
    with torch.no_grad():
        for _ in range(n):
            logits = model(idx[:, -block:])[:, -1] / temperature
            nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1)
            idx = torch.cat([idx, nxt], dim=1)
    model.train()
    return "".join(itos[i] for i in idx[0].tolist())


def main():
    args, torch, data = start(__doc__, extra, __file__)
    F = torch.nn.functional
    model = make_model(torch, data.vocab, args.block, args.d_model, args.heads, args.layers)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"text: {len(data.text):,} characters, {data.vocab} distinct; model: {n_params:,} parameters; "
          f"{args.steps} steps of {args.batch}x{args.block}")
    optimizer = torch.optim.AdamW(param_groups(model, 0.1), lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 20)

    def lr_factor(step):
        if step < warmup:
            return (step + 1) / warmup
        progress_ = (step - warmup) / max(1, args.steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress_))  # cosine down to a tenth

    def loss_of(x, y):
        return F.cross_entropy(model(x).reshape(-1, data.vocab), y.reshape(-1))

    train_and_report(args, torch, model, optimizer, data, args.block, loss_of, title="tiny GPT",
                     scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor),
                     sample=lambda: sample(torch, model, data.stoi, data.itos, args.sample, args.block),
                     metrics={"parameters": n_params})


if __name__ == "__main__":
    sys.exit(main())
