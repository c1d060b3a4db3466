"""A small English text for the sequence examples, generated here so that it needs no download.

The text is a few hundred KB of short harbour-town stories: plain sentences, a little dialogue,
paragraphs. Every word and template is written in this file, so the text is the project's own
and free of any licence. The generator is seeded, so every run (and every machine) gets the
same bytes.

A character model can learn its spelling, punctuation and grammar in a minute of training, which
is what the examples need: the samples they print should read as English.
"""
from __future__ import annotations

import random

PEOPLE = ["the old sailor", "the baker", "a young fisherman", "the harbour master", "my grandmother",
          "the lighthouse keeper", "a tired traveller", "the schoolteacher", "the captain", "her brother",
          "the miller's daughter", "a quiet stranger", "the doctor", "the girl with the red scarf",
          "the ferryman", "our neighbour", "the blacksmith", "a boy from the hills"]
NAMES = ["Anna", "Tomas", "Mira", "Jonah", "Elsa", "Peter", "Lena", "Samuel", "Ruth", "Oskar", "Ida", "Felix"]
PLACES = ["the harbour", "the market", "the lighthouse", "the old bridge", "the bakery", "the church on the hill",
          "the fish sheds", "the beach", "the narrow street", "the inn", "the garden", "the station",
          "the mill", "the school", "the quay"]
TIMES = ["at dawn", "in the morning", "at noon", "in the afternoon", "in the evening", "at night",
         "before the rain", "after supper", "on Sunday", "in the spring", "in the first week of winter",
         "when the tide was low", "when the bells rang"]
WEATHER = ["The wind came in from the sea.", "Rain fell on the roofs all day.", "The sky was clear and cold.",
           "A grey fog lay over the water.", "The sun was warm on the stones.", "Snow covered the hills.",
           "The storm had passed, and the air was still.", "Clouds moved slowly over the bay."]
THINGS = ["a letter", "a basket of bread", "a lamp", "an old map", "a net", "a bottle of milk", "a wooden box",
          "a blue coat", "a key", "a loaf", "a small boat", "a book of songs", "a bag of apples", "a rope",
          "a candle", "a warm blanket", "a silver coin", "a jar of honey"]
ADJ = ["old", "quiet", "cold", "bright", "small", "tired", "happy", "careful", "strange", "kind", "patient",
       "busy", "gentle", "proud"]
GO = ["walked to", "ran to", "went down to", "came back from", "looked for", "waited at", "hurried to",
      "climbed up to", "sat near", "stopped at"]
DO = ["carried", "found", "lost", "gave away", "mended", "opened", "sold", "bought", "painted", "hid", "kept",
      "brought"]
FEEL = ["was happy", "was afraid", "felt tired", "was glad", "felt the cold", "laughed", "said nothing",
        "began to sing", "closed her eyes", "smiled", "shook his head", "looked at the sea"]
SAY = ["I will come back tomorrow.", "The boats are late again.", "Have you seen my brother?",
       "It is too cold to work today.", "The bread is still warm.", "Look, the light is on.",
       "We should go home now.", "Nobody knows where the key is.", "The sea is calm tonight.",
       "Thank you for the apples.", "Where did you find that map?", "The bell will ring soon.",
       "I think the storm is over.", "Bring the lamp, please."]
JOIN = ["and then", "but", "so", "while", "because", "before", "after"]


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def _someone(rng: random.Random) -> str:
    return rng.choice(NAMES) if rng.random() < 0.35 else rng.choice(PEOPLE)


def _clause(rng: random.Random) -> str:
    kind = rng.random()
    who = _someone(rng)
    if kind < 0.35:
        return f"{who} {rng.choice(GO)} {rng.choice(PLACES)}"
    if kind < 0.7:
        return f"{who} {rng.choice(DO)} {rng.choice(THINGS)}"
    if kind < 0.85:
        return f"{who} {rng.choice(FEEL)}"
    return f"{who} was {rng.choice(ADJ)} and {rng.choice(ADJ)}"


