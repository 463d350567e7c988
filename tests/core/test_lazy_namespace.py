"""The top-level functions of ``ops.products``, ``ops.extras``, ``_runtime``, ... load on first use.

``functions._LAZY_MODULES`` names them without importing their modules; these tests check it against the modules'
``__all__`` (``python tests/core/test_lazy_namespace.py`` prints the table to paste when a module's ``__all__``
changes) and that the names behave as plain attributes of ``npgrad``.
"""
import importlib
import subprocess
import sys
import textwrap

import pytest

import npgrad
from npgrad import functions

# the modules whose whole ``__all__`` is top-level (a module added to the table is one too), and the few names of
# the others that are
WHOLE = ("._runtime", ".ops.products", ".ops.extras")
SOME = {".ops.math": ("alpha_dropout_", "dropout_", "embedding_renorm_", "feature_alpha_dropout_", "feature_dropout_",
                      "polygamma"),
        ".linalg": ("lu_unpack",)}
ORDER = tuple(dict.fromkeys([*functions._LAZY_MODULES, *WHOLE, *SOME]))
HEAVY = ("npgrad.linalg", "npgrad.ops.products", "npgrad.ops.math", "npgrad.ops.extras", "npgrad.ops.decomp",
         "npgrad._runtime", "npgrad.serialization", "npgrad.cuda", "npgrad.amp", "numba", "torch")


def _module(name):
    return importlib.import_module(name, "npgrad")


def expected_table():
    return {name: SOME[name] if name in SOME else tuple(_module(name).__all__) for name in ORDER}


def table_source(table):
    """The ``_LAZY_MODULES = {...}`` literal of functions.py for ``table``."""
    lines = ["_LAZY_MODULES = {"]
    for module, names in table.items():
        head = f'    "{module}": ('
        body = ", ".join(f'"{n}"' for n in names) + ("," if len(names) == 1 else "")
        wrapped = textwrap.wrap(body, width=118 - len(head), break_on_hyphens=False)
        lines += [head + wrapped[0]] + [" " * len(head) + line for line in wrapped[1:]]
        lines[-1] += "),"
    return "\n".join(lines + ["}"])


def _run(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_table_is_the_modules_all():
    expected = expected_table()
    assert functions._LAZY_MODULES == expected, (
        "functions._LAZY_MODULES is out of date; replace it by\n" + table_source(expected))


def test_table_names_are_unique_and_not_subpackages():
    names = [n for group in functions._LAZY_MODULES.values() for n in group]
    assert len(names) == len(set(names)) == len(functions._LAZY)
    assert not set(names) & npgrad._SUBPACKAGES


def test_import_loads_none_of_the_lazy_modules():
    out = _run(f"""
        import sys
        import npgrad
        npgrad.tan, npgrad.det, npgrad.swapdims, npgrad.scatter_reduce, npgrad.exp  # method wrappers
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """)
    assert out.strip() == "[]"


def test_first_use_loads_the_module():
    out = _run("""
        import sys
        import npgrad
        before = 'npgrad.ops.products' in sys.modules
        kron = npgrad.kron
        print(before, 'npgrad.ops.products' in sys.modules, kron is sys.modules['npgrad.ops.products'].kron,
              'npgrad.ops.extras' in sys.modules, 'kron' in vars(npgrad))
        from npgrad import hann_window
        print('npgrad.ops.extras' in sys.modules, tuple(hann_window(3).shape))
        """)
    assert out.split("\n")[:2] == ["False True True False True", "True (3,)"]


def test_nothing_defines_a_lazy_name_eagerly():
    # an eager definition would hide the module's function from __getattr__
    out = _run("""
        import npgrad
        from npgrad import functions
        print(sorted(n for n in npgrad._LAZY if n in vars(functions) or n in vars(npgrad)))
        """)
    assert out.strip() == "[]"


@pytest.mark.parametrize("module", ORDER)
def test_names_resolve_to_the_modules_functions(module):
    mod = _module(module)
    for name in functions._LAZY_MODULES[module]:
        assert getattr(npgrad, name) is getattr(mod, name), name
        assert getattr(functions, name) is getattr(mod, name), name
        assert hasattr(npgrad, name)
        assert name in npgrad.__all__ and name in functions.__all__ and name in dir(npgrad), name


def test_all_and_dir():
    assert len(npgrad.__all__) == len(set(npgrad.__all__))
    assert len(functions.__all__) == len(set(functions.__all__))
    assert {n for n in functions.__all__ if not n.startswith("_")} <= set(npgrad.__all__)
    assert {"Tensor", "tensor", "float32", "no_grad", "manual_seed", "load", "exp", "kron", "compile",
            "hann_window", "lu_unpack", "polygamma"} <= set(npgrad.__all__)
    assert not any(name.startswith("_") for name in npgrad.__all__)
    assert not {"nn", "optim", "autograd", "cuda", "random", "functions"} & set(npgrad.__all__)
    assert {"nn", "optim", "linalg", "kron", "hann_window", "Tensor"} <= set(dir(npgrad))
    assert {"kron", "compile", "hstack"} <= set(dir(functions))
    for name in npgrad.__all__:
        assert getattr(npgrad, name) is not None or name == "newaxis", name   # torch.newaxis is None too


def test_star_import_gives_every_name():
    namespace = {}
    exec("from npgrad import *", namespace)
    assert set(npgrad.__all__) <= set(namespace)
    assert namespace["kron"] is _module(".ops.products").kron


def test_as_torch():
    code = """
        import npgrad as torch
        from npgrad import kron, det, compile
        a = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
        print(torch.det(a).item(), tuple(kron(a, torch.eye(1)).shape), torch.hstack([torch.ones(1), torch.zeros(2)]),
              torch.vstack([torch.ones(2), torch.zeros(2)]).shape[0], compile(abs)(-2))
        """
    out = _run(code).strip()
    assert out == "5.0 (2, 2) tensor([1., 0., 0.]) 2 2"


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="module 'npgrad' has no attribute 'no_such_function'"):
        npgrad.no_such_function
    with pytest.raises(AttributeError, match="module 'npgrad.functions' has no attribute 'no_such_function'"):
        functions.no_such_function
    assert not hasattr(npgrad, "no_such_function")
    with pytest.raises(ImportError):
        exec("from npgrad import no_such_function", {})


if __name__ == "__main__":
    print(table_source(expected_table()))
