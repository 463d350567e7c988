"""Learning curves: loss and accuracy (or MAE) against epoch, saved as a PNG."""
from __future__ import annotations

import os

__all__ = ["plot_curves", "MATPLOTLIB_HINT"]

MATPLOTLIB_HINT = 'curves.png not written: matplotlib is missing; install it with pip install "npgrad[plot]"'


def plot_curves(history: list[dict], path) -> str | None:
    """Draw the loss (train and validation) and the accuracy (or MAE) per epoch into ``path``.

    Returns ``None`` when the file was written, or a message saying how to get
    matplotlib when it is not installed.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "curves.png")
        >>> plot_curves([{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1}], path) is None
        True
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return MATPLOTLIB_HINT
    epochs = [row["epoch"] for row in history]
    metric = "accuracy" if any("train_accuracy" in row or "val_accuracy" in row for row in history) else "mae"
    from matplotlib.ticker import MaxNLocator

    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 4))
    for ax in (ax_loss, ax_metric):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    for key, label in (("train_loss", "train"), ("val_loss", "validation")):
        if any(key in row for row in history):
            ax_loss.plot(epochs, [row.get(key, float("nan")) for row in history], marker=".", label=label)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    for key, label in ((f"train_{metric}", "train"), (f"val_{metric}", "validation")):
        if any(key in row for row in history):
            ax_metric.plot(epochs, [row.get(key, float("nan")) for row in history], marker=".", label=label)
    ax_metric.set_xlabel("epoch")
    ax_metric.set_ylabel(metric)
    if ax_metric.lines:
        ax_metric.legend()
    fig.tight_layout()
    tmp = os.fspath(path) + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return None
