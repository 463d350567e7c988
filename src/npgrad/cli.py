"""The ``npgrad`` command: ``train``, ``evaluate`` and ``predict`` on tabular data.

``npgrad train`` with no arguments trains an MLP (``mlp:128,64``) on the built-in digits
with CrossEntropyLoss (label smoothing 0.1) and AdamW, keeps the weights with the best
validation loss and reports the test accuracy. A run's folder (``--out``) holds
``config.json``, ``best.safetensors``, ``last.safetensors``, ``checkpoint/``,
``metrics.csv``, ``summary.json`` and ``curves.png``; ``--resume`` continues a run that
was stopped at any moment, to bitwise the same weights.

Bad input (a missing file, an unknown column or optimizer, non-numeric features, a class
column with one class) ends with one line ``npgrad: error: ...`` on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import os
import sys
import time

__all__ = ["main"]

TRAIN_DEFAULTS = {
    "data": "digits",
    "target": None,
    "task": "auto",
    "model": "mlp:128,64",
    "loss": None,
    "optimizer": "AdamW",
    "lr": 2e-3,
    "weight_decay": None,
    "label_smoothing": 0.1,
    "scheduler": "none",
    "epochs": 40,
    "batch_size": 64,
    "seed": 0,
    "val_fraction": 0.15,
    "test_fraction": 0.15,
    "patience": 0,
    "min_delta": 0.0,
    "clip_grad": 0.0,
    "checkpoint_every": 0,
}
# options that only change how a run is shown or stored, not what it computes
RUN_ONLY = ("out", "resume", "progress")


class UsageError(Exception):
    """Bad input from the command line: reported on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# -- parsing helpers -------------------------------------------------------------------


def _literal(text: str):
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def _name_and_options(spec: str) -> tuple[str, dict]:
    """``"SGD:momentum=0.9,nesterov=true"`` -> ``("SGD", {"momentum": 0.9, "nesterov": True})``."""
    name, _, rest = spec.partition(":")
    options = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        if "=" not in part:
            raise UsageError(f"cannot read {part!r} in {spec!r}: options are written NAME:key=value,key=value")
        key, value = part.split("=", 1)
        options[key.strip()] = _literal(value)
    return name.strip(), options


def _norm(name: str) -> str:
    name = name.lower().replace("_", "").replace("-", "")
    return name[:-4] if name.endswith("loss") and len(name) > 4 else name


LOSS_ALIASES = {"ce": "crossentropy", "mae": "l1", "bce": "bcewithlogits"}


def build_loss(spec: str | None, task: str, label_smoothing: float):
    from . import nn

    if spec is None:
        spec = "CrossEntropyLoss" if task == "classification" else "MSELoss"
    name, options = _name_and_options(spec)
    wanted = LOSS_ALIASES.get(_norm(name), _norm(name))
    classes = {_norm(n): getattr(nn, n) for n in dir(nn) if n.endswith("Loss") and isinstance(getattr(nn, n), type)}
    if wanted not in classes:
        raise UsageError(f"unknown loss {name!r}; choose one of {', '.join(sorted(c.__name__ for c in classes.values()))}")
    cls = classes[wanted]
    if task == "classification" and cls.__name__ == "CrossEntropyLoss":
        options.setdefault("label_smoothing", label_smoothing)
    try:
        loss = cls(**options)
    except TypeError as e:
        raise UsageError(f"bad options for {cls.__name__}: {e}") from None
    if cls.__name__ in ("NLLLoss", "NLLLoss2d"):
        return _OnLogProbabilities(loss)  # the model outputs logits; NLLLoss wants log-probabilities
    return loss


class _OnLogProbabilities:
    """Feeds ``log_softmax(logits)`` to a loss that expects log-probabilities (NLLLoss)."""

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, logits, target):
        return self.loss(logits.log_softmax(dim=1), target)

    def __repr__(self):
        return f"LogSoftmax + {self.loss!r}"


def optimizer_names() -> list[str]:
    from . import optim

    return [n for n in optim.__all__ if isinstance(getattr(optim, n), type)
            and issubclass(getattr(optim, n), optim.Optimizer) and n != "Optimizer"]


