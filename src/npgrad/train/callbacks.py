"""Trainer callbacks: best checkpoint, early stopping, gradient clipping, non-finite loss.

A callback overrides some of the hooks below; the :class:`~npgrad.train.Trainer` calls
them in order. A callback with state (a best value, a patience counter) saves it through
``state_dict`` / ``load_state_dict``, so a resumed run decides exactly as the
uninterrupted one would.
"""
from __future__ import annotations

import math
import os

__all__ = ["Callback", "BestCheckpoint", "EarlyStopping", "GradientClipping", "StopOnNonFiniteLoss",
           "NonFiniteLossError"]


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


class Callback:
    """Base class: every hook does nothing."""

    def on_fit_start(self, trainer):
        pass

    def on_epoch_start(self, trainer):
        pass

    def on_train_loss(self, trainer, loss: float):
        """After the forward pass of a training step, before ``backward``."""

    def on_before_optimizer_step(self, trainer):
        """After ``backward``, before ``optimizer.step()``: gradients are in ``.grad``."""

    def on_epoch_end(self, trainer, logs: dict):
        """After validation; ``logs`` is the epoch's row of metrics."""

    def on_fit_end(self, trainer):
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def _improves(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    if value is None or math.isnan(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class BestCheckpoint(Callback):
    """Save the model's weights to ``path`` whenever the monitored metric improves.

    With ``mode="min"`` an epoch improves when :math:`m_t < \\min_{s<t} m_s`. The file is
    a state dict written atomically with ``npgrad.save``; ``best_value`` and
    ``best_epoch`` (1-based) say which epoch it holds.

    Example:
        >>> import npgrad, tempfile, os
        >>> cb = BestCheckpoint(os.path.join(tempfile.mkdtemp(), "best.safetensors"))
        >>> cb.monitor, cb.best_value
        ('val_loss', None)
    """

    def __init__(self, path, monitor: str = "val_loss", mode: str = "min"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown, choose 'min' or 'max'")
        self.path = os.fspath(path)
        self.monitor = monitor
        self.mode = mode
        self.best_value: float | None = None
        self.best_epoch: int | None = None

    def on_epoch_end(self, trainer, logs):
        value = logs.get(self.monitor)
        if _improves(value, self.best_value, self.mode):
            from ..serialization import save

            self.best_value = float(value)
            self.best_epoch = int(logs["epoch"])
            save(trainer.model.state_dict(), self.path)
            logs["best"] = True

    def state_dict(self):
        return {"best_value": self.best_value, "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.best_value = state["best_value"]
        self.best_epoch = state["best_epoch"]


class EarlyStopping(Callback):
    """Stop training when the monitored metric has not improved for ``patience`` epochs.

    An epoch improves when :math:`m_t < m_{best} - \\delta` (``mode="min"``, with
    :math:`\\delta` = ``min_delta``); after ``patience`` epochs in a row without one,
    ``trainer.should_stop`` is set and the run ends after that epoch.

    Example:
        >>> es = EarlyStopping(patience=2)
        >>> class T: should_stop = False
        >>> t = T()
        >>> for loss in [1.0, 0.9, 0.95, 0.91]:
        ...     es.on_epoch_end(t, {"val_loss": loss})
        >>> t.should_stop, es.wait
        (True, 2)
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "min"):
        if patience < 1:
            raise ValueError(f"patience should be at least 1, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta should be non-negative, got {min_delta}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best_value: float | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, trainer, logs):
        value = logs.get(self.monitor)
        if _improves(value, self.best_value, self.mode, self.min_delta):
            self.best_value = float(value)
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = logs.get("epoch")
            trainer.should_stop = True

    def state_dict(self):
        return {"best_value": self.best_value, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        self.best_value = state["best_value"]
        self.wait = int(state["wait"])
        self.stopped_epoch = state["stopped_epoch"]


class GradientClipping(Callback):
    """Clip the gradients' total norm to ``max_norm`` before every optimizer step.

    .. math:: g \\leftarrow g \\cdot \\min\\left(1, \\frac{c}{\\lVert g \\rVert_p + 10^{-6}}\\right)

    (``npgrad.nn.utils.clip_grad_norm_``; Pascanu et al., 2013, arXiv:1211.5063).

    Example:
        >>> GradientClipping(1.0).max_norm
        1.0
    """

    def __init__(self, max_norm: float, norm_type: float = 2.0):
        self.max_norm = float(max_norm)
        self.norm_type = norm_type
        self.last_norm: float | None = None

    def on_before_optimizer_step(self, trainer):
        from ..nn.utils import clip_grad_norm_

        norm = clip_grad_norm_(trainer.model.parameters(), self.max_norm, self.norm_type)
        self.last_norm = float(norm.item())


class StopOnNonFiniteLoss(Callback):
    """Stop with :class:`NonFiniteLossError` as soon as a training loss is NaN or infinite.

    The check runs before ``backward``, so the weights are still those of the last
    finite step.

    Example:
        >>> class T: epoch, step_in_epoch = 0, 4
        >>> StopOnNonFiniteLoss().on_train_loss(T(), float("nan"))
        Traceback (most recent call last):
        ...
        npgrad.train.callbacks.NonFiniteLossError: training loss is nan at epoch 1, step 5; stopped before the weights were updated: lower the learning rate or clip the gradients
    """

    def on_train_loss(self, trainer, loss):
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"training loss is {loss} at epoch {trainer.epoch + 1}, step {trainer.step_in_epoch + 1}; "
                "stopped before the weights were updated: lower the learning rate or clip the gradients")
