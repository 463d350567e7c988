r"""``torch.autograd.functional``: ``jacobian``, ``vjp`` and ``jvp`` of a function at a point.

Each runs ``func`` once on detached copies of ``inputs`` and uses reverse mode:
``vjp`` is one backward pass (:math:`v^\top J`), ``jacobian`` one per output element
(its rows), and ``jvp`` (:math:`J v`) multiplies those rows by ``v``, which gives
PyTorch's numbers (it uses the double-backward trick) at a cost that grows with the size
of the output. Results are detached, as PyTorch's with ``create_graph=False``.

``hessian``, ``hvp``, ``vhp`` and ``create_graph=True`` need second-order derivatives:
npgrad's engine has no ``create_graph``, so they raise ``NotImplementedError``.

Example:
    >>> import npgrad
    >>> from npgrad.autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, npgrad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
"""
import numpy as np

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(inp, arg_name, fn_name):
    """``(was a tuple, tuple of tensors)``; anything but tensors raises PyTorch's ``TypeError``."""
    from ..tensor import Tensor

    is_tuple = isinstance(inp, tuple)
    if not is_tuple:
        inp = (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                                f"but the value at index {i} has type {type(el)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the given {arg_name} has type {type(el)}.")
    return is_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Unwrap the one-element tuples of a result for a tensor (not tuple) input or output."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _no_create_graph(fn_name, create_graph):
    if create_graph:
        raise NotImplementedError(f"torch.autograd.functional.{fn_name}(create_graph=True) makes its result "
                                  "differentiable, which needs higher-order gradients: npgrad does not support them")


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


def _check_outputs_require_grad(outputs, strict):
    if not strict:
        return
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs "
                               "must be computed in a differentiable manner from the input when running in strict "
                               "mode.")


def _run(func, inputs, fn_name):
    """``(inputs as detached leaves, is tuple, outputs, is tuple)`` of one run of ``func`` with grad on."""
    from .grad_mode import enable_grad

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = tuple(x.detach().requires_grad_(True) for x in inputs)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    return inputs, is_inputs_tuple, outputs, is_outputs_tuple