def build_optimizer(spec: str, params, lr: float, weight_decay: float | None):
    import inspect

    from . import optim

    name, options = _name_and_options(spec)
    names = {n.lower(): n for n in optimizer_names()}
    if name.lower() not in names:
        raise UsageError(f"unknown optimizer {name!r}; choose one of {', '.join(sorted(names.values()))}")
    cls = getattr(optim, names[name.lower()])
    accepted = inspect.signature(cls.__init__).parameters
    if "lr" in accepted:
        options.setdefault("lr", lr)
    if weight_decay is not None:
        if "weight_decay" not in accepted:
            raise UsageError(f"{cls.__name__} has no weight decay; leave out --weight-decay")
        options.setdefault("weight_decay", weight_decay)
    try:
        return cls(params, **options)
    except (TypeError, ValueError) as e:
        raise UsageError(f"bad options for {cls.__name__}: {e}") from None


SCHEDULER_ALIASES = {
    "cosine": "CosineAnnealingLR",
    "step": "StepLR",
    "exponential": "ExponentialLR",
    "plateau": "ReduceLROnPlateau",
    "onecycle": "OneCycleLR",
    "linear": "LinearLR",
}


def build_scheduler(spec: str, optimizer, epochs: int, steps_per_epoch: int, lr: float):
    from .optim import lr_scheduler

    name, options = _name_and_options(spec)
    if name.lower() in ("", "none"):
        return None
    classes = {n.lower(): n for n in dir(lr_scheduler)
               if isinstance(getattr(lr_scheduler, n), type) and issubclass(getattr(lr_scheduler, n),
                                                                             lr_scheduler.LRScheduler)}
    class_name = SCHEDULER_ALIASES.get(name.lower()) or classes.get(name.lower())
    if class_name is None:
        raise UsageError(f"unknown scheduler {name!r}; choose none, {', '.join(SCHEDULER_ALIASES)} "
                         "or a class of npgrad.optim.lr_scheduler")
    defaults = {
        "CosineAnnealingLR": {"T_max": epochs},
        "StepLR": {"step_size": max(1, epochs // 3)},
        "ExponentialLR": {"gamma": 0.95},
        "ReduceLROnPlateau": {"factor": 0.5, "patience": 3},
        "OneCycleLR": {"max_lr": lr, "total_steps": epochs * steps_per_epoch},
        "CyclicLR": {"base_lr": lr / 10, "max_lr": lr},
    }.get(class_name, {})
    for key, value in defaults.items():
        options.setdefault(key, value)
    try:
        return getattr(lr_scheduler, class_name)(optimizer, **options)
    except (TypeError, ValueError) as e:
        raise UsageError(f"bad options for {class_name}: {e}") from None


# -- data ------------------------------------------------------------------------------


def load_table(data: str, target: str | None, task: str, **kwargs):
    from .data.datasets import BUILTIN_DATASETS, load_builtin, load_csv

    if data in BUILTIN_DATASETS:
        table = load_builtin(data)
        if target is not None and target != table.target_name:
            raise UsageError(f"--target does not apply to the built-in dataset {data!r}")
        if task == "regression":
            raise UsageError(f"the built-in dataset {data!r} is a classification task")
        return table
    if not data.lower().endswith(".csv") and not os.path.exists(data):
        raise UsageError(f"unknown dataset {data!r}: choose one of {', '.join(BUILTIN_DATASETS)} "
                         "or give the path of a .csv file")
    return load_csv(data, target=target, task=task, **kwargs)


def split_indices(n: int, val_fraction: float, test_fraction: float, seed: int) -> dict:
    import npgrad
    from .data import random_split

    if not (0 <= val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise UsageError("--val-fraction and --test-fraction must lie in [0, 1) and leave room for training")
    generator = npgrad.Generator().manual_seed(seed)
    fractions = [1 - val_fraction - test_fraction, val_fraction, test_fraction]
    train, val, test = random_split(range(n), fractions, generator=generator)
    return {"train": list(train.indices), "val": list(val.indices), "test": list(test.indices)}


def _tensors(X, y, task):
    import numpy as np

    import npgrad

    features = npgrad.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if y is None:
        return (features,)
    if task == "classification":
        return features, npgrad.from_numpy(np.asarray(y, dtype=np.int64))
    return features, npgrad.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1))


# -- the run folder ----------------------------------------------------------------------


class Run:
    """The files of one run folder."""

    def __init__(self, out: str):
        self.dir = out
        self.config = os.path.join(out, "config.json")
        self.best = os.path.join(out, "best.safetensors")
        self.last = os.path.join(out, "last.safetensors")
        self.metrics = os.path.join(out, "metrics.csv")
        self.summary = os.path.join(out, "summary.json")
        self.curves = os.path.join(out, "curves.png")
        self.checkpoint_dir = os.path.join(out, "checkpoint")

    def read_config(self) -> dict:
        if not os.path.isfile(self.config):
            raise UsageError(f"{self.dir} holds no run (no config.json)")
        with open(self.config, encoding="utf-8") as f:
            return json.load(f)


def write_json(path, obj) -> None:
    from .train.checkpoint import atomic_write_text

    atomic_write_text(path, json.dumps(obj, indent=2) + "\n")


def write_metrics_csv(path, history: list[dict]) -> None:
    from .train.checkpoint import atomic_write_text

    columns = []
    for row in history:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    atomic_write_text(path, out.getvalue())


# -- train -----------------------------------------------------------------------------


def _train_parser(sub):
    p = sub.add_parser("train", help="train a model on a built-in dataset or a CSV file",
                       description="Train a model; all options have defaults (an MLP on the digits).")
    d = TRAIN_DEFAULTS
    p.add_argument("--data", help=f"digits, iris, wine, breast_cancer or PATH.csv (default {d['data']})")
    p.add_argument("--target", help="the target column of a CSV file (default: the last column)")
    p.add_argument("--task", choices=["auto", "classification", "regression"],
                   help="default auto: classification for a non-numeric or small-integer target")
    p.add_argument("--model", help=f"mlp:H1,H2[:dropout=P], bigru-attn:HIDDEN or cnn:C1,C2[:dropout=P] "
                                   f"(default {d['model']})")
    p.add_argument("--loss", help="a loss of npgrad.nn (default CrossEntropyLoss, or MSELoss for regression)")
    p.add_argument("--optimizer", help=f"any optimizer of npgrad.optim, NAME[:key=value,...] (default {d['optimizer']})")
    p.add_argument("--lr", type=float, help=f"learning rate (default {d['lr']})")
    p.add_argument("--weight-decay", type=float, help="weight decay (default: the optimizer's)")
    p.add_argument("--label-smoothing", type=float, help=f"for CrossEntropyLoss (default {d['label_smoothing']})")
    p.add_argument("--scheduler", help="none, cosine, step, exponential, plateau, onecycle, linear or a class "
                                       "of npgrad.optim.lr_scheduler, NAME[:key=value,...] (default none)")
    p.add_argument("--epochs", type=int, help=f"(default {d['epochs']})")
    p.add_argument("--batch-size", type=int, help=f"(default {d['batch_size']})")
    p.add_argument("--seed", type=int, help=f"seeds the split, the weights and the shuffling (default {d['seed']})")
    p.add_argument("--val-fraction", type=float, help=f"(default {d['val_fraction']})")
    p.add_argument("--test-fraction", type=float, help=f"(default {d['test_fraction']})")
    p.add_argument("--patience", type=int, help="early stopping after this many epochs without a better "
                                               "validation loss (default 0: off)")
    p.add_argument("--min-delta", type=float, help="smallest decrease of the validation loss that counts")
    p.add_argument("--clip-grad", type=float, help="clip the gradients' norm to this (default 0: off)")
    p.add_argument("--checkpoint-every", type=int, help="also write a checkpoint every N steps (default 0: "
                                                       "after every epoch only)")
    p.add_argument("--out", help="the run folder (default runs/DATA-TIME)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    return p


def _settings(args) -> dict:
    given = {k: v for k, v in vars(args).items() if k in TRAIN_DEFAULTS and v is not None}
    return {**TRAIN_DEFAULTS, **given}, given


def _check_settings(s: dict) -> None:
    if s["epochs"] < 1:
        raise UsageError(f"--epochs must be at least 1, got {s['epochs']}")
    if s["batch_size"] < 1:
        raise UsageError(f"--batch-size must be at least 1, got {s['batch_size']}")
    if s["lr"] <= 0:
        raise UsageError(f"--lr must be positive, got {s['lr']}")
    if not 0 <= s["label_smoothing"] <= 1:
        raise UsageError(f"--label-smoothing must lie in [0, 1], got {s['label_smoothing']}")


def cmd_train(args) -> int:
    settings, given = _settings(args)
    out = args.out
    if args.resume and out is None:
        raise UsageError("--resume needs --out DIR, the run to continue")
    if out is None:
        out = os.path.join("runs", f"{os.path.splitext(os.path.basename(settings['data']))[0]}-"
                                   f"{time.strftime('%Y%m%d-%H%M%S')}")
    run = Run(out)
    if os.path.exists(run.config):
        if not args.resume:
            raise UsageError(f"{out} already holds a run; add --resume to continue it or choose another --out")
        saved = run.read_config()["settings"]
        differ = [k for k, v in given.items() if saved.get(k) != v]
        if differ:
            raise UsageError(f"--resume continues the saved run with its own settings; these differ: "
                             f"{', '.join('--' + k.replace('_', '-') for k in differ)}")
        settings = saved
    _check_settings(settings)
    return train(settings, run, resume=args.resume, progress=args.progress)


def prepare(settings: dict, class_names=None):
    """Load the table, split it, standardise it on the training split: what a run trains on."""
    from .data.datasets import Standardizer

    table = load_table(settings["data"], settings["target"], settings["task"])
    task = table.task
    if task == "classification" and len(set(table.targets.tolist())) < 2:
        raise UsageError(f"the target {table.target_name!r} has only one class; classification needs at least two")
    split = split_indices(len(table), settings["val_fraction"], settings["test_fraction"], settings["seed"])
    scaler = Standardizer().fit(table.features[split["train"]])
    target_scaler = None
    if task == "regression":
        target_scaler = Standardizer().fit(table.targets[split["train"]].reshape(-1, 1))
    return table, task, split, scaler, target_scaler


def _targets_for_training(table, task, target_scaler):
    if task == "regression":
        return target_scaler.transform(table.targets.reshape(-1, 1)).reshape(-1)
    return table.targets


def train(settings: dict, run: Run, resume: bool = False, progress: bool = True, log=print) -> int:
    """Train with ``settings`` (``TRAIN_DEFAULTS`` completed by the options) into ``run``."""
    import npgrad
    from .data import DataLoader, TensorDataset
    from .train import BestCheckpoint, EarlyStopping, GradientClipping, Trainer
    from .train.models import ModelSpecError, build_model
    from .train.plots import plot_curves

    table, task, split, scaler, target_scaler = prepare(settings)
    X = scaler.transform(table.features)
    y = _targets_for_training(table, task, target_scaler)
    out_features = table.num_classes if task == "classification" else 1

    def loader(part, shuffle, generator=None):
        idx = split[part]
        return DataLoader(TensorDataset(*_tensors(X[idx], y[idx], task)),
                          batch_size=settings["batch_size"] if shuffle else 1024,
                          shuffle=shuffle, generator=generator)

    train_loader = loader("train", True, npgrad.Generator().manual_seed(settings["seed"]))
    val_loader = loader("val", False) if split["val"] else None
    test_loader = loader("test", False)

    npgrad.manual_seed(settings["seed"])
    try:
        model = build_model(settings["model"], X.shape[1], out_features)
    except ModelSpecError as e:
        raise UsageError(str(e)) from None
    loss_fn = build_loss(settings["loss"], task, settings["label_smoothing"])
    optimizer = build_optimizer(settings["optimizer"], model.parameters(), settings["lr"], settings["weight_decay"])
    scheduler = build_scheduler(settings["scheduler"], optimizer, settings["epochs"], len(train_loader),
                                settings["lr"])

    monitor = "val_loss" if val_loader is not None else "train_loss"
    best = BestCheckpoint(run.best, monitor=monitor)
    callbacks = [best]
    if settings["patience"] > 0:
        callbacks.append(EarlyStopping(monitor=monitor, patience=settings["patience"],
                                       min_delta=settings["min_delta"]))
    if settings["clip_grad"] > 0:
        callbacks.append(GradientClipping(settings["clip_grad"]))

    os.makedirs(run.checkpoint_dir, exist_ok=True)
    if not os.path.exists(run.config):
        write_json(run.config, {
            "settings": settings, "task": task, "target": table.target_name,
            "feature_names": table.feature_names, "class_names": table.class_names,
            "standardizer": scaler.to_dict(),
            "target_standardizer": None if target_scaler is None else target_scaler.to_dict(),
            "split": split,
        })
    trainer = Trainer(model, loss_fn, optimizer, train_loader, val_loader, test_loader,
                      epochs=settings["epochs"], scheduler=scheduler, task=task, callbacks=callbacks,
                      out_dir=run.dir, checkpoint_every=settings["checkpoint_every"], progress=progress, log=log,
                      target_scale=1.0 if target_scaler is None else float(target_scaler.scale[0]))

    def after_epoch(trainer, logs):
        npgrad.save(trainer.model.state_dict(), run.last)
        write_metrics_csv(run.metrics, trainer.history)

    if resume and trainer.resume():
        print(f"resuming {run.dir} at epoch {trainer.epoch + 1}, step {trainer.step_in_epoch}", file=sys.stderr)
    history = trainer.fit(on_epoch_end=after_epoch)
    if not os.path.exists(run.last):
        npgrad.save(trainer.model.state_dict(), run.last)
    write_metrics_csv(run.metrics, history)

    model.load_state_dict(npgrad.load(run.best))
    test = trainer.evaluate(test_loader)
    summary = {f"test_{k}": v for k, v in test.items()}
    summary.update({
        "best_epoch": best.best_epoch,
        f"best_{monitor}": best.best_value,
        "epochs_run": len(history),
        "stopped_early": len(history) < settings["epochs"],
        "train_seconds": sum(row["seconds"] for row in history),
        "task": task,
        "data": settings["data"],
        "model": settings["model"],
        "n_train": len(split["train"]), "n_val": len(split["val"]), "n_test": len(split["test"]),
    })
    write_json(run.summary, summary)
    hint = plot_curves(history, run.curves)
    if hint:
        print(hint, file=sys.stderr)
    shown = ", ".join(f"{k} {v:.4f}" for k, v in summary.items() if k.startswith("test_"))
    if log is not None:
        log(f"best epoch {best.best_epoch}: {shown}; run saved in {run.dir}")
    return 0


# -- evaluate and predict ----------------------------------------------------------------


def _load_run_model(run: Run, config: dict, weights: str):
    import npgrad
    from .train.models import build_model

    n_out = len(config["class_names"]) if config["task"] == "classification" else 1
    model = build_model(config["settings"]["model"], len(config["feature_names"]), n_out)
    path = run.best if weights == "best" else run.last
    if not os.path.isfile(path):
        raise UsageError(f"{path} is missing")
    model.load_state_dict(npgrad.load(path))
    model.eval()
    return model


def _outside_table(config: dict, data: str, target_optional: bool):
    """A table to evaluate or predict on, read with the run's features and classes."""
    from .data.datasets import BUILTIN_DATASETS, load_builtin, load_csv

    if data in BUILTIN_DATASETS:
        table = load_builtin(data)
        if table.feature_names != config["feature_names"]:
            raise UsageError(f"the dataset {data!r} does not have the features this run was trained on")
        return table
    return load_csv(data, target=config["target"], task=config["task"], features=config["feature_names"],
                    class_names=config["class_names"], target_optional=target_optional)


def _scores(model, X):
    import numpy as np

    import npgrad

    with npgrad.no_grad():
        return model(npgrad.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))._data


def cmd_evaluate(args) -> int:
    import numpy as np

    import npgrad
    from .data import DataLoader, TensorDataset
    from .data.datasets import Standardizer
    from .train import Trainer

    run = Run(args.dir)
    config = run.read_config()
    settings, task = config["settings"], config["task"]
    model = _load_run_model(run, config, args.weights)
    scaler = Standardizer.from_dict(config["standardizer"])
    target_scaler = (Standardizer.from_dict(config["target_standardizer"])
                     if config["target_standardizer"] else None)
    if args.data is None:
        table = load_table(settings["data"], settings["target"], settings["task"])
        idx = config["split"]["test"]
        X, y = table.features[idx], table.targets[idx]
    else:
        table = _outside_table(config, args.data, target_optional=False)
        X, y = table.features, table.targets
    if task == "regression":
        y = target_scaler.transform(np.asarray(y).reshape(-1, 1)).reshape(-1)
    loss_fn = build_loss(settings["loss"], task, settings["label_smoothing"])
    loader = DataLoader(TensorDataset(*_tensors(scaler.transform(X), y, task)), batch_size=1024)
    trainer = Trainer(model, loss_fn, npgrad.optim.SGD(model.parameters(), lr=0.0), loader, task=task,
                      progress=False, log=None,
                      target_scale=1.0 if target_scaler is None else float(target_scaler.scale[0]))
    metrics = trainer.evaluate(loader)
    print(json.dumps({"n": len(y), **metrics}))
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from .data.datasets import Standardizer

    run = Run(args.dir)
    config = run.read_config()
    model = _load_run_model(run, config, args.weights)
    table = _outside_table(config, args.data, target_optional=True)
    X = Standardizer.from_dict(config["standardizer"]).transform(table.features)
    scores = _scores(model, X)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if config["task"] == "classification":
        names = config["class_names"]
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs = shifted / shifted.sum(axis=1, keepdims=True)
        writer.writerow(["row", "prediction"] + [f"prob_{n}" for n in names])
        for i, (k, p) in enumerate(zip(scores.argmax(axis=1), probs)):
            writer.writerow([i, names[k]] + [f"{v:.6g}" for v in p])
    else:
        target = Standardizer.from_dict(config["target_standardizer"])
        values = target.inverse_transform(scores.reshape(-1, 1)).reshape(-1)
        writer.writerow(["row", "prediction"])
        for i, v in enumerate(values):
            writer.writerow([i, repr(float(v))])
    if args.output:
        from .train.checkpoint import atomic_write_text

        atomic_write_text(args.output, out.getvalue())
        print(f"{len(scores)} predictions written to {args.output}")
    else:
        sys.stdout.write(out.getvalue())
    return 0


# -- entry point -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="npgrad", description="Train, evaluate and use models on tabular data.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    _train_parser(sub)
    ev = sub.add_parser("evaluate", help="metrics of a saved run on its test split or on --data")
    ev.add_argument("dir", help="the run folder")
    ev.add_argument("--data", help="a dataset with the target column (default: the run's test split)")
    ev.add_argument("--weights", choices=["best", "last"], default="best")
    pr = sub.add_parser("predict", help="predictions of a saved run for --data")
    pr.add_argument("dir", help="the run folder")
    pr.add_argument("--data", required=True, help="a built-in dataset or a CSV file with the feature columns")
    pr.add_argument("--output", help="write the predictions CSV here (default: print it)")
    pr.add_argument("--weights", choices=["best", "last"], default="best")
    return parser


def main(argv=None) -> int:
    """Run the ``npgrad`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    from .data.datasets import DataError
    from .train.callbacks import NonFiniteLossError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        command = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict}[args.command]
        return command(args)
    except (UsageError, DataError) as e:
        print(f"npgrad: error: {e}", file=sys.stderr)
        return 2
    except NonFiniteLossError as e:
        print(f"npgrad: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("npgrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
