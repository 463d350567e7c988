r"""``torch.autograd.functional``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp`` and ``hvp`` at a point.

Each runs ``func`` once, with grad enabled, on copies of ``inputs`` and differentiates in
reverse mode:

* ``vjp`` is one backward pass, :math:`v^\top J`;
* ``jacobian`` one backward pass per output element (its rows);
* ``jvp``, :math:`J v`, uses PyTorch's double-backward trick: :math:`J^\top u` recorded for
  a zero :math:`u` that requires grad is linear in :math:`u`, and its gradient with respect to
  :math:`u` along ``v`` is :math:`J v` (where an op has no double backward, the Jacobian's rows
  times ``v``);
* ``vhp``, :math:`v^\top H`, is the vjp of the gradient, recorded with ``create_graph``;
* ``hvp``, :math:`H v`, uses PyTorch's double-backward trick: with :math:`g = \nabla f`
  recorded, :math:`u \mapsto \partial (g^\top u) / \partial x = H^\top u` is linear in
  :math:`u`, and its gradient with respect to :math:`u` along ``v`` is :math:`H v`;
* ``hessian`` is the jacobian of the jacobian (the inner one recorded).

Results are detached unless ``create_graph=True``: then an input that requires grad stays
joined to the result through a recorded view, so the result can be differentiated again
with respect to the caller's tensors (see :mod:`npgrad.autograd.graph`); inputs that do not
require grad are replaced by fresh leaves. ``strict=True`` raises PyTorch's errors where an
output, a gradient or a Hessian does not depend on an input, instead of returning zeros.

Example:
    >>> import npgrad
    >>> from npgrad.autograd.functional import jacobian, hessian
    >>> jacobian(lambda x: x ** 2, npgrad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    >>> hessian(lambda x: (x ** 3).sum(), npgrad.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""
import numpy as np

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_FWD_CREATE_GRAPH = ('torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not '
                     'supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.')
_FWD_STRICT = ('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
               'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.')


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


def _grad_preprocess(inputs, create_graph, need_graph):
    """New tensor objects for ``inputs``: with ``create_graph`` an input that requires grad stays joined to the
    caller's tensor through a recorded view; any other becomes a detached leaf with ``requires_grad=need_graph``.

    A new object even then, so that the inputs given as arguments differ from the same tensors captured
    by ``func`` itself.
    """
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    """Detach the results (nested tuples too) unless the caller asked for a graph."""
    from ..tensor import Tensor

    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


def _check_requires_grad(inputs, input_type, strict):
    """In strict mode, PyTorch's error for the first entry of ``inputs`` that is None or does not require grad."""
    if not strict:
        return
    if input_type not in ("outputs", "grad_inputs", "jacobian", "hessian"):
        raise RuntimeError("Invalid input_type to _check_requires_grad")
    for i, inp in enumerate(inputs):
        if inp is None:     # only gradients can be missing
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode.")
        if inp.requires_grad:
            continue
        if input_type == "hessian":
            raise RuntimeError(f"The hessian of the user-provided function with respect to input {i} is independent "
                               "of the input. This is not allowed in strict mode. You should ensure that your "
                               "function is thrice differentiable and that the hessian depends on the inputs.")
        if input_type == "jacobian":
            raise RuntimeError("While computing the hessian, found that the jacobian of the user-provided function "
                               f"with respect to input {i} is independent of the input. This is not allowed in "
                               "strict mode. You should ensure that your function is twice differentiable and that "
                               "the jacobian depends on the inputs (this would be violated by a linear function for "
                               "example).")
        if input_type == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs must "
                           "be computed in a differentiable manner from the input when running in strict mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` of the outputs that are not None and require grad (None for unused inputs).

    With no such output the engine is not called: every gradient is None.
    """
    from . import grad

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=retain_graph,
                create_graph=create_graph, allow_unused=True)


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Zeros (shaped like ``refs``) for the missing gradients, or PyTorch's strict-mode error for ``stage``:
    ``back`` (vjp), ``back_trick`` (jvp), ``double_back`` (vhp) or ``double_back_trick`` (hvp)."""
    from ..tensor import zeros_like

    if stage not in ("back", "back_trick", "double_back", "double_back_trick"):
        raise RuntimeError(f"Invalid stage argument '{stage}' to _fill_in_zeros")
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode.")
                if stage == "back_trick":
                    raise RuntimeError(f"The gradient with respect to the input is independent of entry {i} in the "
                                       "grad_outputs when using the double backward trick to compute forward mode "
                                       "gradients. This is not allowed in strict mode.")
                if stage == "double_back":
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode.")
                raise RuntimeError(f"The hessian of the user-provided function is independent of entry {i} in the "
                                   "grad_jacobian. This is not allowed in strict mode as it prevents from using the "
                                   "double backward trick to replace forward mode AD.")
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            if "double" not in stage:
                raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. This "
                                   "is not allowed in strict mode when create_graph=True.")
            raise RuntimeError(f"The hessian of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _missing_v(inputs):
    if len(inputs) != 1 or inputs[0].nelement() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                           "Tensor with a single element.")


