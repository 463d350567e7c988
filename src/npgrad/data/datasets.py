"""Built-in tabular datasets, CSV tables and standardisation fitted on a training split.

The four classic UCI tables ship with npgrad (``npgrad/data/files``, see ``SOURCES.md``
there), so they load offline:

============================  =======  ========  =======
loader                        samples  features  classes
============================  =======  ========  =======
``load_digits``               1797     64        10
``load_iris``                 150      4         3
``load_wine``                 178      13        3
``load_breast_cancer``        569      30        2
============================  =======  ========  =======

Each returns a :class:`TabularData`, which unpacks as ``features, targets``.
"""
from __future__ import annotations

import csv
import gzip
import math
import os
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

__all__ = ["TabularData", "DataError", "Standardizer", "load_digits", "load_iris", "load_wine",
           "load_breast_cancer", "load_builtin", "load_csv", "BUILTIN_DATASETS"]


class DataError(ValueError):
    """A table that cannot be used: a missing file, an unknown column, a non-numeric feature..."""


@dataclass
class TabularData:
    """Features ``(n, d)`` and targets ``(n,)`` of a table, with the names of both.

    ``targets`` holds class indices (int64) for classification, where ``class_names[k]``
    names class ``k``, and float64 values for regression, where ``class_names`` is ``None``.
    ``X, y = data`` unpacks the arrays.

    Example:
        >>> X, y = load_iris()
        >>> X.shape, y.shape
        ((150, 4), (150,))
    """

    features: np.ndarray
    targets: np.ndarray
    feature_names: list[str]
    target_name: str
    class_names: list[str] | None = None
    name: str = ""
    task: str = field(default="classification")

    def __post_init__(self):
        if self.class_names is None and self.task == "classification":
            self.task = "regression"

    def __iter__(self):
        yield self.features
        yield self.targets

    def __len__(self) -> int:
        return len(self.features)

    @property
    def num_classes(self) -> int:
        return 0 if self.class_names is None else len(self.class_names)


def _data_file(name: str):
    return resources.files("npgrad.data").joinpath("files", name)


def _load_sklearn_layout(filename: str, feature_names: list[str], name: str) -> TabularData:
    """Read a vendored table: a header ``n_samples,n_features,class names...``, then rows."""
    with _data_file(filename).open("r", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        n_samples, n_features = int(header[0]), int(header[1])
        class_names = header[2:]
        rows = np.array([[float(v) for v in row] for row in reader if row], dtype=np.float64)
    if rows.shape != (n_samples, n_features + 1):
        raise DataError(f"{filename}: expected {n_samples} rows of {n_features + 1} values, got {rows.shape}")
    return TabularData(rows[:, :n_features], rows[:, n_features].astype(np.int64), feature_names,
                       "target", class_names, name)


def load_digits() -> TabularData:
    """The UCI optical digits: 1797 images of 8×8 pixels (0..16) of the digits 0-9.

    Example:
        >>> data = load_digits()
        >>> data.features.shape, data.num_classes
        ((1797, 64), 10)
    """
    with _data_file("digits.csv.gz").open("rb") as raw, gzip.open(raw, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float64)
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return TabularData(rows[:, :64], rows[:, 64].astype(np.int64), names, "digit",
                       [str(k) for k in range(10)], "digits")


def load_iris() -> TabularData:
    """Fisher's iris: 150 flowers, 4 measurements, 3 species.

    Example:
        >>> load_iris().class_names
        ['setosa', 'versicolor', 'virginica']
    """
    names = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    return _load_sklearn_layout("iris.csv", names, "iris")


def load_wine() -> TabularData:
    """The UCI wine recognition data: 178 wines, 13 chemical measurements, 3 cultivars.

    Example:
        >>> load_wine().features.shape
        (178, 13)
    """
    names = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
             "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
             "od280/od315_of_diluted_wines", "proline"]
    return _load_sklearn_layout("wine_data.csv", names, "wine")


def load_breast_cancer() -> TabularData:
    """Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 features, malignant or benign.

    Example:
        >>> load_breast_cancer().class_names
        ['malignant', 'benign']
    """
    base = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
            "concave points", "symmetry", "fractal dimension"]
    names = ([f"mean {b}" for b in base] + [f"{b} error" for b in base] + [f"worst {b}" for b in base])
    return _load_sklearn_layout("breast_cancer.csv", names, "breast_cancer")


BUILTIN_DATASETS = {
    "digits": load_digits,
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
}


def load_builtin(name: str) -> TabularData:
    """One of ``digits``, ``iris``, ``wine``, ``breast_cancer`` by name."""
    try:
        return BUILTIN_DATASETS[name]()
    except KeyError:
        raise DataError(f"unknown dataset {name!r}: choose one of {', '.join(BUILTIN_DATASETS)} "
                        "or give the path of a .csv file") from None


