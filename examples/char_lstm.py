"""A character-level LSTM language model (embedding 64, LSTM 2x256, Adam, clipping) on a generated
English text; it trains for about a minute and then samples text."""
import sys

from _corpus import start, train_and_report


def extra(p):
    p.add_argument("--steps", type=int, default=900, help="training steps (default 900)")
    p.add_argument("--batch", type=int, default=32, help="sequences per step (default 32)")
    p.add_argument("--seq", type=int, default=64, help="characters per sequence (default 64)")
    p.add_argument("--hidden", type=int, default=256, help="LSTM hidden size (default 256)")
    p.add_argument("--sample", type=int, default=400, help="characters to sample at the end (default 400)")


def make_model(nn, vocab: int, hidden: int):
    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, 64)
            self.lstm = nn.LSTM(64, hidden, num_layers=2, batch_first=True, dropout=0.1)
            self.head = nn.Linear(hidden, vocab)

        def forward(self, x, state=None):
            out, state = self.lstm(self.embed(x), state)
            return self.head(out), state

    return CharLSTM()


def sample(torch, model, stoi, itos, n: int, prompt: str = "The ", temperature: float = 0.8) -> str:
    """Feeds ``prompt``, then draws ``n`` characters one at a time, carrying the LSTM state."""
    model.eval()
    out = list(prompt)
    with torch.no_grad():
        x = torch.tensor([[stoi[c] for c in prompt]])
        logits, state = model(x)
        for _ in range(n):
            probs = torch.softmax(logits[0, -1] / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1).item()
            out.append(itos[nxt])
            logits, state = model(torch.tensor([[nxt]]), state)
    model.train()
    return "".join(out)


def main():
    args, torch, data = start(__doc__, extra, __file__)
    F = torch.nn.functional
    print(f"text: {len(data.text):,} characters, {data.vocab} distinct; {args.steps} steps of "
          f"{args.batch}x{args.seq} characters")
    model = make_model(torch.nn, data.vocab, args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss_of(x, y):
        logits, _ = model(x)
        return F.cross_entropy(logits.reshape(-1, data.vocab), y.reshape(-1))

    train_and_report(args, torch, model, optimizer, data, args.seq, loss_of, title="character LSTM",
                     sample=lambda: sample(torch, model, data.stoi, data.itos, args.sample))


if __name__ == "__main__":
    sys.exit(main())