def _sentence(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.12:
        return rng.choice(WEATHER)
    if r < 0.27:
        words = rng.choice(SAY)
        if words.endswith("."):
            words = words[:-1] + ","  # "It is late," said Anna.
        return f'"{words}" said {_someone(rng)}.'
    s = _clause(rng)
    if rng.random() < 0.4:
        s = f"{s} {rng.choice(TIMES)}"
    if rng.random() < 0.35:
        s = f"{s}, {rng.choice(JOIN)} {_clause(rng)}"
    return _cap(s) + "."


def generate(n_bytes: int = 400_000, seed: int = 1) -> str:
    """The text: paragraphs of 3 to 7 sentences until it holds at least ``n_bytes`` characters."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < n_bytes:
        para = " ".join(_sentence(rng) for _ in range(rng.randint(3, 7)))
        parts.append(para)
        size += len(para) + 2
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    t = generate()
    print(f"{len(t):,} characters, {len(set(t))} distinct")
    print(t[:1500])


# ---------------------------------------------------------------- what both language models share
class CharData:
    """The generated text as character ids: ``train`` (the first 90%) and ``held_out`` (the rest)."""

    def __init__(self, torch):
        self.torch = torch
        self.text = generate()
        self.chars = sorted(set(self.text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))
        data = torch.tensor([self.stoi[c] for c in self.text])
        split = int(0.9 * len(data))
        self.train, self.held_out = data[:split], data[split:]

    @property
    def vocab(self) -> int:
        return len(self.chars)

    def batch(self, source, n: int, length: int):
        """``n`` random windows of ``length`` characters; the target is the window shifted by one."""
        torch = self.torch
        starts = torch.randint(0, len(source) - length - 1, (n,))
        windows = source[starts[:, None] + torch.arange(length + 1)]
        return windows[:, :-1], windows[:, 1:]


def start(doc: str, extra, script: str):
    """The command line, the framework (seeded) and the text: ``(args, torch, CharData)``."""
    from _common import framework, parse_args

    args = parse_args(doc.splitlines()[0], epochs=None, extra=extra)
    args.script = script
    torch = framework(args.backend)
    torch.manual_seed(args.seed)
    return args, torch, CharData(torch)


def train_and_report(args, torch, model, optimizer, data: CharData, length: int, loss_of, sample, title: str,
                     scheduler=None, metrics=None) -> None:
    """The training loop (clipping the gradient norm at 1), then the held-out loss, a sample, the
    loss plot, metrics.json and, with --report, the see-through report.

    ``loss_of(x, y)`` is the model's cross-entropy on a batch; ``sample()`` returns generated text."""
    from _common import out_dir, plot_curves, progress, save_metrics, see_through, write_see_through
    import math
    import time

    losses = []
    start = time.perf_counter()
    with see_through(args, torch, model, optimizer, every=25) as trace:
        bar = progress(range(args.steps), desc="training")
        for step in bar:
            loss = loss_of(*data.batch(data.train, args.batch, length))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            trace.log(loss=loss)
            losses.append(loss.item())
            if hasattr(bar, "set_postfix") and step % 10 == 0:
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
    seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        torch.manual_seed(args.seed + 1)
        held = loss_of(*data.batch(data.held_out, 64, length)).item()
    model.train()
    tail = sum(losses[-50:]) / len(losses[-50:])
    print(f"trained {args.steps} steps in {seconds:.0f} s; training loss (last 50 steps) {tail:.3f}, "
          f"held-out loss {held:.3f} nats/char ({held / math.log(2):.2f} bits)")
    torch.manual_seed(args.seed)
    text_out = sample()
    print("sample:\n" + text_out)

    path = out_dir(args)
    plot_curves(path, "loss.png", {"training loss": losses}, xlabel="step", title=title)
    save_metrics(path, {"final_loss": tail, "held_out_loss": held, "steps": args.steps, "seconds": seconds,
                        "sample": text_out, "backend": args.backend, **(metrics or {})})
    x, y = data.batch(data.train, 2, length)
    write_see_through(args, trace, path, model, step=lambda: loss_of(x, y), title=title)
