"""Metrics for the trainer: accuracy and macro-F1 for classes, MAE and RMSE for values.

They work on NumPy arrays (or tensors, converted): predicted class indices or logits,
and the true targets.
"""
from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "macro_f1", "confusion_matrix", "mean_absolute_error", "root_mean_squared_error",
           "classification_metrics", "regression_metrics"]


def _array(x) -> np.ndarray:
    return np.asarray(getattr(x, "_data", x))


def _labels(pred) -> np.ndarray:
    """Class indices from indices ``(n,)`` or from scores ``(n, K)`` (their argmax)."""
    pred = _array(pred)
    return pred.argmax(axis=-1) if pred.ndim == 2 else pred.astype(np.int64)


def accuracy(pred, target) -> float:
    """The fraction of samples whose predicted class is the target.

    .. math:: \\mathrm{acc} = \\frac{1}{n} \\sum_i [\\hat y_i = y_i]

    ``pred`` holds class indices ``(n,)`` or scores ``(n, K)``. An empty input gives NaN.

    Example:
        >>> accuracy([0, 1, 1, 2], [0, 1, 2, 2])
        0.75
    """
    pred, target = _labels(pred), _array(target).astype(np.int64)
    if len(target) == 0:
        return float("nan")
    return float(np.mean(pred == target))


def confusion_matrix(pred, target, num_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` counts samples of true class ``i`` predicted as ``j``.

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 1, 0]).tolist()
        [[1, 1], [0, 1]]
    """
    pred, target = _labels(pred), _array(target).astype(np.int64)
    if num_classes is None:
        num_classes = int(max(pred.max(initial=-1), target.max(initial=-1))) + 1
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (target, pred), 1)
    return matrix


def macro_f1(pred, target, num_classes: int | None = None) -> float:
    """The unweighted mean over classes of the F1 score.

    .. math:: F_1^{(k)} = \\frac{2\\,TP_k}{2\\,TP_k + FP_k + FN_k}, \\qquad
              \\text{macro-}F_1 = \\frac{1}{K} \\sum_k F_1^{(k)}

    Classes absent from both ``pred`` and ``target`` (``2TP + FP + FN = 0``) score 0,
    as scikit-learn's ``zero_division=0``; ``num_classes`` fixes ``K`` (default: the
    largest class index seen, plus one).

    Example:
        >>> round(macro_f1([0, 1, 1, 2], [0, 1, 2, 2]), 4)
        0.7778
    """
    matrix = confusion_matrix(pred, target, num_classes)
    tp = np.diag(matrix).astype(np.float64)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1.mean()) if len(f1) else float("nan")


def mean_absolute_error(pred, target) -> float:
    """:math:`\\frac{1}{n} \\sum_i |\\hat y_i - y_i|`.

    Example:
        >>> mean_absolute_error([1.0, 2.0], [1.5, 2.0])
        0.25
    """
    return float(np.mean(np.abs(_array(pred).reshape(-1) - _array(target).reshape(-1))))


def root_mean_squared_error(pred, target) -> float:
    """:math:`\\sqrt{\\frac{1}{n} \\sum_i (\\hat y_i - y_i)^2}`.

    Example:
        >>> round(root_mean_squared_error([0.0, 0.0], [3.0, 4.0]) ** 2, 6)
        12.5
    """
    diff = _array(pred).reshape(-1) - _array(target).reshape(-1)
    return float(np.sqrt(np.mean(diff * diff)))


def classification_metrics(scores, target, num_classes: int | None = None) -> dict:
    """``{"accuracy": ..., "macro_f1": ...}`` from scores ``(n, K)`` and class indices."""
    scores = _array(scores)
    if num_classes is None and scores.ndim == 2:
        num_classes = scores.shape[1]
    return {"accuracy": accuracy(scores, target), "macro_f1": macro_f1(scores, target, num_classes)}


def regression_metrics(pred, target) -> dict:
    """``{"mae": ..., "rmse": ...}``."""
    return {"mae": mean_absolute_error(pred, target), "rmse": root_mean_squared_error(pred, target)}