def _parse_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def _is_integer_valued(values: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


MAX_INTEGER_CLASSES = 20


def load_csv(path, target: str | None = None, task: str = "auto", features: list[str] | None = None,
             class_names: list[str] | None = None, target_optional: bool = False) -> TabularData:
    """Read a CSV table with a header row; ``target`` names the column to predict.

    Every other column (or those listed in ``features``) must be numeric; an empty cell
    or a value such as ``abc`` raises :class:`DataError` naming the column and line.
    ``target=None`` takes the last column. ``task``:

    * ``"classification"``: the target's distinct values become classes ``0..K-1`` in
      sorted order (numerically when they are all numbers); at least two are required.
    * ``"regression"``: the target must be numeric.
    * ``"auto"``: classification when the target is not numeric, or holds integers with
      at most 20 distinct values; regression otherwise.

    ``class_names`` fixes the classes (to read new data with a trained model's classes).
    With ``target_optional``, a table without the target column loads with ``targets=None``
    (new data to predict).

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
        >>> _ = open(path, "w").write("a,b,label\\n1,2,cat\\n3,4,dog\\n")
        >>> data = load_csv(path, target="label")
        >>> data.class_names, data.targets.tolist()
        (['cat', 'dog'], [0, 1])
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(f"no such file: {path}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    if not rows:
        raise DataError(f"{path} is empty")
    header = [name.strip() for name in rows[0]]
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    if target is None:
        target = header[-1]
    if target not in header and target_optional and features is not None:
        target_col = None
    elif target not in header:
        raise DataError(f"unknown column {target!r} in {path}; the columns are: {', '.join(header)}")
    else:
        target_col = header.index(target)
    if features is None:
        feature_cols = [i for i in range(len(header)) if i != target_col]
    else:
        missing = [name for name in features if name not in header]
        if missing:
            raise DataError(f"unknown column {missing[0]!r} in {path}; the columns are: {', '.join(header)}")
        feature_cols = [header.index(name) for name in features]
    if not feature_cols:
        raise DataError(f"{path} has no feature columns besides the target {target!r}")

    X = np.empty((len(body), len(feature_cols)), dtype=np.float64)
    raw_targets = []
    for r, row in enumerate(body):
        line = r + 2
        if len(row) != len(header):
            raise DataError(f"{path}, line {line}: {len(row)} values, but the header has {len(header)} columns")
        for j, c in enumerate(feature_cols):
            value = _parse_float(row[c])
            if value is None or math.isnan(value):
                raise DataError(f"non-numeric value {row[c]!r} in feature column {header[c]!r} "
                                f"({path}, line {line}); features must be numbers")
            X[r, j] = value
        if target_col is not None:
            raw_targets.append(row[target_col].strip())

    name = os.path.splitext(os.path.basename(path))[0]
    feature_names = [header[c] for c in feature_cols]
    if target_col is None:
        return TabularData(X, None, feature_names, target, class_names, name,
                           "classification" if class_names is not None else "regression")

    numeric = [_parse_float(t) for t in raw_targets]
    all_numeric = all(v is not None and not math.isnan(v) for v in numeric)
    if task == "auto":
        if class_names is not None or not all_numeric:
            task = "classification"
        else:
            values = np.array(numeric)
            few = len(np.unique(values)) <= MAX_INTEGER_CLASSES
            task = "classification" if _is_integer_valued(values) and few else "regression"
    if task == "regression":
        if not all_numeric:
            bad = next(t for t, v in zip(raw_targets, numeric) if v is None or math.isnan(v))
            raise DataError(f"non-numeric value {bad!r} in target column {target!r}; "
                            "regression needs a numeric target")
        y = np.array(numeric, dtype=np.float64)
        names = None
    elif task == "classification":
        y, names = _encode_classes(raw_targets, numeric if all_numeric else None, class_names, target, path)
    else:
        raise DataError(f"unknown task {task!r}: choose auto, classification or regression")
    return TabularData(X, y, feature_names, target, names, name, task)


def _class_label(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _encode_classes(raw, numeric, class_names, target, path):
    if numeric is not None:
        labels = [_class_label(v) for v in numeric]
        found = [_class_label(v) for v in sorted(set(numeric))]
    else:
        labels = raw
        found = sorted(set(raw))
    if class_names is None:
        if len(found) < 2:
            raise DataError(f"target column {target!r} in {path} has only one class ({found[0]!r}); "
                            "classification needs at least two")
        class_names = found
    index = {name: k for k, name in enumerate(class_names)}
    unknown = [label for label in labels if label not in index]
    if unknown:
        raise DataError(f"target column {target!r} in {path} has the class {unknown[0]!r}, "
                        f"unknown to the model (its classes: {', '.join(class_names)})")
    return np.array([index[label] for label in labels], dtype=np.int64), list(class_names)


class Standardizer:
    """Scale each feature to zero mean and unit variance with statistics of the training split.

    .. math:: z = (x - \\mu) / \\sigma, \\quad \\mu, \\sigma \\text{ from ``fit`` only}

    A constant feature (:math:`\\sigma = 0`) gets :math:`\\sigma = 1`, so it becomes 0.
    Fitting on the training split alone keeps the validation and test splits unseen.

    Example:
        >>> import numpy as np
        >>> s = Standardizer().fit(np.array([[0.0], [2.0]]))
        >>> s.transform(np.array([[4.0]])).tolist()
        [[3.0]]
    """

    def __init__(self, mean: np.ndarray | None = None, scale: np.ndarray | None = None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale = None if scale is None else np.asarray(scale, dtype=np.float64)

    def fit(self, X: np.ndarray) -> "Standardizer":
        X = np.asarray(X, dtype=np.float64)
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.mean is None:
            raise RuntimeError("Standardizer.transform called before fit")
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, dtype=np.float64) * self.scale + self.mean

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        return cls(d["mean"], d["scale"])
