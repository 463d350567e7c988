"""Numerical gradient checks by central differences (float64)."""
from __future__ import annotations

import warnings

import numpy as np


def _outputs(fn, inputs):
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """d(outputs)/d(input) for every float64 input that requires grad, by central differences."""
    from ..autograd.grad_mode import no_grad

    jac = []
    for x in inputs:
        if not getattr(x, "requires_grad", False):
            jac.append(None)
            continue
        data = x._data      # perturbed in place, element by element (a strided input too)
        cols = []
        for k in range(data.size):
            at = np.unravel_index(k, data.shape)
            orig = data[at]
            with no_grad():
                data[at] = orig + eps
                plus = [o._data.copy().reshape(-1) for o in _outputs(fn, inputs)]
                data[at] = orig - eps
                minus = [o._data.copy().reshape(-1) for o in _outputs(fn, inputs)]
            data[at] = orig
            cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jac


def analytical_jacobian(fn, inputs):
    from ..tensor import Tensor

    outs = _outputs(fn, inputs)
    sizes = [o._data.size for o in outs]
    total = sum(sizes)
    jac = [np.zeros((total, x._data.size)) if getattr(x, "requires_grad", False) else None for x in inputs]
    row = 0
    for oi, o in enumerate(outs):
        for k in range(o._data.size):
            outs_k = _outputs(fn, inputs)
            for x in inputs:
                if isinstance(x, Tensor):
                    x.grad = None
            seed = np.zeros(outs_k[oi]._data.shape)
            seed.reshape(-1)[k] = 1.0
            if outs_k[oi].requires_grad:
                outs_k[oi].backward(Tensor._wrap(seed))
            for j, x in enumerate(inputs):
                if jac[j] is not None and x.grad is not None:
                    jac[j][row] = x.grad._data.reshape(-1)
            row += 1
    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    r"""Check ``func``'s analytical gradients against central differences.

    For every input :math:`x_i` that requires grad and every floating output :math:`y_o`,
    the Jacobian from backward is compared with :math:`(f(x + \epsilon e_k) - f(x - \epsilon
    e_k)) / 2\epsilon`, elementwise within ``atol + rtol * |numerical|``. Inputs should be
    float64 (others warn, as the differences are then too coarse). Returns True, or raises
    a ``GradcheckError`` naming the output and input of the first mismatch (returns False
    with ``raise_exception=False``). The keywords after ``raise_exception`` are accepted
    for compatibility; npgrad runs the backward check only.

    Example:
        >>> import npgrad
        >>> x = npgrad.randn(3, dtype=npgrad.float64, requires_grad=True)
        >>> npgrad.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    from ..tensor import Tensor

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", stacklevel=2)
    sizes = [o._data.size for o in _outputs(func, inputs)]
    bounds = np.cumsum([0] + sizes)
    num = numerical_jacobian(func, inputs, eps)
    ana = analytical_jacobian(func, inputs)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n is None:
            continue
        for o in range(len(sizes)):
            n_o, a_o = n[bounds[o]:bounds[o + 1]].T, a[bounds[o]:bounds[o + 1]].T
            if n_o.shape != a_o.shape or not np.allclose(a_o, n_o, atol=atol, rtol=rtol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {o} with respect to input {i},\n"
                                     f"numerical:{Tensor._wrap(n_o)!r}\nanalytical:{Tensor._wrap(a_o)!r}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    r"""Check ``func``'s second derivatives: ``gradcheck`` of its gradient as a function of the inputs and
    ``grad_outputs``.

    The checked function is :math:`(x, v) \mapsto \sum_o v_o^\top \partial y_o / \partial x`, computed with
    ``autograd.grad(..., create_graph=True)``, so its backward differentiates a recorded backward
    pass (every op on the way needs a double backward, see :mod:`npgrad.autograd.graph`). Without
    ``grad_outputs``, random ones in :math:`[-1, 1)` that require grad are drawn (strided ones with
    ``gen_non_contig_grad_outputs``). Inputs should be float64. Returns True, or raises a
    ``GradcheckError`` (False with ``raise_exception=False``); the keywords PyTorch uses for its
    other checks are validated as PyTorch does and otherwise accepted for compatibility.

    Example:
        >>> import npgrad
        >>> x = npgrad.randn(3, dtype=npgrad.float64, requires_grad=True)
        >>> npgrad.autograd.gradgradcheck(lambda t: (t * t.sin()).sum(), (x,))
        True
    """
    from ..tensor import Tensor
    from . import grad
    from .grad_mode import enable_grad

    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        with enable_grad():
            outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(_random_grad_output(x, gen_non_contig_grad_outputs) for x in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs) if isinstance(x, Tensor) and x.requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args):
        with enable_grad():
            input_args = tuple(x.requires_grad_() if i in diff_input_args_indices else x
                               for i, x in enumerate(args[:-num_outputs]))
            outputs = _differentiable_outputs(func(*input_args))
            grad_outputs = tuple(x.requires_grad_() if i in diff_grad_output_indices else x
                                 for i, x in enumerate(args[-num_outputs:]))
            diff_input_args = tuple(x for i, x in enumerate(input_args) if i in diff_input_args_indices)
            grad_inputs = grad(outputs, diff_input_args, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad, fast_mode=fast_mode,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev, masked=masked)


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _random_grad_output(x, noncontiguous):
    """Uniform in [-1, 1) in ``x``'s shape (float64 for a non-float ``x``), requiring grad; strided on request."""
    from .._dtype import float64
    from ..tensor import Tensor, empty

    shape = tuple(x.shape)
    values = empty(shape, dtype=x.dtype if x.is_floating_point() else float64).uniform_(-1, 1)
    if noncontiguous and len(shape):
        spread = np.repeat(values._data, 2, axis=-1)     # every other element of a twice-as-long last axis
        values = Tensor._wrap(spread[..., ::2])
    return values.requires_grad_()


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytical and numerical Jacobians differ."""