def _prepare(func, inputs, v, create_graph, fn_name):
    """Shared start of jvp, vhp and hvp: ``(inputs, is tuple, v, outputs, is tuple)``; ``v`` checked against the
    inputs (None only for a one-element input); ``func`` run with grad on."""
    from .grad_mode import enable_grad

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", fn_name)
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        else:
            _missing_v(inputs)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    return inputs, is_inputs_tuple, v, outputs, is_outputs_tuple


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    r"""``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` has the shapes of the outputs (it may be left out for a one-element output); the
    product has the shapes of the inputs, zeros for an input no output depends on
    (``strict=True`` raises instead). With ``create_graph=True`` both results are recorded.

    Example:
        >>> import npgrad
        >>> vjp(lambda x: x.exp().sum(), npgrad.tensor([0.0, 1.0]))
        (tensor(3.7183), tensor([1.0000, 2.7183]))
    """
    from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)


def _basis(out, k):
    """The ``k``-th standard basis tensor in ``out``'s shape and dtype."""
    from ..tensor import Tensor

    e = np.zeros(tuple(out.shape), dtype=out._data.dtype)
    e.flat[k] = 1
    return Tensor._wrap(e)


def _rows(outputs, i, inputs, create_graph, strict, together):
    """The rows of the Jacobian of output ``i``: per input, a list with one gradient (None where it did not reach the
    input) per output element; one backward pass per element, PyTorch's strict-mode errors on the way.

    ``together`` (PyTorch's vectorized path) differentiates every output at once, the others weighted by zeros.
    """
    from ..tensor import zeros_like

    out = outputs[i]
    rows = [[] for _ in inputs]
    for k in range(out.nelement()):
        if together:
            weights = tuple(_basis(o, k) if m == i else zeros_like(o) for m, o in enumerate(outputs))
            vj = _autograd_grad(outputs, inputs, weights, create_graph=create_graph, retain_graph=True)
        else:
            vj = _autograd_grad((out,), inputs, (_basis(out, k),), create_graph=create_graph, retain_graph=True)
        for el_idx, (row, g) in enumerate(zip(rows, vj)):
            if g is not None:
                if strict and create_graph and not g.requires_grad:     # PyTorch names the output's index here
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode when create_graph=True.")
            elif strict:
                raise RuntimeError(f"Output {i} of the user-provided function is independent of input {el_idx}. "
                                   "This is not allowed in strict mode.")
            row.append(g)
    return rows


def _block(row, out, inp, create_graph):
    """Stack one output's rows for one input into the block ``out.shape + inp.shape`` (zeros for missing rows)."""
    from ..tensor import Tensor, stack, zeros_like

    shape = tuple(out.shape) + tuple(inp.shape)
    if create_graph and row:
        return stack([g if g is not None else zeros_like(inp) for g in row]).reshape(shape)
    block = np.zeros((len(row),) + tuple(inp.shape), dtype=inp._data.dtype)
    for k, g in enumerate(row):
        if g is not None:
            block[k] = g._data
    return Tensor._wrap(block.reshape(shape))


