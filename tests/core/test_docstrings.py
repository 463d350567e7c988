"""Every docstring example in npgrad runs and prints what it says."""
import doctest
import importlib
import pkgutil

import pytest

import npgrad

SKIP = {"npgrad.__main__", "npgrad.cli"}  # the command line is tested end to end elsewhere
MODULES = sorted(m.name for m in pkgutil.walk_packages(npgrad.__path__, "npgrad.") if m.name not in SKIP)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} failing docstring example(s) in {name}"
