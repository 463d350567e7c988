"""Accuracy, macro-F1, confusion matrix and regression errors on hand-worked cases."""
import numpy as np
import pytest

from npgrad.train.metrics import (accuracy, classification_metrics, confusion_matrix, macro_f1,
                                  mean_absolute_error, root_mean_squared_error)


def test_accuracy_from_indices_and_scores():
    assert accuracy([0, 1, 1, 2], [0, 1, 2, 2]) == 0.75
    scores = np.array([[2.0, 1.0], [0.1, 0.3], [5.0, -1.0]])
    assert accuracy(scores, [0, 1, 1]) == pytest.approx(2 / 3)


def test_macro_f1_hand_computed():
    # class 0: TP 1, FP 0, FN 0 -> 1; class 1: TP 1, FP 1, FN 0 -> 2/3; class 2: TP 1, FP 0, FN 1 -> 2/3
    assert macro_f1([0, 1, 1, 2], [0, 1, 2, 2]) == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    # a class never predicted and never present scores 0 when num_classes counts it
    assert macro_f1([0, 1], [0, 1], num_classes=3) == pytest.approx(2 / 3)
    # all wrong: every F1 is 0
    assert macro_f1([1, 0], [0, 1]) == 0.0


def test_macro_f1_equals_the_per_class_definition_on_random_labels():
    rng = np.random.default_rng(1)
    pred, target = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    f1s = []
    for k in range(4):
        tp = np.sum((pred == k) & (target == k))
        precision = tp / np.sum(pred == k)
        recall = tp / np.sum(target == k)
        f1s.append(2 * precision * recall / (precision + recall))
    assert macro_f1(pred, target) == pytest.approx(np.mean(f1s))


def test_confusion_matrix_and_classification_metrics():
    assert confusion_matrix([0, 1, 1], [0, 1, 0]).tolist() == [[1, 1], [0, 1]]
    scores = np.eye(3)[[0, 1, 2, 2]]
    m = classification_metrics(scores, [0, 1, 2, 1])
    assert m["accuracy"] == 0.75 and m["macro_f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def test_regression_errors():
    assert mean_absolute_error([1.0, 2.0], [1.5, 2.0]) == 0.25
    assert root_mean_squared_error([0.0, 0.0], [3.0, 4.0]) == pytest.approx(np.sqrt(12.5))
