"""Classify handwritten digits read as sequences: a bidirectional GRU with attention.

Each 8x8 image of the UCI digits (shipped with npgrad, no download) is read top to
bottom as 8 time steps of 8 pixels.  A bidirectional GRU encodes the rows, additive
attention pools them, and a linear layer classifies; training uses cross-entropy
and Adam, exactly as a PyTorch script would (swap ``import npgrad as torch`` for
``import torch`` and it runs there too).  The attention weights of a few test
digits are saved as a figure: which rows the model looked at.

    PYTHONPATH=src python examples/bigru_attention_digits.py --epochs 20 --plot bigru_attention.png
"""
import argparse
import time

import numpy as np

import npgrad as torch
from npgrad import nn
from npgrad.data import DataLoader, TensorDataset
from npgrad.train.seq_models import BiGRUAttention


def load_digits_arrays():
    """Digit images scaled to [0, 1] and labels; npgrad's offline copy, else scikit-learn's."""
    try:
        from npgrad.data import load_digits
        data = load_digits()
        features, targets = data.features, data.targets
    except ImportError:
        from sklearn.datasets import load_digits
        features, targets = load_digits(return_X_y=True)
    return (features / 16.0).astype(np.float32), targets.astype(np.int64)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    model.train()
    return (predicted == y).float().mean().item()


def plot_attention(model, images, labels, path, count=6):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model.eval()
    with torch.no_grad():
        predicted = model(images[:count]).argmax(dim=1).numpy()
    weights = model.last_attention.numpy()
    fig, axes = plt.subplots(2, count, figsize=(2.0 * count, 4.2),
                             gridspec_kw={"height_ratios": [3, 1.4]})
    for i in range(count):
        axes[0, i].imshow(images[i].numpy().reshape(8, 8), cmap="gray_r")
        axes[0, i].set_title(f"label {labels[i].item()} / pred {predicted[i]}", fontsize=9)
        axes[0, i].axis("off")
        axes[1, i].barh(np.arange(8), weights[i], color="tab:orange")
        axes[1, i].set_ylim(7.5, -0.5)
        axes[1, i].set_xlim(0, 1)
        axes[1, i].set_yticks(range(8))
        axes[1, i].set_xlabel("attention", fontsize=8)
        axes[1, i].tick_params(labelsize=7)
    axes[1, 0].set_ylabel("image row")
    fig.suptitle("BiGRU + attention on 8x8 digits: weight given to each row")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="bigru_attention_digits.png")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    features, targets = load_digits_arrays()
    order = np.random.default_rng(args.seed).permutation(len(targets))
    test_size = len(targets) // 5
    test_idx, train_idx = order[:test_size], order[test_size:]
    x_train, y_train = torch.from_numpy(features[train_idx]), torch.from_numpy(targets[train_idx])
    x_test, y_test = torch.from_numpy(features[test_idx]), torch.from_numpy(targets[test_idx])
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)

    model = BiGRUAttention(n_features=8, seq_len=8, hidden=args.hidden, n_classes=10)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total, batches = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        print(f"epoch {epoch:2d}  loss {total / batches:.4f}  test accuracy {accuracy(model, x_test, y_test):.4f}")
    elapsed = time.perf_counter() - start
    test_accuracy = accuracy(model, x_test, y_test)
    print(f"test accuracy {test_accuracy:.4f} ({len(test_idx)} digits), training time {elapsed:.1f} s")
    plot_attention(model, x_test, y_test, args.plot)
    print(f"attention weights plotted to {args.plot}")


if __name__ == "__main__":
    main()