def _grad(outputs, inputs, grad_outputs):
    """Gradients (None where unused) of the outputs that require grad, retaining the graph."""
    from . import grad

    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=True, allow_unused=True)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` has the shapes of the outputs (it may be left out for a one-element output); the
    product has the shapes of the inputs, zeros for an input no output depends on
    (``strict=True`` raises instead).

    Example:
        >>> import npgrad
        >>> vjp(lambda x: x.exp().sum(), npgrad.tensor([0.0, 1.0]))
        (tensor(3.7183), tensor([1.0000, 2.7183]))
    """
    from ..tensor import zeros_like

    _no_create_graph("vjp", create_graph)
    inputs, is_inputs_tuple, outputs, is_outputs_tuple = _run(func, inputs, "vjp")
    _check_outputs_require_grad(outputs, strict)
    if v is not None:
        _, v = _as_tuple(v, "v", "vjp")
        v = tuple(x.detach() for x in v)
        _validate_v(v, outputs, is_outputs_tuple)
    else:
        if len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
        v = (None,)
    grads = _grad(outputs, inputs, v)
    result = []
    for i, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is "
                                   "not allowed in strict mode.")
            g = zeros_like(x)
        result.append(g.detach())
    outputs = tuple(o.detach() for o in outputs)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(tuple(result), is_inputs_tuple)


def _rows(outputs, inputs):
    """The Jacobian's rows: per output, per input, an array ``(out.numel(), *in.shape)``, one backward pass
    per output element; and per output, per input, whether any gradient reached it."""
    from ..tensor import Tensor

    blocks, used = [], []
    for out in outputs:
        per_input = [np.zeros((out.nelement(),) + tuple(x.shape), dtype=x._data.dtype) for x in inputs]
        reached = [False] * len(inputs)
        for k in range(out.nelement() if out.requires_grad else 0):
            basis = np.zeros(tuple(out.shape), dtype=out._data.dtype)
            basis.flat[k] = 1
            for j, g in enumerate(_grad((out,), inputs, (Tensor._wrap(basis),))):
                if g is not None:
                    per_input[j][k] = g._data
                    reached[j] = True
        blocks.append(per_input)
        used.append(reached)
    return blocks, used


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``out.shape + in.shape`` per (output, input) pair.

    For a tuple of inputs and/or outputs the result is a tuple (of tuples), indexed
    ``[output][input]``. ``vectorize`` and ``strategy`` select PyTorch's algorithm and do not
    change the numbers; npgrad computes the rows by reverse mode, one backward pass per
    output element.

    Example:
        >>> import npgrad
        >>> jacobian(lambda x, y: x * y, (npgrad.tensor([2.0]), npgrad.tensor([3.0])))
        (tensor([[3.]]), tensor([[2.]]))
    """
    from ..tensor import Tensor

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either set '
                                      '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                               'not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:
            _as_tuple(inputs, "inputs", "jacobian")
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    _no_create_graph("jacobian", create_graph)
    inputs, is_inputs_tuple, outputs, is_outputs_tuple = _run(func, inputs, "jacobian")
    if strategy == "reverse-mode":
        _check_outputs_require_grad(outputs, strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
    blocks, used = _rows(outputs, inputs)
    for i, (out, reached) in enumerate(zip(outputs, used)):
        for j, r in enumerate(reached):
            if strict and not r and out.nelement():
                raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. This is "
                                   "not allowed in strict mode.")
    jac = tuple(tuple(Tensor._wrap(b.reshape(tuple(out.shape) + tuple(x.shape))) for b, x in zip(per_input, inputs))
                for per_input, out in zip(blocks, outputs))
    if strategy == "forward-mode":     # forward mode gives each entry the output's dtype
        jac = tuple(tuple(j.to(out.dtype) for j in row) for row, out in zip(jac, outputs))
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``.

    ``v`` has the shapes of the inputs (it may be left out for a one-element input). npgrad
    multiplies ``v`` by the Jacobian's rows (one backward pass per output element).

    Example:
        >>> import npgrad
        >>> jvp(lambda x: x ** 2, npgrad.tensor([1.0, 3.0]), npgrad.tensor([1.0, 1.0]))
        (tensor([1., 9.]), tensor([2., 6.]))
    """
    from ..tensor import Tensor, zeros_like

    _no_create_graph("jvp", create_graph)
    from .grad_mode import enable_grad

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = tuple(x.detach().requires_grad_(True) for x in inputs)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = tuple(x.detach() for x in v)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                               "Tensor with a single element.")
        else:
            v = (Tensor._wrap(np.ones(tuple(inputs[0].shape), dtype=inputs[0]._data.dtype)),)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
    _check_outputs_require_grad(outputs, strict)
    blocks, used = _rows(outputs, inputs)
    for j in range(len(inputs)):
        if strict and not any(reached[j] for reached in used):
            raise RuntimeError(f"The output of the user-provided function is independent of input {j}. This is not "
                               "allowed in strict mode.")
    result = []
    for i, (out, per_input) in enumerate(zip(outputs, blocks)):
        if not out.requires_grad:
            if strict:
                raise RuntimeError(f"The gradient with respect to the input is independent of entry {i} in the "
                                   "grad_outputs when using the double backward trick to compute forward mode "
                                   "gradients. This is not allowed in strict mode.")
            result.append(zeros_like(out))
            continue
        n = out.nelement()
        acc = np.zeros(n, dtype=out._data.dtype)
        for rows, t in zip(per_input, v):
            acc = acc + rows.reshape(n, -1) @ t._data.astype(rows.dtype, copy=False).reshape(-1)
        result.append(Tensor._wrap(acc.reshape(tuple(out.shape)).astype(out._data.dtype, copy=False)))
    outputs = tuple(o.detach() for o in outputs)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(tuple(result), is_outputs_tuple)


def _second_order(name):
    raise NotImplementedError(f"torch.autograd.functional.{name} needs second-order derivatives (the gradient of a "
                              "gradient), which npgrad does not support: its autograd has no create_graph")


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """Not available: the Hessian needs second-order derivatives; raises ``NotImplementedError``."""
    _second_order("hessian")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Not available: the Hessian-vector product needs second-order derivatives; raises ``NotImplementedError``."""
    _second_order("hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Not available: the vector-Hessian product needs second-order derivatives; raises ``NotImplementedError``."""
    _second_order("vhp")