def _jacobian_blocks(outputs, inputs, create_graph, strict, vectorize):
    """``[output][input]`` blocks of the Jacobian, as recorded Tensors with ``create_graph``."""
    if vectorize:
        if sum(o.nelement() for o in outputs) == 0 and any(o.requires_grad for o in outputs):
            raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
    jac = []
    for i, out in enumerate(outputs):
        rows = _rows(outputs, i, inputs, create_graph, strict, together=vectorize)
        if out.nelement() == 0 and not vectorize:
            raise RuntimeError("stack expects a non-empty TensorList")
        jac.append(tuple(_block(row, out, x, create_graph) for row, x in zip(rows, inputs)))
    return tuple(jac)


def _jacfwd(func, inputs, strict, vectorize, record=False):
    """``strategy="forward-mode"``: the same Jacobian from reverse mode, in each output's dtype.

    As PyTorch's tangents, the blocks are not detached: they are recorded when an input requires grad
    (or ``record``, for the outer Jacobian of a forward-over-reverse Hessian).
    """
    from .grad_mode import enable_grad

    if strict:
        raise RuntimeError(_FWD_STRICT)
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")
    record = record or any(x.requires_grad for x in inputs)
    with enable_grad():
        inputs = _grad_preprocess(inputs, create_graph=True, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs", None)
        jac = _jacobian_blocks(outputs, inputs, record, False, True)
        jac = tuple(tuple(j if j.dtype == out.dtype else j.to(out.dtype) for j in row)
                    for row, out in zip(jac, outputs))
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``out.shape + in.shape`` per (output, input) pair.

    For a tuple of inputs and/or outputs the result is a tuple (of tuples), indexed
    ``[output][input]``, in each input's dtype. npgrad computes the rows by reverse mode, one
    backward pass per output element; ``vectorize`` and ``strategy`` select PyTorch's
    algorithm, with its restrictions and dtypes, and do not change the numbers.
    ``create_graph=True`` stacks recorded rows, so the Jacobian can be differentiated again.

    Example:
        >>> import npgrad
        >>> jacobian(lambda x, y: x * y, (npgrad.tensor([2.0]), npgrad.tensor([3.0])))
        (tensor([[3.]]), tensor([[2.]]))
    """
    from .grad_mode import enable_grad

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(_FWD_CREATE_GRAPH)
        return _jacfwd(func, inputs, strict, vectorize)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = _jacobian_blocks(outputs, inputs, create_graph, strict, vectorize)
        jac = _grad_postprocess(jac, create_graph)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``.

    ``v`` has the shapes of the inputs (it may be left out for a one-element input); the
    product has the shapes (and dtypes) of the outputs. As PyTorch, by the double-backward
    trick: the gradient :math:`J^\top u` of the inputs is recorded for a zero ``u`` that requires
    grad, and its gradient with respect to ``u`` along ``v`` is :math:`J v` (two backward
    passes). Where an op on the way has no double backward, npgrad multiplies ``v`` by the
    Jacobian's rows instead (one backward pass per output element).

    Example:
        >>> import npgrad
        >>> jvp(lambda x: x ** 2, npgrad.tensor([1.0, 3.0]), npgrad.tensor([1.0, 1.0]))
        (tensor([1., 9.]), tensor([2., 6.]))
    """
    from ..tensor import zeros_like
    from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

    inputs, is_inputs_tuple, v, outputs, is_outputs_tuple = _prepare(func, inputs, v, create_graph, "jvp")
    with enable_grad():
        _check_requires_grad(outputs, "outputs", strict=strict)
        # the backward is linear in grad_outputs: their value does not matter, zeros hold no inf or nan
        grad_outputs = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    if _twice_differentiable(grad_inputs):
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
    else:
        with enable_grad():
            grad_res = _rows_times_v(outputs, inputs, v, create_graph)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_outputs_tuple)


def _twice_differentiable(tensors):
    """Whether the graph behind ``tensors`` (recorded gradients) can be differentiated: no op on it lacks a
    double backward."""
    from .graph import _NoGraphBackward

    stack = [t._node for t in tensors if t is not None and t._node is not None]
    seen = {id(n) for n in stack}
    while stack:
        node = stack.pop()
        if node.fn is _NoGraphBackward:
            return False
        for e in node.next:
            if isinstance(e, tuple) and id(e[0]) not in seen:
                seen.add(id(e[0]))
                stack.append(e[0])
    return True


