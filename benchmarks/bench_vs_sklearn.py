"""`npgrad train` defaults against scikit-learn's MLPClassifier on the same split.

Both see the same training/validation/test indices and the same standardisation
(fitted on the training split). npgrad runs its command's defaults (mlp:128,64, AdamW,
CrossEntropyLoss with label smoothing 0.1, 40 epochs, batch 64, the weights with the
best validation loss); scikit-learn runs MLPClassifier(hidden_layer_sizes=(128, 64))
with its own defaults (Adam, lr 1e-3, batch 200, up to 200 epochs, stopping when the
training loss stalls) on the training split. Run by hand:

    PYTHONPATH=src python benchmarks/bench_vs_sklearn.py [--data digits] [--seeds 0 1 2 3 4]
"""
import argparse
import json
import os
import tempfile
import time
import warnings

import numpy as np


def run_npgrad(data: str, seed: int) -> tuple[float, float]:
    from npgrad.cli import TRAIN_DEFAULTS, Run, train

    settings = dict(TRAIN_DEFAULTS, data=data, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        run = Run(os.path.join(folder, "run"))
        start = time.perf_counter()
        train(settings, run, progress=False, log=None)
        seconds = time.perf_counter() - start
        with open(run.summary) as f:
            return json.load(f)["test_accuracy"], seconds


def run_sklearn(data: str, seed: int) -> tuple[float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from npgrad.cli import TRAIN_DEFAULTS, prepare

    table, _, split, scaler, _ = prepare(dict(TRAIN_DEFAULTS, data=data, seed=seed))
    X = scaler.transform(table.features)
    y = table.targets
    clf = MLPClassifier(hidden_layer_sizes=(128, 64), random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[split["train"]], y[split["train"]])
    seconds = time.perf_counter() - start
    return float(clf.score(X[split["test"]], y[split["test"]])), seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="digits")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    run_npgrad(args.data, args.seeds[0])  # compile and cache the kernels outside the timing
    rows = []
    print(f"{'seed':>4}  {'npgrad acc':>10}  {'sklearn acc':>11}  {'npgrad s':>8}  {'sklearn s':>9}  {'time ratio':>10}")
    for seed in args.seeds:
        acc_n, t_n = run_npgrad(args.data, seed)
        acc_s, t_s = run_sklearn(args.data, seed)
        rows.append((acc_n, acc_s, t_n, t_s))
        print(f"{seed:>4}  {acc_n:>10.4f}  {acc_s:>11.4f}  {t_n:>8.2f}  {t_s:>9.2f}  {t_n / t_s:>10.2f}")
    acc_n, acc_s, t_n, t_s = np.mean(rows, axis=0)
    print(f"mean  {acc_n:>10.4f}  {acc_s:>11.4f}  {t_n:>8.2f}  {t_s:>9.2f}  {t_n / t_s:>10.2f}")
    print("time ratio = npgrad seconds / sklearn seconds (npgrad: whole `npgrad train` run incl. "
          "validation, checkpoints and plots)")


if __name__ == "__main__":
    main()
