"""Trainer: the epoch loop of a classifier or a regressor, with callbacks and exact resume.

Each epoch trains on every batch of ``train_loader`` (forward, loss, backward, callbacks,
optimizer step, per-step scheduler), then evaluates ``val_loader``, steps a per-epoch
scheduler (``ReduceLROnPlateau`` gets the validation loss), runs the callbacks and
writes a checkpoint. A checkpoint captures everything the following steps depend on, so
``fit(resume=True)`` after a crash ends with bitwise the same weights as a run that was
never interrupted.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from .callbacks import Callback, StopOnNonFiniteLoss
from .checkpoint import CHECKPOINT_FILE, load_checkpoint, save_checkpoint
from .metrics import classification_metrics, regression_metrics

__all__ = ["Trainer"]

PER_STEP_SCHEDULERS = ("OneCycleLR", "CyclicLR")


def _scheduler_interval(scheduler) -> str:
    if scheduler is None:
        return "epoch"
    return "step" if type(scheduler).__name__ in PER_STEP_SCHEDULERS else "epoch"


def _is_plateau(scheduler) -> bool:
    return type(scheduler).__name__ == "ReduceLROnPlateau"


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-3 and value != 0 else f"{value:.4f}"
    return str(value)


class Trainer:
    """Train ``model`` with ``loss_fn`` and ``optimizer`` for ``epochs`` epochs.

    Args:
        task: ``"classification"`` (outputs are class scores ``(n, K)``, targets class
            indices; metrics accuracy and macro-F1) or ``"regression"`` (metrics MAE, RMSE).
        scheduler: any ``npgrad.optim.lr_scheduler`` scheduler. ``OneCycleLR`` and
            ``CyclicLR`` step after every batch (or as ``scheduler_interval`` says),
            ``ReduceLROnPlateau`` after every epoch with the validation loss, the others
            after every epoch.
        callbacks: :class:`~npgrad.train.callbacks.Callback` objects;
            ``StopOnNonFiniteLoss`` is added when absent.
        out_dir: where ``checkpoint/checkpoint.safetensors`` goes (no checkpoints when
            ``None``); ``checkpoint_every`` also writes one every that many steps.
        progress: show a tqdm bar per epoch; ``log`` receives each epoch's summary line.
        target_scale: regression metrics are reported for targets multiplied by it (the
            standard deviation of a standardised target gives them in the original units).

    ``fit()`` returns the history: one dict per epoch with ``epoch``, ``train_loss``,
    ``train_<metric>``, ``val_loss``, ``val_<metric>`` and ``lr``.

    Example:
        >>> import npgrad
        >>> from npgrad.data import DataLoader, TensorDataset
        >>> X, y = npgrad.randn(32, 4), npgrad.randint(0, 2, (32,))
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=8)
        >>> model = npgrad.nn.Linear(4, 2)
        >>> opt = npgrad.optim.SGD(model.parameters(), lr=0.1)
        >>> history = Trainer(model, npgrad.nn.CrossEntropyLoss(), opt, loader, loader, epochs=2,
        ...                   progress=False, log=None).fit()
        >>> [row["epoch"] for row in history]
        [1, 2]
    """

    def __init__(self, model, loss_fn, optimizer, train_loader, val_loader=None, test_loader=None, *,
                 epochs: int = 10, scheduler=None, scheduler_interval: str | None = None,
                 task: str = "classification", callbacks: list[Callback] | None = None, out_dir=None,
                 checkpoint_every: int = 0, progress: bool = True, log=print, target_scale: float = 1.0):
        if task not in ("classification", "regression"):
            raise ValueError(f"task should be 'classification' or 'regression', got {task!r}")
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval or _scheduler_interval(scheduler)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.test_loader = test_loader
        self.epochs = int(epochs)
        self.task = task
        callbacks = list(callbacks or [])
        if not any(isinstance(cb, StopOnNonFiniteLoss) for cb in callbacks):
            callbacks.insert(0, StopOnNonFiniteLoss())
        self.callbacks = callbacks
        self.out_dir = None if out_dir is None else os.fspath(out_dir)
        self.checkpoint_every = int(checkpoint_every)
        self.progress = progress
        self.log = log
        self.target_scale = float(target_scale)

        self.epoch = 0            # epochs completed
        self.step_in_epoch = 0    # steps completed in the current epoch
        self.global_step = 0
        self.history: list[dict] = []
        self.should_stop = False
        self.finished = False
        self._running = self._empty_running()

    # -- the pieces of one step --------------------------------------------------------

    @staticmethod
    def _empty_running() -> dict:
        return {"loss_sum": 0.0, "correct": 0, "count": 0, "seconds": 0.0}

    def _prepare_target(self, target):
        if self.task == "regression" and target.ndim == 1:
            return target.reshape(-1, 1)
        return target

    def _train_step(self, inputs, target) -> None:
        target = self._prepare_target(target)
        output = self.model(inputs)
        loss = self.loss_fn(output, target)
        value = float(loss.item())
        for cb in self.callbacks:
            cb.on_train_loss(self, value)
        self.optimizer.zero_grad()
        loss.backward()
        for cb in self.callbacks:
            cb.on_before_optimizer_step(self)
        if self._needs_closure:
            self.optimizer.step(lambda: self._closure(inputs, target))
        else:
            self.optimizer.step()
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()

        n = int(target.shape[0])
        self._running["loss_sum"] += value * n
        self._running["count"] += n
        if self.task == "classification":
            predicted = output._data.argmax(axis=-1)
            self._running["correct"] += int(np.sum(predicted == target._data))

    def _closure(self, inputs, target):
        """Re-evaluate the loss and its gradients, for optimizers such as LBFGS that need it."""
        import npgrad

        with npgrad.enable_grad():
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(inputs), target)
            loss.backward()
            for cb in self.callbacks:
                cb.on_before_optimizer_step(self)
        return loss

    @property
    def _needs_closure(self) -> bool:
        import inspect

        closure = inspect.signature(self.optimizer.step).parameters.get("closure")
        return closure is not None and closure.default is inspect.Parameter.empty

    def _running_logs(self) -> dict:
        count = max(self._running["count"], 1)
        logs = {"train_loss": self._running["loss_sum"] / count}
        if self.task == "classification":
            logs["train_accuracy"] = self._running["correct"] / count
        return logs

    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    # -- evaluation and prediction -----------------------------------------------------

    def predict(self, loader) -> tuple[np.ndarray, np.ndarray | None]:
        """Model outputs on every batch of ``loader`` (eval mode, no grad), and the targets."""
        import npgrad

        was_training = self.model.training
        self.model.eval()
        outputs, targets = [], []
        with npgrad.no_grad():
            for batch in loader:
                inputs, target = (batch[0], batch[1]) if isinstance(batch, (list, tuple)) else (batch, None)
                outputs.append(self.model(inputs)._data)
                if target is not None:
                    targets.append(target._data)
        self.model.train(was_training)
        out = np.concatenate(outputs) if outputs else np.zeros((0,))
        return out, (np.concatenate(targets) if targets else None)

    def evaluate(self, loader) -> dict:
        """``{"loss": ..., metrics...}`` of the model on ``loader`` (mean loss over samples)."""
        import npgrad

        output, target = self.predict(loader)
        target_t = self._prepare_target(npgrad.from_numpy(target))
        with npgrad.no_grad():
            loss = float(self.loss_fn(npgrad.from_numpy(output), target_t).item())
        logs = {"loss": loss}
        if self.task == "classification":
            logs.update(classification_metrics(output, target))
        else:
            logs.update(regression_metrics(output * self.target_scale, target * self.target_scale))
        return logs

    # -- checkpoints -------------------------------------------------------------------

    @property
    def checkpoint_path(self) -> str | None:
        if self.out_dir is None:
            return None
        return os.path.join(self.out_dir, "checkpoint", CHECKPOINT_FILE)

    def state_dict(self) -> dict:
        """Everything a resumed run needs: model, optimizer, scheduler, RNG, loader, counters."""
        import npgrad

        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": npgrad.get_rng_state(),
            "train_loader": self.train_loader.state_dict(),
            "callbacks": [cb.state_dict() for cb in self.callbacks],
            "trainer": {
                "epoch": self.epoch,
                "step_in_epoch": self.step_in_epoch,
                "global_step": self.global_step,
                "history": self.history,
                "running": dict(self._running),
                "should_stop": self.should_stop,
                "finished": self.finished,
            },
        }

    def load_state_dict(self, state: dict) -> None:
        import npgrad

        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        npgrad.set_rng_state(state["rng"])
        self.train_loader.load_state_dict(state["train_loader"])
        for cb, cb_state in zip(self.callbacks, state["callbacks"]):
            cb.load_state_dict(cb_state)
        t = state["trainer"]
        self.epoch = int(t["epoch"])
        self.step_in_epoch = int(t["step_in_epoch"])
        self.global_step = int(t["global_step"])
        self.history = [dict(row) for row in t["history"]]
        self._running = dict(t["running"])
        self.should_stop = bool(t["should_stop"])
        self.finished = bool(t["finished"])

    def save_checkpoint(self) -> None:
        if self.checkpoint_path is not None:
            save_checkpoint(self.state_dict(), self.checkpoint_path)

    def resume(self) -> bool:
        """Load the checkpoint in ``out_dir`` if there is one; say whether there was."""
        path = self.checkpoint_path
        if path is None or not os.path.exists(path):
            return False
        self.load_state_dict(load_checkpoint(path))
        return True

    # -- the loop ----------------------------------------------------------------------

    def _progress_bar(self):
        from tqdm.auto import tqdm

        return tqdm(total=len(self.train_loader), initial=self.step_in_epoch, leave=False,
                    desc=f"epoch {self.epoch + 1}/{self.epochs}", unit="step", file=sys.stderr,
                    disable=not self.progress, dynamic_ncols=True)

    def _train_epoch(self) -> None:
        self.model.train()
        bar = self._progress_bar()
        try:
            started = time.perf_counter()
            for inputs, target in self.train_loader:
                self._train_step(inputs, target)
                self.step_in_epoch += 1
                self.global_step += 1
                bar.update(1)
                if self.progress:
                    bar.set_postfix({k.replace("train_", ""): f"{v:.4f}" for k, v in self._running_logs().items()},
                                    refresh=False)
                if self.checkpoint_every and self.global_step % self.checkpoint_every == 0:
                    self._running["seconds"] += time.perf_counter() - started
                    started = time.perf_counter()
                    self.save_checkpoint()
            self._running["seconds"] += time.perf_counter() - started
        finally:
            bar.close()

    def _end_epoch(self) -> dict:
        logs = {"epoch": self.epoch + 1, **self._running_logs()}
        if self.val_loader is not None:
            for key, value in self.evaluate(self.val_loader).items():
                logs[f"val_{key}"] = value
        logs["lr"] = self.current_lr()
        logs["seconds"] = self._running["seconds"]
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            if _is_plateau(self.scheduler):
                self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
            else:
                self.scheduler.step()
        for cb in self.callbacks:
            cb.on_epoch_end(self, logs)
        best = logs.pop("best", False)
        self.history.append(logs)
        self.epoch += 1
        self.step_in_epoch = 0
        self._running = self._empty_running()
        if self.log is not None:
            self.log(self.summary_line(logs, best))
        return logs

    def summary_line(self, logs: dict, best: bool = False) -> str:
        parts = [f"epoch {logs['epoch']}/{self.epochs}"]
        parts += [f"{k} {_format(v)}" for k, v in logs.items() if k not in ("epoch", "lr", "seconds")]
        parts.append(f"lr {logs['lr']:.3g}")
        parts.append(f"{logs['seconds']:.1f}s")
        if best:
            parts.append("*")
        return "  ".join(parts)

    def fit(self, resume: bool = False, on_epoch_end=None) -> list[dict]:
        """Train until ``epochs`` epochs are done or a callback stops the run.

        With ``resume=True`` the checkpoint in ``out_dir`` (if any) is loaded first and
        training continues from the exact step where it was written.
        ``on_epoch_end(trainer, logs)`` runs after each epoch's checkpoint.
        """
        if resume:
            self.resume()
        for cb in self.callbacks:
            cb.on_fit_start(self)
        while not self.finished and self.epoch < self.epochs and not self.should_stop:
            for cb in self.callbacks:
                cb.on_epoch_start(self)
            self._train_epoch()
            logs = self._end_epoch()
            self.save_checkpoint()
            if on_epoch_end is not None:
                on_epoch_end(self, logs)
        if not self.finished:
            self.finished = True
            self.save_checkpoint()
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history
