"""Models from a short text spec, as the ``--model`` option of ``npgrad train`` takes them.

* ``mlp:128,64`` — a multilayer perceptron with hidden sizes 128 and 64 and ReLU:
  :math:`\\mathrm{Linear}(d, 128) \\to \\mathrm{ReLU} \\to \\mathrm{Linear}(128, 64) \\to
  \\mathrm{ReLU} \\to \\mathrm{Linear}(64, k)`; ``mlp:128,64:dropout=0.1`` adds dropout
  after every ReLU; ``mlp:`` (no hidden layer) is a linear model.
* ``bigru-attn:HIDDEN`` — ``npgrad.train.seq_models.BiGRUAttention``, which reads each
  sample as a sequence of rows (8 rows of 8 pixels for the digits); ``bigru-attn:32:seq_len=8``
  sets the number of steps (default: the square root of the feature count).
* ``cnn:16,32`` — a small convolutional network that reads each sample as a one-channel
  square image (8×8 for the digits; ``cnn:16,32:side=8`` sets the side): per channel count,
  :math:`\\mathrm{Conv2d}(3\\times 3, \\text{padding } 1) \\to \\mathrm{ReLU} \\to
  \\mathrm{MaxPool2d}(2)` (the pooling left out once the image is 1 pixel wide), then
  :math:`\\mathrm{Flatten} \\to \\mathrm{Linear}(\\cdot, k)`; ``:dropout=0.1`` adds dropout
  before the last layer.
"""
from __future__ import annotations

import math

__all__ = ["build_model", "ModelSpecError"]


class ModelSpecError(ValueError):
    """A ``--model`` spec that cannot be parsed."""


def _options(parts: list[str], spec: str) -> dict:
    options = {}
    for part in parts:
        if "=" not in part:
            raise ModelSpecError(f"cannot read {part!r} in model spec {spec!r}: options are written key=value")
        key, value = part.split("=", 1)
        options[key.strip()] = value.strip()
    return options


def _hidden_sizes(text: str, spec: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ModelSpecError(f"hidden sizes in model spec {spec!r} must be integers, like mlp:128,64") from None
    if any(s <= 0 for s in sizes):
        raise ModelSpecError(f"hidden sizes in model spec {spec!r} must be positive")
    return sizes


def build_model(spec: str, in_features: int, out_features: int):
    """Build the model that ``spec`` names for ``in_features`` inputs and ``out_features`` outputs.

    Example:
        >>> model = build_model("mlp:16,8", 4, 3)
        >>> [tuple(p.shape) for p in model.parameters()]
        [(16, 4), (16,), (8, 16), (8,), (3, 8), (3,)]
    """
    from .. import nn

    kind, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else [""]
    kind = kind.strip().lower()
    if kind == "mlp":
        hidden = _hidden_sizes(parts[0], spec)
        options = _options(parts[1:], spec)
        dropout = float(options.pop("dropout", 0.0))
        if options:
            raise ModelSpecError(f"unknown option {next(iter(options))!r} in model spec {spec!r}; mlp takes dropout")
        layers, width = [], in_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, out_features))
        return nn.Sequential(*layers)
    if kind == "bigru-attn":
        from .seq_models import BiGRUAttention

        hidden = _hidden_sizes(parts[0] or "64", spec)
        if len(hidden) != 1:
            raise ModelSpecError(f"bigru-attn takes one hidden size, like bigru-attn:64; got {spec!r}")
        options = _options(parts[1:], spec)
        seq_len = int(options.pop("seq_len", round(math.sqrt(in_features))))
        if options:
            raise ModelSpecError(f"unknown option {next(iter(options))!r} in model spec {spec!r}; "
                                 "bigru-attn takes seq_len")
        if seq_len <= 0 or in_features % seq_len:
            raise ModelSpecError(f"bigru-attn needs the {in_features} features to split into seq_len equal steps; "
                                 f"seq_len={seq_len} does not divide them (set bigru-attn:H:seq_len=N)")
        return BiGRUAttention(n_features=in_features // seq_len, seq_len=seq_len, hidden=hidden[0],
                              n_classes=out_features)
    if kind == "cnn":
        return _cnn(_hidden_sizes(parts[0] or "16,32", spec), _options(parts[1:], spec), spec, in_features,
                    out_features)
    raise ModelSpecError(f"unknown model {spec!r}: use mlp:H1,H2,..., bigru-attn:HIDDEN or cnn:C1,C2,...")


def _cnn(channels, options, spec, in_features, out_features):
    """``cnn:C1,C2,...``: conv 3×3 → ReLU → max-pool 2 per entry, on the features read as a square image."""
    from .. import nn

    side = int(options.pop("side", round(math.sqrt(in_features))))
    dropout = float(options.pop("dropout", 0.0))
    if options:
        raise ModelSpecError(f"unknown option {next(iter(options))!r} in model spec {spec!r}; cnn takes side, dropout")
    if side <= 0 or side * side != in_features:
        raise ModelSpecError(f"cnn reads the {in_features} features as a square image; side={side} does not fit "
                             "them (set cnn:C1,C2:side=N with N*N features)")
    layers, width = [nn.Unflatten(1, (1, side, side))], 1
    for c in channels:
        layers += [nn.Conv2d(width, c, 3, padding=1), nn.ReLU()]
        if side >= 2:
            layers.append(nn.MaxPool2d(2))
            side //= 2
        width = c
    layers.append(nn.Flatten())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(width * side * side, out_features))
    return nn.Sequential(*layers)
