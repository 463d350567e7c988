"""Built-in tables (sizes and class counts from the UCI descriptions), CSV loading, standardisation."""
import numpy as np
import pytest

from npgrad.data import (DataError, Standardizer, load_breast_cancer, load_csv, load_digits, load_iris,
                         load_wine)


@pytest.mark.parametrize("loader,shape,class_counts", [
    (load_iris, (150, 4), [50, 50, 50]),
    (load_wine, (178, 13), [59, 71, 48]),
    (load_breast_cancer, (569, 30), [212, 357]),
    (load_digits, (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
])
def test_builtin_tables(loader, shape, class_counts):
    data = loader()
    X, y = data
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert np.bincount(y).tolist() == class_counts
    assert len(data.feature_names) == shape[1] and data.num_classes == len(class_counts)
    assert np.all(np.isfinite(X))


def test_digits_are_8x8_pixels_in_0_16():
    X, _ = load_digits()
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_classification_and_regression(tmp_path):
    path = _write(tmp_path, "a,b,kind,size\n1,2,x,0.5\n3,4,y,1.5\n5,6,x,2.25\n")
    cls = load_csv(path, target="kind")
    assert cls.task == "classification" and cls.class_names == ["x", "y"]
    assert cls.targets.tolist() == [0, 1, 0]
    assert cls.feature_names == ["a", "b", "size"]
    reg = load_csv(path, target="size", features=["a", "b"])
    assert reg.task == "regression" and reg.targets.tolist() == [0.5, 1.5, 2.25]
    np.testing.assert_array_equal(reg.features, [[1, 2], [3, 4], [5, 6]])
    ints = load_csv(_write(tmp_path, "a,label\n1,10\n2,2\n3,10\n", "i.csv"))
    assert ints.task == "classification" and ints.class_names == ["2", "10"]  # numeric order


@pytest.mark.parametrize("text,target,message", [
    ("a,b\n1,x\n", "a", "non-numeric value 'x' in feature column 'b'"),
    ("a,b\n1,\n", "a", "non-numeric value '' in feature column 'b'"),
    ("a,b\n1,2\n", "c", "unknown column 'c'"),
    ("a,b\n1,y\n2,y\n", "b", "has only one class"),
    ("a,b\n", "b", "no data rows"),
])
def test_csv_errors(tmp_path, text, target, message):
    with pytest.raises(DataError, match=message):
        load_csv(_write(tmp_path, text), target=target)


def test_csv_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "absent.csv", target="y")


def test_standardizer_uses_the_training_split_only():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(50, 3))
    train[:, 2] = 7.0  # a constant column
    test = rng.normal(10.0, 5.0, size=(20, 3))
    s = Standardizer().fit(train)
    z = s.transform(train)
    np.testing.assert_allclose(z[:, :2].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z[:, :2].std(axis=0), 1, atol=1e-12)
    assert np.all(z[:, 2] == 0)
    np.testing.assert_allclose(s.transform(test), (test - train.mean(0)) / np.where(train.std(0) > 0, train.std(0), 1))
    round_trip = Standardizer.from_dict(s.to_dict())
    np.testing.assert_array_equal(round_trip.transform(test), s.transform(test))
    np.testing.assert_allclose(s.inverse_transform(s.transform(test)), test)


def test_npgrad_does_not_import_sklearn():
    import subprocess
    import sys

    code = "import sys, npgrad.data, npgrad.cli; npgrad.data.load_digits(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