def _rows_times_v(outputs, inputs, v, create_graph):
    """``J v`` per output from the Jacobian's rows (None for an output that reaches no input)."""
    from ..tensor import Tensor

    if v is None:
        v = (Tensor._wrap(np.ones(tuple(inputs[0].shape), dtype=inputs[0]._data.dtype)),)
    return tuple(_product(_rows(outputs, i, inputs, create_graph, False, together=False), out, inputs, v,
                          create_graph) for i, out in enumerate(outputs))


def _product(rows, out, inputs, v, create_graph):
    """:math:`\\sum_j J_{ij} v_j` for one output from its rows, in the output's dtype; None if no row reached."""
    from ..tensor import Tensor

    n = out.nelement()
    total = None
    for row, x, t in zip(rows, inputs, v):
        if all(g is None for g in row):
            continue
        block = _block(row, out, x, create_graph)
        if create_graph:
            term = block.reshape(n, -1) @ (t if t.dtype == x.dtype else t.to(x.dtype)).reshape(-1)
        else:
            term = Tensor._wrap(block._data.reshape(n, -1) @ t._data.astype(x._data.dtype, copy=False).reshape(-1))
        total = term if total is None else total + term
    if total is None:
        return None
    total = total.reshape(tuple(out.shape))
    return total if total.dtype == out.dtype else total.to(out.dtype)


def _single_output(outputs, is_outputs_tuple, fn_name):
    from ..tensor import Tensor

    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    r"""The Hessian :math:`\partial^2 f / \partial x_i \partial x_j` of a scalar ``func`` at ``inputs``.

    Computed as PyTorch does: the jacobian (``outer_jacobian_strategy``) of the recorded
    jacobian of ``func``. ``func`` must return one Tensor of one element. For a tuple of
    inputs the result is a tuple of tuples, ``[i][j]`` of shape ``x_i.shape + x_j.shape``.

    Example:
        >>> import npgrad
        >>> hessian(lambda x, y: (x * x * y).sum(), (npgrad.tensor([1.0]), npgrad.tensor([2.0])))
        ((tensor([[4.]]), tensor([[2.]])), (tensor([[2.]]), tensor([[0.]])))
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        _single_output(t_out, is_out_tuple, "hessian")
        return out.squeeze()

    def jac_func(*inp):
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    if outer_jacobian_strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(_FWD_CREATE_GRAPH)
        res = _jacfwd(jac_func, inputs, strict, vectorize, record=True)
    else:
        res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    r"""``(func(inputs), v^T H)``: the vector-Hessian product of a scalar ``func`` at ``inputs``.

    The vjp of the recorded gradient: :math:`\partial (v^\top \nabla f) / \partial x`. ``v`` has
    the shapes of the inputs (it may be left out for a one-element input).

    Example:
        >>> import npgrad
        >>> vhp(lambda x: (x ** 3).sum(), npgrad.tensor([1.0, 2.0]), npgrad.tensor([1.0, 1.0]))
        (tensor(9.), tensor([ 6., 12.]))
    """
    from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

    inputs, is_inputs_tuple, v, outputs, is_outputs_tuple = _prepare(func, inputs, v, create_graph, "vhp")
    with enable_grad():
        _check_requires_grad(outputs, "outputs", strict=strict)
        _single_output(outputs, is_outputs_tuple, "vhp")
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    r"""``(func(inputs), H v)``: the Hessian-vector product of a scalar ``func`` at ``inputs``.

    PyTorch's double-backward trick: with :math:`u` a zero tensor that requires grad,
    :math:`\partial (u^\top \nabla f) / \partial x = H^\top u` is recorded, and its gradient with
    respect to :math:`u` along ``v`` is :math:`H v` (equal to ``vhp`` when :math:`H` is symmetric).

    Example:
        >>> import npgrad
        >>> hvp(lambda x: (x[0] * x[1] ** 2), npgrad.tensor([1.0, 2.0]), npgrad.tensor([1.0, 0.0]))
        (tensor(4.), tensor([0., 4.]))
    """
    from ..tensor import zeros_like
    from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

    inputs, is_inputs_tuple, v, outputs, is_outputs_tuple = _prepare(func, inputs, v, create_graph, "hvp")
    with enable_grad():
        _check_requires_grad(outputs, "outputs", strict=strict)
        _single_output(outputs, is_outputs_tuple, "hvp")
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        grad_jac = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)     # PyTorch checks jac again here, not double_back
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)
