"""The Tensor API and the top-level tensor functions against torch.

Each case is a function ``fn(L)`` written against the shared API (``L`` is npgrad or torch);
its result is compared with torch's: values, dtypes, shapes, requires_grad and the Python type
of what comes back (named tuples, ``Size``, Python numbers). Error cases give torch's exception
type and wording, checked against torch itself when it is installed.
"""
import json
import re

import numpy as np
import pytest

import npgrad
from oracle import HAVE_TORCH, Golden

golden = Golden("tensor_api")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

R = np.random.default_rng(0)
A = R.standard_normal((3, 4)).astype(np.float32)
B3 = R.standard_normal((2, 3, 4)).astype(np.float32)
I = np.array([[3, 1, 2], [0, 5, 4]], dtype=np.int64)
T = np.array([[1., 3., 3., 0.], [2., 2., 5., 5.], [-1., 4., 4., 4.]], dtype=np.float32)  # ties
U = np.array([[1., 3., 2., 0.], [2., -2., 5., 4.], [-1., 4., 0.5, 3.]], dtype=np.float32)  # no ties in rows


def a(L):
    return L.tensor(A)


def b3(L):
    return L.tensor(B3)


def ii(L):
    return L.tensor(I)


def tt(L):
    return L.tensor(T)


def uu(L):
    return L.tensor(U)


def ar(L, *shape):
    return L.arange(int(np.prod(shape))).reshape(*shape)


def arf(L, *shape):
    return L.arange(float(np.prod(shape))).reshape(*shape)


def leaf(L):
    return L.tensor([1.0, 2.0, 3.0], requires_grad=True)


def setitem(L, idx, val, base=None):
    x = arf(L, 3, 4) if base is None else base(L)
    x[idx(L) if callable(idx) else idx] = val(L) if callable(val) else val
    return x


def inplace(L, fn):
    x = arf(L, 3, 4)
    r = fn(L, x)
    return r is x, x


def grad_of(L, fn):
    x = leaf(L)
    fn(L, x).backward()
    return x.grad


def inplace_nonleaf(L, fn):
    x = leaf(L)
    y = x * 2
    r = fn(L, y)
    (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
    return r is y, y.detach(), x.grad


def iadd(x, v=1):
    x += v
    return x


def nograd_block(L):
    x = leaf(L)
    with L.no_grad():
        y = x * 2
        inside = L.is_grad_enabled()
        x.add_(1)
        x[0] = 5.0
        x.mul_(L.tensor([1.0, 2.0, 3.0]))
        with L.enable_grad():
            z = x * 2
    return y.requires_grad, y.grad_fn is None, inside, L.is_grad_enabled(), x.detach(), x.is_leaf, z.requires_grad


def nograd_decorator(L):
    @L.no_grad()
    def f(t):
        return (t * 2).requires_grad, L.is_grad_enabled()

    return f(leaf(L)) + (L.is_grad_enabled(),)


def inference(L):
    x = leaf(L)
    with L.inference_mode():
        y = x * 2
    return y.requires_grad


def set_grad_enabled(L):
    x = leaf(L)
    with L.set_grad_enabled(False):
        y = x * 2
    return y.requires_grad, (x * 2).requires_grad


def _clamp_grad_through_inf(L):
    """clamp's gradient is a select: an infinite upstream gradient outside the range still gives 0."""
    x = L.tensor([0.5, 2.0], requires_grad=True)
    lo = L.tensor([1.0, 1.0], requires_grad=True)
    a = x.clamp(min=lo)
    (a / (a - 1)).sum().backward()
    b = L.tensor([0.5, 2.0], requires_grad=True)
    c = b.clamp(min=1.0, max=1.5)
    (c / (c - 1)).sum().backward()
    return [x.grad, lo.grad, b.grad]


def _pow_grads_at_zero(L):
    x = L.tensor([0.0, 2.0, 0.0, 3.0, -1.0], requires_grad=True)
    y = L.tensor([0.0, 0.0, 2.0, 1.5, 2.0], requires_grad=True)
    (x ** y).sum().backward()
    return [x.grad, y.grad]


def _storage_offsets(L):
    x = L.arange(12.0).reshape(3, 4)
    return [x.storage_offset(), x[1:].storage_offset(), x[1, 2:].storage_offset(), x[:, 1].storage_offset(),
            x.t()[2].storage_offset(), (x + 1).storage_offset(), x.view(-1)[5:].storage_offset()]


def _reprs_with_nan_and_inf(L):
    nan, inf = float("nan"), float("inf")
    rows = [[nan, 1.0], [nan, -1.0], [inf, 1.5], [nan, 1e10], [-inf, 1.0], [nan, 0.001], [0.0, 0.0], [nan, inf],
            [[nan, 2.0], [3.0, -inf]], [1e-5, 0.0, nan]]
    return [repr(L.tensor(r)).replace("torch", "npgrad") for r in rows]


CASES = {
    # --------------------------------------------------------------- promotion, reprs, details
    "cmp/float32_vs_number": lambda L: [L.tensor([0.3]) == 0.3, L.tensor([0.3]) < 0.3, L.tensor([0.3]) >= 0.3,
                                        L.tensor([0.1], dtype=L.float64) != 0.1],
    "cmp/float32_vs_0d_float64": lambda L: L.tensor([0.3]) == L.tensor(0.3, dtype=L.float64),
    "cmp/int_vs_float": lambda L: [L.tensor([16777217, 2]) == 16777216.0, L.tensor([1, 2]) == 1.5,
                                   L.tensor([1, 2]) == 2, L.tensor([True]) == 1.0],
    "storage_offset/views": _storage_offsets,
    "type/names": lambda L: [L.tensor([1], dtype=d).type() .replace("torch", "npgrad")
                             for d in (L.int8, L.int16, L.uint8, L.bool, L.float16, L.int32)],
    "repr/nan_inf_widths": _reprs_with_nan_and_inf,
    "broadcast_shapes/mixed": lambda L: [list(L.broadcast_shapes(3, (2, 1))), list(L.broadcast_shapes((2, 1), (1, 0))),
                                         list(L.broadcast_shapes())],
    "grad/clamp_through_inf": _clamp_grad_through_inf,
    "grad/pow_at_zero": _pow_grads_at_zero,
    "version/cuda": lambda L: [L.version.cuda, L.version.hip, L.version.debug],
    "module_compile/returns_none": lambda L: L.nn.Linear(2, 2).compile(mode="max-autotune"),
    # --------------------------------------------------------------- construction
    "tensor/float": lambda L: L.tensor([1.0, 2]),
    "tensor/int": lambda L: L.tensor([[1, 2], [3, 4]]),
    "tensor/bool": lambda L: L.tensor([True, False]),
    "tensor/bool_int": lambda L: L.tensor([True, 2]),
    "tensor/scalar": lambda L: L.tensor(3.5),
    "tensor/scalar_int": lambda L: L.tensor(3),
    "tensor/empty": lambda L: L.tensor([]),
    "tensor/empty_nested": lambda L: L.tensor([[], []]),
    "tensor/dtype": lambda L: L.tensor([1, 2], dtype=L.float64),
    "tensor/dtype_int32": lambda L: L.tensor([1.7, -2.7], dtype=L.int32),
    "tensor/requires_grad": lambda L: L.tensor([1.0], requires_grad=True),
    "tensor/np_float64": lambda L: L.tensor(np.array([1.0, 2.0])),
    "tensor/np_int32": lambda L: L.tensor(np.array([1, 2], dtype=np.int32)),
    "tensor/np_scalar_f64": lambda L: L.tensor(np.float64(2.5)),
    "tensor/np_scalar_f32": lambda L: L.tensor(np.float32(2.5)),
    "tensor/np_scalar_i32": lambda L: L.tensor(np.int32(2)),
    "tensor/list_np_f64": lambda L: L.tensor([np.float64(1.0), np.float64(2.0)]),
    "tensor/list_mixed_np": lambda L: L.tensor([1, np.float64(2.0)]),
    "tensor/list_np_i32": lambda L: L.tensor([np.int32(1), np.int32(2)]),
    "tensor/list_np_i32_int": lambda L: L.tensor([np.int32(1), 2]),
    "tensor/list_float_np_f32": lambda L: L.tensor([1.0, np.float32(2)]),
    "tensor/list_u8_i8": lambda L: L.tensor([np.uint8(1), np.int8(1)]),
    "tensor/list_of_0d": lambda L: L.tensor([L.tensor(1.0), L.tensor(2.0)]),
    "tensor/list_of_0d_f64": lambda L: L.tensor([L.tensor(1.0, dtype=L.float64), 2.0]),
    "tensor/of_tensor": lambda L: L.tensor(L.tensor([1, 2])),
    "zeros": lambda L: L.zeros(2, 3),
    "zeros/tuple_dtype": lambda L: L.zeros((2, 3), dtype=L.int64),
    "zeros/list": lambda L: L.zeros([2]),
    "zeros/requires_grad": lambda L: L.zeros(2, requires_grad=True),
    "zeros/0d": lambda L: L.zeros(()),
    "ones/bool": lambda L: L.ones(2, dtype=L.bool),
    "ones/size": lambda L: L.ones(L.Size([2, 1])),
    "full/float": lambda L: L.full((2, 2), 1.5),
    "full/int": lambda L: L.full((2,), 7),
    "full/bool": lambda L: L.full((2,), True),
    "full/dtype": lambda L: L.full((2,), 7, dtype=L.float32),
    "full/requires_grad": lambda L: L.full([3], -1.0, requires_grad=True),
    "arange/int": lambda L: L.arange(5),
    "arange/float": lambda L: L.arange(5.0),
    "arange/step": lambda L: L.arange(1, 10, 3),
    "arange/negative_step": lambda L: L.arange(5, 0, -2),
    "arange/float_step": lambda L: L.arange(0, 1, 0.1),
    "arange/dtype": lambda L: L.arange(4, dtype=L.float32),
    "arange/float_to_int": lambda L: L.arange(0.5, 3, dtype=L.int64),
    "arange/requires_grad": lambda L: L.arange(3.0, requires_grad=True),
    "arange/kwargs": lambda L: L.arange(start=2, end=5),
    "arange/empty": lambda L: L.arange(3, 3),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace/one": lambda L: L.linspace(0, 1, 1),
    "linspace/int": lambda L: L.linspace(0, 10, 4, dtype=L.int64),
    "linspace/requires_grad": lambda L: L.linspace(0, 1, 3, requires_grad=True),
    "linspace/descending": lambda L: L.linspace(3, -1, 5),
    "eye": lambda L: L.eye(3),
    "eye/rect_int": lambda L: L.eye(2, 3, dtype=L.int64),
    "eye/requires_grad": lambda L: L.eye(2, requires_grad=True),
    "empty/shape": lambda L: L.empty(2, 3).shape,
    "empty/dtype": lambda L: L.empty(2, dtype=L.int64).dtype,
    "zeros_like": lambda L: L.zeros_like(ii(L)),
    "ones_like/dtype": lambda L: L.ones_like(ii(L), dtype=L.float32),
    "full_like": lambda L: L.full_like(a(L), 2),
    "full_like/int_float": lambda L: L.full_like(ii(L), 2.7),
    "empty_like": lambda L: (L.empty_like(a(L)).shape, L.empty_like(ii(L)).dtype),
    "zeros_like/requires_grad": lambda L: L.zeros_like(a(L), requires_grad=True),
    "zeros_like/of_requires_grad": lambda L: L.zeros_like(leaf(L)),
    "from_numpy": lambda L: L.from_numpy(np.arange(3)),
    "from_numpy/shares": lambda L: (lambda n: (L.from_numpy(n).add_(1), n)[1])(np.zeros(2)),
    "as_tensor/shares": lambda L: (lambda n: (L.as_tensor(n).add_(1), n)[1])(np.zeros(2)),
    "as_tensor/list": lambda L: L.as_tensor([1, 2.5]),
    "as_tensor/dtype": lambda L: L.as_tensor(np.zeros(2), dtype=L.float32),
    "as_tensor/same": lambda L: (lambda t: L.as_tensor(t) is t)(L.ones(2)),
    "Tensor/data": lambda L: L.Tensor([1, 2]),
    "Tensor/sizes": lambda L: L.Tensor(2, 3).shape,
    # --------------------------------------------------------------- dtypes
    "dtype/float": lambda L: ii(L).float(),
    "dtype/double": lambda L: ii(L).double(),
    "dtype/long": lambda L: a(L).long(),
    "dtype/int": lambda L: a(L).int(),
    "dtype/bool": lambda L: a(L).bool(),
    "dtype/short_byte_char": lambda L: (ii(L).short(), ii(L).byte(), ii(L).char()),
    "dtype/half": lambda L: a(L).half().dtype,
    "dtype/to": lambda L: ii(L).to(L.float64),
    "dtype/to_kwarg": lambda L: ii(L).to(dtype=L.float32),
    "dtype/to_device_dtype": lambda L: ii(L).to("cpu", L.float32),
    "dtype/to_tensor": lambda L: ii(L).to(a(L)),
    "dtype/to_same_is_self": lambda L: (lambda t: t.to(L.float32) is t)(a(L)),
    "dtype/to_copy": lambda L: (lambda t: t.to(L.float32, copy=True) is t)(a(L)),
    "dtype/type_dtype": lambda L: a(L).type(L.int64),
    "dtype/type_as": lambda L: a(L).type_as(ii(L)),
    "dtype/props": lambda L: (L.float32.is_floating_point, L.int64.is_floating_point, L.float32.itemsize,
                              L.int64.is_signed),
    "dtype/aliases": lambda L: (L.float == L.float32, L.double == L.float64, L.long == L.int64, L.int == L.int32),
    "dtype/is_floating_point": lambda L: (a(L).is_floating_point(), ii(L).is_floating_point(),
                                          L.is_floating_point(a(L))),
    "dtype/float_to_long": lambda L: L.tensor([-1.7, 2.9]).long(),
    "dtype/bool_to_float": lambda L: L.tensor([True, False]).float(),
    "dtype/default": lambda L: L.get_default_dtype(),
    "dtype/element_size": lambda L: (a(L).element_size(), ii(L).element_size()),
    "dtype/promote_types": lambda L: (L.promote_types(L.int64, L.float32), L.promote_types(L.uint8, L.int8),
                                      L.promote_types(L.bool, L.int32)),
    "dtype/result_type": lambda L: (L.result_type(ii(L), 1.0), L.result_type(ii(L), a(L).double()),
                                    L.result_type(L.tensor(1.0, dtype=L.float64), ii(L))),
    "dtype/can_cast": lambda L: (L.can_cast(L.float32, L.int64), L.can_cast(L.int64, L.float32),
                                 L.can_cast(L.bool, L.int8), L.can_cast(L.float64, L.float32)),
    "dtype/finfo": lambda L: (lambda f: (f.bits, f.eps, f.max, f.min, f.tiny, f.resolution, f.dtype))(
        L.finfo(L.float32)),
    "dtype/finfo_default": lambda L: (L.finfo().dtype, L.finfo(L.float64).eps),
    "dtype/iinfo": lambda L: (lambda i: (i.bits, i.max, i.min, i.dtype))(L.iinfo(L.int64)),
    "dtype/iinfo_int32": lambda L: (lambda i: (i.bits, i.max, i.min))(L.iinfo(L.int32)),
    # type promotion in mixed ops
    "promote/int_plus_float": lambda L: ii(L) + 1.5,
    "promote/int_div": lambda L: ii(L) / 2,
    "promote/int_div_int_tensor": lambda L: ii(L) / ii(L),
    "promote/int_floordiv": lambda L: ii(L) // 2,
    "promote/float_floordiv": lambda L: a(L) // 0.5,
    "promote/negative_floordiv": lambda L: L.tensor([-7, 7]) // 2,
    "promote/mod": lambda L: L.tensor([-7, 7]) % 3,
    "promote/float_mod": lambda L: L.tensor([-7.5, 7.5]) % 2,
    "promote/remainder_fmod": lambda L: (L.tensor([-7, 7]).remainder(3), L.tensor([-7.0, 7.0]).fmod(3),
                                         L.fmod(L.tensor([-7, 7]), 3), L.floor_divide(L.tensor([-7, 7]), 2)),
    "promote/bool_plus_bool": lambda L: L.tensor([True, False]) + L.tensor([True, True]),
    "promote/bool_times_float": lambda L: L.tensor([True, False]) * 2.5,
    "promote/int32_int64": lambda L: L.tensor([1], dtype=L.int32) + L.tensor([1]),
    "promote/int32_scalar": lambda L: L.tensor([1], dtype=L.int32) + 5,
    "promote/int32_0d_int64": lambda L: L.tensor([1], dtype=L.int32) + L.tensor(5),
    "promote/int64_0d_f64": lambda L: L.tensor([1]) + L.tensor(5.0, dtype=L.float64),
    "promote/f32_0d_f64": lambda L: L.tensor([1.0]) * L.tensor(5.0, dtype=L.float64),
    "promote/0d_0d": lambda L: L.tensor(1.0) * L.tensor(5.0, dtype=L.float64),
    "promote/f32_f64": lambda L: a(L) + a(L).double(),
    "promote/rsub_int": lambda L: 1 - ii(L),
    "promote/rsub_float": lambda L: 1.5 - ii(L),
    "promote/rdiv": lambda L: 1 / L.tensor([1, 2, 4]),
    "promote/pow_int": lambda L: ii(L) ** 2,
    "promote/pow_float": lambda L: ii(L) ** 0.5,
    "promote/rpow": lambda L: 2 ** ii(L),
    "promote/rpow_float": lambda L: 2.0 ** ii(L),
    "promote/np_scalar": lambda L: a(L) * np.float64(2.0),
    "promote/np_int": lambda L: ii(L) + np.int64(2),
    "promote/uint8_int8": lambda L: L.tensor([1], dtype=L.uint8) + L.tensor([1], dtype=L.int8),
    "promote/abs_int": lambda L: L.tensor([-1, 2]).abs(),
    "promote/sqrt_int": lambda L: L.tensor([4, 9]).sqrt(),
    "promote/exp_bool": lambda L: L.tensor([True]).exp(),
    "promote/sign_int": lambda L: L.tensor([-3, 0, 2]).sign(),
    "promote/maximum": lambda L: L.maximum(ii(L), L.tensor(2.5)),
    "promote/where_tensor_scalar": lambda L: L.where(ii(L) > 2, ii(L), 0.5),
    "promote/where_float_scalars": lambda L: L.where(ii(L) > 2, 1.0, 0.0),
    "promote/where_int_scalars": lambda L: L.where(ii(L) > 2, 1, 0),
    "promote/where_int_float_scalars": lambda L: L.where(ii(L) > 2, 1, 0.5),
    "promote/cat": lambda L: L.cat([ii(L), a(L)[:2, :3]]),
    "promote/cat_int_bool": lambda L: L.cat([ii(L), ii(L) > 2]),
    "promote/stack": lambda L: L.stack([L.tensor([1]), L.tensor([1.5])]),
    "promote/clamp_float_bounds": lambda L: ii(L).clamp(0.5, 3.5),
    "promote/clamp_int_bounds": lambda L: ii(L).clamp(1, 3),
    "promote/eq_float": lambda L: ii(L) == 3.0,
    "promote/div_floor": lambda L: L.tensor([-7, 7]).div(2, rounding_mode="floor"),
    "promote/div_trunc": lambda L: L.tensor([-7.0, 7.0]).div(2, rounding_mode="trunc"),
    "promote/div_floor_float": lambda L: L.tensor([-7, 7]).div(2.0, rounding_mode="floor"),
    "promote/sum_int": lambda L: ii(L).sum(),
    "promote/sum_bool": lambda L: L.tensor([True, True]).sum(),
    "promote/sum_int32": lambda L: L.tensor([1, 2], dtype=L.int32).sum(),
    "promote/prod_bool": lambda L: L.tensor([True, True]).prod(),
    "promote/cumsum_bool": lambda L: L.tensor([True, True]).cumsum(0),
    "promote/cumsum_int32": lambda L: L.tensor([1, 2], dtype=L.int32).cumsum(0),
    # --------------------------------------------------------------- reductions
    "reduce/max_ties": lambda L: tt(L).max(1),
    "reduce/min_dim0": lambda L: tt(L).min(dim=0),
    "reduce/max_keepdim": lambda L: tt(L).max(1, keepdim=True),
    "reduce/max_unpack": lambda L: (lambda v, i: (v, i))(*tt(L).max(1)),
    "reduce/max_fields": lambda L: (lambda r: (r.values, r.indices, r[0] is r.values, len(r)))(tt(L).max(-1)),
    "reduce/max_int": lambda L: (ii(L).max(), ii(L).max(0)),
    "reduce/max_binary": lambda L: L.max(tt(L), L.zeros(4)),
    "reduce/max_0d_dim": lambda L: L.tensor(2.0).max(0),
    "reduce/max_fn_kwargs": lambda L: L.max(tt(L), dim=1, keepdim=True),
    "reduce/min_fn": lambda L: L.min(tt(L)),
    "reduce/max_return_type": lambda L: (type(tt(L).max(1)).__name__, type(tt(L).min(1)).__name__,
                                         type(tt(L).sort()).__name__, type(tt(L).topk(1)).__name__),
    "reduce/max_repr": lambda L: repr(L.tensor([[1, 2]]).max(1)),
    "reduce/min_repr": lambda L: repr(L.tensor([[1, 2]]).min(1)),
    "reduce/sort_repr": lambda L: repr(L.tensor([2, 1]).sort()),
    "reduce/topk_repr": lambda L: repr(L.tensor([2, 1]).topk(1)),
    "reduce/argmax_ties": lambda L: (tt(L).argmax(1), tt(L).argmin(), tt(L).argmax(0, keepdim=True)),
    "reduce/argmax_int": lambda L: ii(L).argmax(),
    "reduce/sum_dtype": lambda L: ii(L).sum(dtype=L.float32),
    "reduce/sum_bool_dim": lambda L: (tt(L) > 2).sum(1),
    "reduce/mean_dtype": lambda L: ii(L).mean(dtype=L.float64),
    "reduce/mean_dim_list": lambda L: b3(L).mean([0, 1]),
    "reduce/sum_negative_dims": lambda L: b3(L).sum((-1, -2)),
    "reduce/prod_int_dim": lambda L: ii(L).prod(1),
    "reduce/prod_bool": lambda L: (ii(L) > 0).prod(),
    "reduce/std_unbiased_false": lambda L: b3(L).std(unbiased=False),
    "reduce/std_dim_unbiased": lambda L: b3(L).std(1, unbiased=False),
    "reduce/std_kwargs": lambda L: b3(L).std(dim=1, unbiased=False, keepdim=True),
    "reduce/var_correction0": lambda L: b3(L).var(dim=1, correction=0),
    "reduce/var_correction2": lambda L: b3(L).var(dim=(0, 2), correction=2),
    "reduce/var_positional": lambda L: b3(L).var(1, True, True),
    "reduce/std_one_element": lambda L: L.tensor([1.0]).std(),
    "reduce/std_mean": lambda L: L.std_mean(b3(L), dim=1),
    "reduce/var_mean": lambda L: L.var_mean(b3(L), 1, unbiased=False),
    "reduce/topk": lambda L: uu(L).topk(2),
    "reduce/topk_smallest": lambda L: uu(L).topk(2, dim=0, largest=False),
    "reduce/topk_1d": lambda L: L.tensor([3.0, 1.0, 2.0, 5.0]).topk(3),
    "reduce/topk_int": lambda L: ii(L).topk(2),
    "reduce/topk_fn": lambda L: L.topk(uu(L), 1, 1),
    "reduce/topk_kwargs": lambda L: uu(L).topk(k=2, dim=1),
    "reduce/topk_all": lambda L: uu(L).topk(4),
    "reduce/sort": lambda L: tt(L).sort(),
    "reduce/sort_descending": lambda L: tt(L).sort(dim=0, descending=True),
    "reduce/sort_descending_ties": lambda L: tt(L).sort(descending=True, stable=True),
    "reduce/sort_stable": lambda L: tt(L).sort(stable=True),
    "reduce/sort_fn": lambda L: L.sort(tt(L), 1, True),
    "reduce/sort_nan": lambda L: L.tensor([1.0, float("nan"), 0.0]).sort(),
    "reduce/sort_nan_descending": lambda L: L.tensor([1.0, float("nan"), 0.0, float("nan")]).sort(descending=True),
    "reduce/sort_int_descending": lambda L: ii(L).sort(descending=True),
    "reduce/sort_uint8_descending": lambda L: L.tensor([3, 200, 7], dtype=L.uint8).sort(descending=True),
    "reduce/sort_bool": lambda L: L.tensor([True, False, True]).sort(),
    "reduce/sort_bool_descending": lambda L: L.tensor([True, False, True, False]).sort(descending=True),
    "reduce/argsort": lambda L: (tt(L).argsort(), tt(L).argsort(descending=True), tt(L).argsort(0),
                                 L.argsort(tt(L), dim=1, descending=True)),
    "reduce/cumsum": lambda L: (tt(L).cumsum(1), tt(L).cumsum(dim=0)),
    "reduce/cumsum_int": lambda L: (ii(L).cumsum(1), L.cumsum(ii(L), dim=-1)),
    "reduce/cumsum_dtype": lambda L: ii(L).cumsum(1, dtype=L.float32),
    "reduce/cumprod": lambda L: tt(L).cumprod(1),
    "reduce/any_all": lambda L: (tt(L).any(), ii(L).all(1), (tt(L) > 3).any(1, keepdim=True), L.zeros(0).all(),
                                 L.all(ii(L) > -1), L.any(ii(L) > 4, dim=0)),
    "reduce/norm": lambda L: b3(L).norm(),
    "reduce/norm_p1": lambda L: b3(L).norm(p=1, dim=1),
    "reduce/norm_inf": lambda L: b3(L).norm(float("inf"), dim=-1, keepdim=True),
    "reduce/norm_p3": lambda L: b3(L).norm(3, 2),
    "reduce/norm_fro_dims": lambda L: b3(L).norm("fro", dim=(1, 2)),
    "reduce/norm_fn": lambda L: L.norm(b3(L), dim=0),
    "reduce/norm_p0": lambda L: tt(L).norm(0),
    "reduce/norm_nuc": lambda L: (uu(L).norm("nuc"), b3(L).norm("nuc", dim=(0, 2)), L.norm(uu(L), p="nuc")),
    "reduce/norm_nuc_keepdim": lambda L: b3(L).norm("nuc", dim=(2, 1), keepdim=True),
    "reduce/norm_fro_3_dims": lambda L: b3(L).norm("fro", dim=(0, 1)),
    "reduce/norm_dtype": lambda L: (tt(L).norm(dtype=L.float64), tt(L).norm(3, dim=1, dtype=L.float64),
                                    L.norm(tt(L), 1, 0, True, None, L.float64)),
    "reduce/norm_none": lambda L: b3(L).norm(None, -1),
    "reduce/norm_ninf": lambda L: (tt(L).norm(-float("inf"), 1), tt(L).norm(float("-inf"))),
    "reduce/norm_dim_list": lambda L: b3(L).norm(1.5, [0, 2]),
    "reduce/norm_zero_vector_grads": lambda L: [
        grad_of(L, lambda L, x: (x * L.tensor([0.0, 0.0, 1.0])).reshape(1, 3).norm(p, 0).sum())
        for p in (0.5, 1, 1.5, 2, 3, float("inf"), -float("inf"), "fro")],
    "reduce/logsumexp": lambda L: b3(L).logsumexp(1),
    "reduce/0d_dim0": lambda L: (L.tensor(3.0).sum(0), L.tensor(3.0).mean(-1), L.tensor(3.0).amax(0),
                                 L.tensor(3.0).sum(0, keepdim=True), L.tensor(3.0).argmax(0)),
    "reduce/mean_empty": lambda L: L.zeros(0).mean(),
    "reduce/sum_empty": lambda L: L.zeros(0, 3).sum(0),
    "reduce/amax_tuple": lambda L: b3(L).amax((0, 1)),
    "reduce/median": lambda L: (tt(L).median(), L.median(L.tensor([1, 2]))),
    "reduce/median_dim": lambda L: (tt(L).median(1), tt(L).median(0, keepdim=True)),
    "reduce/median_nan": lambda L: L.tensor([1.0, float("nan"), 2.0]).median(),
    "reduce/median_fn_dim": lambda L: L.median(uu(L), dim=-1),
    "reduce/kthvalue": lambda L: (uu(L).kthvalue(2, 1), uu(L).kthvalue(3)),
    "reduce/aminmax": lambda L: (lambda r, s: (r.min, r.max, s.min, s.max, type(r).__name__))(
        tt(L).aminmax(), tt(L).aminmax(dim=1, keepdim=True)),
    "reduce/diff": lambda L: (tt(L).diff(dim=1), tt(L).diff(), L.diff(tt(L), n=2, dim=0)),
    **{f"reduce/{red}_{k}": (lambda red, args: lambda L: (getattr(b3(L), red)(*args[0], **args[1]),
                                                           getattr(L, red)(b3(L), *args[0], **args[1])))(red, args)
       for red in ["sum", "mean", "prod", "std", "var", "amax", "amin", "logsumexp", "norm", "nansum", "argmax",
                   "argmin", "max", "min", "all", "any", "count_nonzero"]
       for k, args in {"all": ((), {}), "d0": ((0,), {}), "last_keepdim": ((-1,), {"keepdim": True}),
                       "dim_kwarg": ((), {"dim": 1}), "tuple": (((0, 2),), {}),
                       "tuple_keepdim": (((0, 2),), {"keepdim": True})}.items()
       if not (red == "logsumexp" and k == "all")
       and not (red in ("prod", "argmax", "argmin", "max", "min", "norm") and k.startswith("tuple"))
       and not (red == "count_nonzero" and "keepdim" in k)},
    # --------------------------------------------------------------- shape
    "shape/view": lambda L: ar(L, 2, 6).view(3, 4),
    "shape/view_tuple": lambda L: ar(L, 2, 6).view((4, -1)),
    "shape/view_noncontiguous_ok": lambda L: ar(L, 2, 6).t().view(6, 2, 1),
    "shape/view_transposed_split": lambda L: ar(L, 2, 6).t().view(3, 2, 2),
    "shape/view_expanded": lambda L: L.arange(3).expand(2, 3).view(2, 3, 1),
    "shape/view_shares": lambda L: (lambda x: (x.view(12).add_(1), x)[1])(ar(L, 2, 6)),
    "shape/view_as": lambda L: ar(L, 2, 3).view_as(L.zeros(3, 2)),
    "shape/view_dtype": lambda L: L.tensor([1.0]).view(L.int32),
    "shape/reshape_noncontiguous": lambda L: ar(L, 2, 6).t().reshape(12),
    "shape/reshape_infer": lambda L: ar(L, 2, 6).reshape(-1, 3),
    "shape/reshape_list": lambda L: ar(L, 2, 6).reshape([3, 4]),
    "shape/reshape_empty": lambda L: L.zeros(0, 3).reshape(-1, 3).shape,
    "shape/reshape_as": lambda L: ar(L, 2, 3).reshape_as(L.zeros(6)),
    "shape/contiguous_after_ops": lambda L: [f(L.tensor(B3).permute(1, 0, 2)).view(-1).shape for f in (
        lambda x: x.softmax(-1), lambda x: x.sum(2), lambda x: x[:, [0, 1]], lambda x: L.cat([x, x], 1),
        lambda x: x.masked_fill(x > 0, 0.0), lambda x: x.cumsum(1), lambda x: x.mean(0), lambda x: x.amax(2),
        lambda x: x.log_softmax(1), lambda x: x[x > 0])],
    "shape/permute": lambda L: ar(L, 2, 3, 4).permute(2, 0, 1),
    "shape/permute_tuple": lambda L: ar(L, 2, 3, 4).permute((1, 2, 0)).shape,
    "shape/permute_negative": lambda L: ar(L, 2, 3, 4).permute(-1, 0, 1).shape,
    "shape/is_contiguous": lambda L: (ar(L, 2, 3, 4).permute(2, 0, 1).is_contiguous(),
                                      ar(L, 2, 3, 4).permute(2, 0, 1).contiguous().is_contiguous(),
                                      ar(L, 2, 3).is_contiguous(), ar(L, 2, 4)[:, ::2].is_contiguous()),
    "shape/contiguous_is_self": lambda L: (lambda x: x.contiguous() is x)(ar(L, 2, 3)),
    "shape/stride": lambda L: (ar(L, 2, 3, 4).stride(), ar(L, 2, 3, 4).transpose(0, 2).stride(),
                               ar(L, 2, 3, 4).stride(1), ar(L, 3, 4)[:, ::2].stride()),
    "shape/transpose": lambda L: ar(L, 2, 3, 4).transpose(0, 2),
    "shape/transpose_negative": lambda L: ar(L, 2, 3, 4).transpose(-1, -2).shape,
    "shape/t": lambda L: (ar(L, 2, 3).t(), L.arange(3).t(), ar(L, 2, 3).T, L.t(ar(L, 2, 3))),
    "shape/mT": lambda L: ar(L, 2, 3, 4).mT.shape,
    "shape/flatten": lambda L: (ar(L, 2, 3, 4).flatten(), ar(L, 2, 3, 4).flatten(1).shape,
                                ar(L, 2, 3, 4, 5).flatten(1, 2).shape, L.tensor(1.0).flatten(),
                                L.flatten(ar(L, 2, 3, 4), start_dim=1).shape),
    "shape/unflatten": lambda L: (ar(L, 2, 12).unflatten(1, (3, 4)).shape, ar(L, 2, 12).unflatten(-1, (-1, 4)).shape),
    "shape/squeeze": lambda L: (L.zeros(1, 3, 1).squeeze().shape, L.zeros(1, 3, 1).squeeze(0).shape,
                                L.zeros(1, 3, 1).squeeze(1).shape, L.zeros(1, 3, 1).squeeze((0, 2)).shape,
                                L.tensor(1.0).squeeze(0).shape, L.squeeze(L.zeros(1, 2)).shape),
    "shape/unsqueeze": lambda L: (L.zeros(3).unsqueeze(0).shape, L.zeros(2, 3).unsqueeze(-1).shape,
                                  L.unsqueeze(L.zeros(2), 1).shape),
    "shape/unsqueeze_shares": lambda L: (lambda x: (x.unsqueeze(0).add_(1), x)[1])(L.zeros(2)),
    "shape/expand": lambda L: (L.tensor([[1], [2]]).expand(2, 3), L.tensor([[1], [2]]).expand(-1, 3),
                               L.tensor([1, 2]).expand(3, 2), L.tensor([1, 2]).expand((2, 2)).shape,
                               L.tensor([1, 2]).expand_as(L.zeros(3, 2)).shape, L.ones(2, 3).expand(4, -1, 3).shape),
    "shape/repeat": lambda L: (L.tensor([1, 2]).repeat(2, 2), ar(L, 2, 2).repeat(1, 2, 1), ar(L, 2, 2).repeat((2, 1))),
    "shape/tile": lambda L: (L.tensor([1, 2]).tile(2), L.tile(ar(L, 2, 2), (2,)), ar(L, 2, 2).tile(2, 1, 1)),
    "shape/repeat_interleave": lambda L: (L.tensor([1, 2]).repeat_interleave(2),
                                          ar(L, 2, 2).repeat_interleave(L.tensor([1, 2]), dim=0)),
    "shape/chunk": lambda L: (L.arange(10).chunk(3), ar(L, 2, 5).chunk(2, dim=1), L.arange(4).chunk(6),
                              L.chunk(L.arange(5), 2)),
    "shape/split": lambda L: (L.arange(10).split(4), L.arange(10).split([3, 7]), ar(L, 2, 5).split(2, dim=1),
                              L.arange(3).split(5), L.split(L.arange(5), [1, 4])),
    "shape/unbind": lambda L: ar(L, 2, 3).unbind(1),
    "shape/cat": lambda L: (L.cat([ar(L, 2, 3), ar(L, 1, 3)]), L.cat((ar(L, 2, 3), ar(L, 2, 1)), dim=1),
                            L.cat((ar(L, 2, 3), ar(L, 2, 1)), -1), L.concat([L.ones(2), L.zeros(1)])),
    "shape/cat_empty_1d": lambda L: L.cat([L.tensor([]), ar(L, 2, 3).float()]),
    "shape/stack": lambda L: (L.stack([L.arange(3), L.arange(3)]), L.stack([L.arange(3), L.arange(3)], dim=1),
                              L.stack([L.arange(3), L.arange(3)], -1), L.stack([L.tensor(1.0), L.tensor(2.0)])),
    "shape/hstack_vstack": lambda L: (L.hstack([L.arange(2), L.arange(3)]), L.vstack([L.arange(2), L.arange(2)]),
                                      L.hstack([ar(L, 2, 1), ar(L, 2, 2)]), L.vstack([ar(L, 1, 2), L.arange(2)]),
                                      L.column_stack([L.arange(2), ar(L, 2, 2)])),
    "shape/flip": lambda L: (ar(L, 2, 3).flip(1), ar(L, 2, 3).flip([0, 1]), L.fliplr(ar(L, 2, 3))),
    "shape/flip_copies": lambda L: (lambda x: (x.flip(0).add_(10), x)[1])(L.arange(3)),
    "shape/roll": lambda L: L.arange(5).roll(2),
    "shape/narrow_select": lambda L: (ar(L, 3, 4).narrow(1, 1, 2), ar(L, 3, 4).select(1, -1)),
    "shape/size": lambda L: (ar(L, 2, 3).size(), ar(L, 2, 3).size(-1), ar(L, 2, 3).shape[1:],
                             ar(L, 2, 3).shape.numel()),
    "shape/size_type": lambda L: (type(ar(L, 2, 3).shape).__name__, isinstance(ar(L, 2, 3).shape, tuple)),
    "shape/size_compare": lambda L: (ar(L, 2, 3).shape == (2, 3), ar(L, 2, 3).shape == [2, 3],
                                     ar(L, 2, 3).shape == L.Size([2, 3])),
    "shape/size_add": lambda L: (ar(L, 2, 3).shape + (1,), (1,) + ar(L, 2, 3).shape),
    "shape/numel_dim": lambda L: (ar(L, 2, 3).numel(), L.numel(ar(L, 2, 3)), L.zeros(0, 2).numel(),
                                  ar(L, 2, 3).dim(), ar(L, 2, 3).ndim, L.tensor(1).dim(), ar(L, 2, 3).ndimension(),
                                  ar(L, 2, 3).nelement()),
    "shape/len_iter": lambda L: (len(ar(L, 2, 3)), list(ar(L, 2, 3)), len(L.zeros(0, 3))),
    "shape/diagonal_tril_triu": lambda L: (ar(L, 3, 3).diagonal(), ar(L, 3, 3).tril(), ar(L, 3, 3).triu(1)),
    "shape/diag": lambda L: (L.diag(L.tensor([1.0, 2.0])), L.diag(L.tensor([1.0, 2.0]), 1), L.diag(ar(L, 3, 3))),
    "shape/movedim": lambda L: (ar(L, 2, 3, 4).movedim(0, -1).shape, ar(L, 2, 3, 4).swapaxes(0, 1).shape),
    "shape/broadcast": lambda L: (L.broadcast_to(L.arange(2), (3, 2)),
                                  L.broadcast_tensors(L.arange(2), L.zeros(3, 1)),
                                  L.broadcast_shapes((2, 1), (3,))),
    "shape/atleast": lambda L: (L.atleast_1d(L.tensor(1.0)), L.atleast_2d(L.tensor(1.0))),
    "shape/unfold": lambda L: L.arange(7).unfold(0, 3, 2),
    # --------------------------------------------------------------- indexing
    "index/int": lambda L: (ar(L, 3, 4)[1], ar(L, 3, 4)[-1, -2]),
    "index/slice_steps": lambda L: (ar(L, 3, 6)[::2, 1::2], ar(L, 6)[-3:], ar(L, 6)[1:5:3], ar(L, 6)[10:]),
    "index/none": lambda L: (ar(L, 3, 4)[None].shape, ar(L, 3, 4)[:, None, :].shape,
                             ar(L, 3, 4)[None, ..., None].shape),
    "index/ellipsis": lambda L: (ar(L, 2, 3, 4)[..., 1], ar(L, 2, 3, 4)[..., 3].shape, ar(L, 2, 3, 4)[1, ...].shape,
                                 ar(L, 2, 3, 4)[..., 1:3, None].shape, ar(L, 2, 3, 4)[:, ..., :].shape),
    "index/bool_mask": lambda L: ar(L, 3, 4)[ar(L, 3, 4) % 3 == 0],
    "index/bool_rows_cols": lambda L: (ar(L, 3, 4)[L.tensor([True, False, True])],
                                       ar(L, 3, 4)[:, L.tensor([True, False, True, False])]),
    "index/bool_scalar": lambda L: L.ones(3)[True].shape,
    "index/long": lambda L: (ar(L, 3, 4)[L.tensor([2, 0, 2])], ar(L, 3, 4)[L.tensor([[0, 1], [2, 2]])]),
    "index/long_pair": lambda L: (ar(L, 3, 4)[L.tensor([0, 2]), L.tensor([1, 3])],
                                  ar(L, 3, 4)[L.tensor([[0], [2]]), L.tensor([1, 3])]),
    "index/long_after_slice": lambda L: ar(L, 3, 4)[1:, L.tensor([0, 3])],
    "index/negative_long": lambda L: ar(L, 3, 4)[L.tensor([-1, 0])],
    "index/list": lambda L: ar(L, 3, 4)[[0, 2]],
    "index/0d_tensor": lambda L: ar(L, 3, 4)[L.tensor(1)],
    "index/int32": lambda L: ar(L, 3, 4)[L.tensor([1, 2], dtype=L.int32)],
    "index/view_shares": lambda L: (lambda x: (x[1].add_(10), x)[1])(ar(L, 3, 4)),
    "index/advanced_copies": lambda L: (lambda x: (x[L.tensor([1])].add_(10), x)[1])(ar(L, 3, 4)),
    "index/0d": lambda L: (L.tensor(5.0)[None], L.tensor(5.0)[...]),
    "setitem/int": lambda L: setitem(L, 1, 0.5),
    "setitem/row_broadcast": lambda L: setitem(L, 1, lambda L: L.tensor([9.0, 8.0, 7.0, 6.0])),
    "setitem/column": lambda L: setitem(L, (slice(None), 0), lambda L: L.tensor([9.0, 8.0, 7.0])),
    "setitem/leading_ones": lambda L: setitem(L, 0, lambda L: L.ones(1, 4)),
    "setitem/mask_scalar": lambda L: setitem(L, lambda L: arf(L, 3, 4) > 5, -1.0),
    "setitem/mask_values": lambda L: setitem(L, lambda L: arf(L, 3, 4) > 9, lambda L: L.tensor([1.0, 2.0])),
    "setitem/mask_0d": lambda L: setitem(L, lambda L: arf(L, 3, 4) > 9, lambda L: L.tensor(7.0)),
    "setitem/long": lambda L: setitem(L, lambda L: L.tensor([0, 2]), lambda L: L.tensor(1.0)),
    "setitem/step": lambda L: setitem(L, (slice(None), slice(None, None, 2)), 0.0),
    "setitem/ellipsis": lambda L: setitem(L, (Ellipsis, -1), lambda L: L.tensor([1.0, 2.0, 3.0])),
    "setitem/int_into_float": lambda L: setitem(L, 0, lambda L: L.tensor([1, 2, 3, 4])),
    "setitem/float_into_int": lambda L: setitem(L, 0, 2.7, base=lambda L: ar(L, 3, 4)),
    "setitem/float_tensor_into_int": lambda L: setitem(L, 0, lambda L: L.tensor([2.7, -1.5, 0.2, 9.9]),
                                                       base=lambda L: ar(L, 3, 4)),
    "setitem/none": lambda L: setitem(L, None, 1.0),
    # --------------------------------------------------------------- comparison and logic
    "cmp/operators": lambda L: (a(L) < 0, a(L) >= a(L)[0], ii(L) == 3, ii(L) != L.tensor([3, 5, 2]), ii(L) <= 2,
                                ii(L) > 1),
    "cmp/methods": lambda L: (ii(L).eq(3), ii(L).ge(L.tensor(2)), ii(L).ne(0), ii(L).lt(2), ii(L).le(1),
                              ii(L).gt(4), ii(L).less(3), ii(L).greater(3)),
    "cmp/functions": lambda L: (L.eq(ii(L), 3), L.gt(ii(L), 2), L.le(ii(L), 2), L.ne(ii(L), 0), L.lt(ii(L), 1),
                                L.ge(ii(L), 4)),
    "cmp/eq_none": lambda L: ii(L) == None,  # noqa: E711
    "cmp/mixed_dtypes": lambda L: L.tensor([0.1 + 0.2]) == L.tensor([0.3], dtype=L.float64),
    "logic/bitwise_bool": lambda L: ((ii(L) > 1) & (ii(L) < 4), (ii(L) > 4) | (ii(L) < 1), (ii(L) > 1) ^ (ii(L) < 4),
                                     ~(ii(L) > 1)),
    "logic/bitwise_int": lambda L: (~ii(L), ii(L) & 6, ii(L) | 8, ii(L) ^ 1, L.bitwise_and(ii(L), 3),
                                    L.bitwise_not(ii(L)), ii(L).bitwise_or(L.tensor(4))),
    "logic/inplace_bitwise": lambda L: (lambda m: (m.__ior__(L.tensor([False, True, False])),
                                                   m.__iand__(L.tensor([True, True, False])),
                                                   m.__ixor__(L.tensor([False, True, True])), m)[3])(
        L.tensor([True, False, True])),
    "logic/logical": lambda L: (L.logical_and(ii(L), a(L)[:2, :3]), ii(L).logical_or(L.tensor(0)),
                                L.logical_not(ii(L)), L.logical_xor(ii(L), ii(L) > 2)),
    "logic/isnan_isinf": lambda L: (L.isnan(L.tensor([1.0, float("nan")])),
                                    L.tensor([1.0, float("inf"), -float("inf")]).isinf(), L.isfinite(ii(L))),
    "where": lambda L: L.where(a(L) > 0, a(L), L.zeros(4)),
    "where/scalar_other": lambda L: L.where(a(L) > 0, a(L), 0.0),
    "where/scalar_input": lambda L: L.where(a(L) > 0, 1.0, a(L)),
    "where/int_scalar": lambda L: L.where(a(L) > 0, a(L), 0),
    "where/double_scalar": lambda L: L.where(a(L) > 0, a(L).double(), 0.0),
    "where/method": lambda L: a(L).where(a(L) > 0, -1.0),
    "where/one_argument": lambda L: L.where(ii(L) > 2),
    "where/mixed_tensors": lambda L: L.where(ii(L) > 2, ii(L), a(L)[:2, :3]),
    "nonzero": lambda L: (ii(L).nonzero(), ii(L).nonzero(as_tuple=True), L.argwhere(ii(L)), L.nonzero(ii(L) > 2)),
    "clamp": lambda L: (a(L).clamp(-0.5, 0.5), a(L).clamp(min=0), a(L).clamp(max=0.1), a(L).clip(-0.1, 0.1)),
    "clamp/functions": lambda L: (L.clamp(a(L), min=0.0), L.clip(ii(L), 1, 3), L.clamp_min(a(L), 0.2),
                                  L.clamp(a(L), 0.0, 0.5)),
    "clamp/tensor_bounds": lambda L: a(L).clamp(min=L.zeros(4), max=L.full((4,), 0.3)),
    "clamp/int_float_max": lambda L: ii(L).clamp(max=2.5),
    "clamp/inverted": lambda L: a(L).clamp(1.0, -1.0),
    "clamp/inplace": lambda L: (inplace(L, lambda L, x: x.clamp_(2, 5)), inplace(L, lambda L, x: x.clip_(max=4))),
    "masked_fill": lambda L: a(L).masked_fill(a(L) > 0, 0.0),
    "masked_fill/broadcast_mask": lambda L: a(L).masked_fill(L.tensor([True, False, True, False]), -1),
    "masked_fill/broadcast_self": lambda L: L.ones(3).masked_fill(L.tensor([[True], [False]]), 0.0),
    "masked_fill/int_float_value": lambda L: ii(L).masked_fill(ii(L) > 2, 1.7),
    "masked_fill/tensor_value": lambda L: a(L).masked_fill(a(L) > 0, L.tensor(9.0)),
    "masked_fill/neg_inf": lambda L: a(L).masked_fill(a(L) > 0, float("-inf")),
    "masked_fill/inplace": lambda L: inplace(L, lambda L, x: x.masked_fill_(x > 5, 0)),
    "masked_fill/function": lambda L: L.masked_fill(a(L), a(L) < 0, 0.0),
    "masked_select": lambda L: a(L).masked_select(a(L) > 0),
    "gather": lambda L: (a(L).gather(1, L.tensor([[0, 0], [1, 3], [2, 1]])), a(L).gather(0, L.tensor([[0, 2, 1, 1]])),
                         L.gather(a(L), 1, L.tensor([[3], [2], [1]])),
                         L.gather(a(L), dim=1, index=L.tensor([[3], [2], [1]])),
                         a(L).gather(1, L.tensor([[1], [2], [1]], dtype=L.int32))),
    "gather/take": lambda L: (L.take(a(L), L.tensor([0, 5])), a(L).take(L.tensor([[11, 0]])),
                              L.take_along_dim(a(L), L.tensor([[1], [0], [3]]), dim=1)),
    "scatter_": lambda L: inplace(L, lambda L, x: x.scatter_(1, L.tensor([[0], [1], [2]]),
                                                            L.tensor([[-1.0], [-2.0], [-3.0]]))),
    "scatter_/value": lambda L: inplace(L, lambda L, x: x.scatter_(1, L.tensor([[0], [1], [2]]), 9.0)),
    "scatter_/one_hot": lambda L: L.zeros(3, 5).scatter_(1, L.tensor([[1], [4], [0]]), 1.0),
    "scatter": lambda L: L.zeros(3, 5).scatter(1, L.tensor([[1], [4], [0]]), L.ones(3, 1)),
    "scatter_/reduce_add": lambda L: L.zeros(3).scatter_(0, L.tensor([0, 0, 2]), L.ones(3), reduce="add"),
    "scatter_add": lambda L: (L.zeros(3).scatter_add_(0, L.tensor([0, 0, 2]), L.tensor([1.0, 2.0, 3.0])),
                              L.scatter_add(L.zeros(3), 0, L.tensor([0, 0, 2]), L.tensor([1.0, 2.0, 3.0]))),
    **{f"scatter_reduce/{r}_{inc}": (lambda r, inc: lambda L: L.tensor([1.0, 5.0, -3.0]).scatter_reduce(
        0, L.tensor([0, 0, 2, 0]), L.tensor([1.0, 2.0, 3.0, -4.0]), r, include_self=inc))(r, inc)
       for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)},
    "scatter_reduce/int_mean": lambda L: L.tensor([1, 5, 3]).scatter_reduce(0, L.tensor([0, 0]), L.tensor([2, 4]),
                                                                            "mean"),
    "index_select": lambda L: (a(L).index_select(1, L.tensor([3, 0])), L.index_select(a(L), 0, L.tensor([2]))),
    "index_add_fill_copy": lambda L: (L.zeros(3, 2).index_add_(0, L.tensor([0, 0]), L.ones(2, 2)),
                                      L.zeros(3, 2).index_fill_(0, L.tensor([0, 2]), 5.0),
                                      L.zeros(3, 2).index_fill(1, L.tensor([1]), -1.0),
                                      L.zeros(3, 2).index_copy_(0, L.tensor([2, 0]), L.ones(2, 2)),
                                      L.zeros(2, 3).index_copy(1, L.tensor([2]), L.ones(2, 1))),
    "fill_diagonal_": lambda L: (L.zeros(3, 4).fill_diagonal_(2.0), L.zeros(7, 3).fill_diagonal_(1.0, wrap=True),
                                 L.zeros(2, 2, 2).fill_diagonal_(5.0)),
    "bincount": lambda L: (L.bincount(L.tensor([0, 2, 2, 5])), L.bincount(L.tensor([0, 2]), minlength=5),
                           L.bincount(L.tensor([0, 2]), weights=L.tensor([0.5, 1.0]))),
    # --------------------------------------------------------------- conversion
    "item": lambda L: (L.tensor([2.5]).item(), L.tensor([[3]]).item(), L.tensor(True).item(),
                       L.tensor(0.1, dtype=L.float64).item(), L.tensor(0.1).item(), leaf(L)[0].item()),
    "tolist": lambda L: (a(L).tolist(), ii(L).tolist(), L.tensor(3).tolist(), (ii(L) > 2).tolist(), leaf(L).tolist()),
    "numpy": lambda L: (a(L).numpy(), ii(L).numpy(), leaf(L).numpy(force=True), leaf(L).detach().numpy()),
    "numpy/shares": lambda L: (lambda t: (t.numpy().__setitem__(0, 9), t)[1])(L.zeros(2)),
    "numbers": lambda L: (float(L.tensor([2.5])), int(L.tensor(2.7)), bool(L.tensor([0.0])), bool(L.tensor(3)),
                          [10, 20, 30][L.tensor(1)], list(range(L.tensor(3)))),
    "detach": lambda L: (lambda y: (y.detach(), y.detach().requires_grad, y.detach().is_leaf,
                                    y.detach().grad_fn is None))(leaf(L) * 2),
    "detach/shares": lambda L: (lambda x: (x.detach().zero_(), x)[1])(L.ones(2)),
    "detach_": lambda L: (lambda y: (y.detach_(), y.requires_grad, y.is_leaf))(leaf(L) * 2),
    "clone": lambda L: (lambda x: (x.clone(), x.clone().requires_grad, x.clone().is_leaf))(leaf(L)),
    "clone/independent": lambda L: (lambda x: (x.clone().zero_(), x)[1])(L.ones(2)),
    "equal": lambda L: (L.equal(a(L), a(L)), a(L).equal(a(L) + 1), L.equal(ii(L), ii(L).float()),
                        L.equal(L.ones(2), L.ones(1)), L.equal(L.tensor([1, 2]), L.tensor([1.0, 2.0]))),
    "allclose": lambda L: (L.allclose(a(L), a(L) + 1e-7), a(L).allclose(a(L) + 1e-3),
                           L.allclose(a(L), a(L) + 1e-3, atol=1e-2), L.allclose(ii(L), ii(L)),
                           L.allclose(L.tensor([float("nan")]), L.tensor([float("nan")])),
                           L.allclose(L.tensor([float("nan")]), L.tensor([float("nan")]), equal_nan=True),
                           L.allclose(L.tensor([1.0, 2.0]), L.tensor([1.0]))),
    "isclose": lambda L: (L.isclose(L.tensor([1.0, 2.0]), L.tensor([1.0 + 1e-6, 2.1])),
                          L.tensor([1.0, 2.0]).isclose(L.tensor([1.05, 2.1]), rtol=0, atol=0.06),
                          L.isclose(ii(L), ii(L) + 0), L.isclose(L.tensor([float("inf")]), L.tensor([float("inf")]))),
    # --------------------------------------------------------------- autograd flags, no_grad, backward
    "requires_grad_": lambda L: (lambda x: (x.requires_grad_() is x, x.requires_grad,
                                            x.requires_grad_(False).requires_grad))(L.ones(2)),
    "requires_grad/set": lambda L: (lambda x, y, i: (setattr(x, "requires_grad", True), y.requires_grad_(True),
                                                     setattr(i, "requires_grad", False), x.requires_grad,
                                                     y.requires_grad, (x * 2).requires_grad, i.requires_grad))(
        L.ones(2), leaf(L) * 2, L.tensor([1])),
    "is_leaf": lambda L: (leaf(L).is_leaf, (leaf(L) * 2).is_leaf, L.ones(2).is_leaf, (L.ones(2) * 2).is_leaf,
                          leaf(L).grad_fn is None, (leaf(L) * 2).grad_fn is None, leaf(L).grad is None),
    "no_grad": nograd_block,
    "no_grad/decorator": nograd_decorator,
    "no_grad/inference_mode": inference,
    "no_grad/set_grad_enabled": set_grad_enabled,
    "backward/one_element": lambda L: grad_of(L, lambda L, x: (x * 2)[:1]),
    "backward/gradient": lambda L: (lambda x: ((x * 2).backward(L.tensor([1.0, 0.5, 0.0])), x.grad)[1])(leaf(L)),
    "backward/accumulates": lambda L: (lambda x: ((x * 2).sum().backward(), (x ** 2).sum().backward(), x.grad)[2])(
        leaf(L)),
    "backward/retain_graph": lambda L: (lambda x: (lambda y: (y.backward(retain_graph=True), y.backward(), x.grad)[2])(
        x.exp().sum()))(leaf(L)),
    "backward/zero_grad": lambda L: (lambda x: ((x * 2).sum().backward(), x.grad.zero_(), x.grad)[2])(leaf(L)),
    "backward/grad_none": lambda L: (lambda x: ((x * 2).sum().backward(), setattr(x, "grad", None),
                                                x.grad is None)[2])(leaf(L)),
    "backward/detached_path": lambda L: grad_of(L, lambda L, x: (x * x.detach()).sum()),
    **{f"backward/{k}": (lambda f: lambda L: grad_of(L, f))(f) for k, f in {
        "index": lambda L, x: x[L.tensor([0, 0, 2])].sum(),
        "max": lambda L, x: L.stack([x, x.flip(0)]).max(0).values.sum(),
        "where": lambda L, x: L.where(x > 1.5, x * 3, x).sum(),
        "clamp": lambda L, x: x.clamp(1.5, 2.5).sum(),
        "norm": lambda L, x: x.norm(),
        "std": lambda L, x: x.std(),
        "prod": lambda L, x: x.prod(),
        "cumsum": lambda L, x: (x.cumsum(0) ** 2).sum(),
        "sort": lambda L, x: (x.sort(descending=True).values * L.tensor([1.0, 2.0, 3.0])).sum(),
        "topk": lambda L, x: x.topk(2).values.sum(),
        "median": lambda L, x: x.median() * 2 + (x.median(0).values * 3),
        "masked_fill": lambda L, x: x.masked_fill(x > 2, 0.0).sum(),
        "gather": lambda L, x: x.gather(0, L.tensor([2, 2, 0])).sum(),
        "expand": lambda L, x: x.expand(2, 3).sum(),
        "repeat": lambda L, x: (x.repeat(2) * L.arange(6.0)).sum(),
        "cat": lambda L, x: (L.cat([x, x * 2]) ** 2).sum(),
        "chunk": lambda L, x: (x.chunk(2)[0] * 5).sum(),
        "double": lambda L, x: x.double().sum(),
        "max_full": lambda L, x: (x * L.tensor([1.0, 1.5, 1.0])).max(),
        "setitem": lambda L, x: (lambda y: (y.__setitem__(1, 0.0), y.sum())[1])(x * 1),
        "scatter": lambda L, x: (L.zeros(5).scatter(0, L.tensor([4, 0, 1]), x) * L.arange(5.0)).sum(),
        "scatter_reduce": lambda L, x: (L.ones(2).scatter_reduce(0, L.tensor([0, 1, 0]), x, "amax") *
                                        L.tensor([1.0, 2.0])).sum(),
    }.items()},
    # --------------------------------------------------------------- in-place ops
    "inplace/nonleaf_mul_": lambda L: inplace_nonleaf(L, lambda L, y: y.mul_(3)),
    "inplace/nonleaf_add_alpha": lambda L: inplace_nonleaf(L, lambda L, y: y.add_(L.tensor([1.0, 2.0, 3.0]), alpha=2)),
    "inplace/nonleaf_clamp_": lambda L: inplace_nonleaf(L, lambda L, y: y.clamp_(min=3.0)),
    "inplace/nonleaf_setitem": lambda L: inplace_nonleaf(L, lambda L, y: y.__setitem__(L.tensor([True, False, True]),
                                                                                         0.0)),
    "inplace/nonleaf_masked_fill_": lambda L: inplace_nonleaf(L, lambda L, y: y.masked_fill_(y > 3, 1.0)),
    "inplace/nonleaf_zero_": lambda L: inplace_nonleaf(L, lambda L, y: y.zero_()),
    "inplace/nonleaf_fill_": lambda L: inplace_nonleaf(L, lambda L, y: y.fill_(2.5)),
    "inplace/nonleaf_copy_": lambda L: inplace_nonleaf(L, lambda L, y: y.copy_(L.tensor([5.0, 6.0, 7.0]))),
    "inplace/fill_grad_value": lambda L: (lambda y, v: (y.fill_(v), y.sum().backward(), v.grad)[2])(
        leaf(L) * 2, L.tensor(5.0, requires_grad=True)),
    "inplace/copy_grad_source": lambda L: (lambda y, v: (y.copy_(v), (y * L.tensor([1.0, 2.0, 3.0])).sum().backward(),
                                                         v.grad)[2])(
        leaf(L) * 2, L.tensor([1.0, 2.0, 3.0], requires_grad=True)),
    "inplace/copy_into_leaf_under_no_grad": lambda L: (lambda x: (L.no_grad().__enter__(), x.copy_(L.zeros(3)),
                                                                  L.set_grad_enabled(True), x)[3])(leaf(L)),
    "inplace/float_add_int": lambda L: L.tensor([1.0, 2.0]).add_(L.tensor([1, 2])),
    "inplace/broadcast": lambda L: L.ones(2, 3).add_(L.arange(3)),
    "inplace/iadd_is_self": lambda L: (lambda x: iadd(x) is x)(L.ones(2)),
    "inplace/ipow": lambda L: (lambda x: (x.__ipow__(2), x)[1])(L.tensor([2.0, 3.0])),
    "inplace/copy_broadcast_cast": lambda L: (L.zeros(2, 3).copy_(L.tensor([1, 2, 3])),
                                              L.zeros(3, dtype=L.int64).copy_(L.tensor([1.7, 2.2, -1.5]))),
    "inplace/fill_tensor": lambda L: L.zeros(2).fill_(L.tensor(3.0)),
    "inplace/fill_int_float": lambda L: L.zeros(3, dtype=L.int64).fill_(2.7),
    "inplace/zero_is_self": lambda L: (lambda x: x.zero_() is x)(L.ones(2)),
    "inplace/add_alpha": lambda L: L.ones(2).add_(L.ones(2), alpha=3),
    "inplace/math": lambda L: (L.ones(2).addcmul_(L.tensor([2.0, 3.0]), L.tensor([4.0, 5.0]), value=0.5),
                               L.zeros(2).lerp_(L.ones(2), 0.25), L.tensor([2.0, 3.0]).pow_(2),
                               L.tensor([4.0, 9.0]).sqrt_(), L.tensor([4.0, 9.0]).neg_(),
                               L.tensor([1.5, -2.5]).floor_(), L.tensor([1.5, -2.5]).ceil_(),
                               L.tensor([1.5, -2.6]).round_(), L.tensor([1.5, -2.5]).trunc_(),
                               L.tensor([2.0, 4.0]).reciprocal_(), L.tensor([2.0, 4.0]).square_(),
                               arf(L, 3, 3).tril_(), arf(L, 3, 3).triu_(1)),
    "inplace/int_ops": lambda L: (L.tensor([1, 2]).mul_(3), L.tensor([7, -7]).div_(2, rounding_mode="floor"),
                                  L.tensor([True, False]).mul_(L.tensor([True, True]))),
}

ERRORS = {
    # name: (fn, exception type, PyTorch's message)
    "broadcast_shapes/mismatch": (lambda L: L.broadcast_shapes((2, 3), (3,), (5, 1, 4)), RuntimeError,
                                  "Attempting to broadcast a dimension of length 4 at -1! Mismatching argument at "
                                  "index 2 had (5, 1, 4); but expected shape should be broadcastable to [1, 2, 3]"),
    "broadcast_shapes/list": (lambda L: L.broadcast_shapes([2, 3], [4]), RuntimeError,
                              "Attempting to broadcast a dimension of length 4 at -1! Mismatching argument at "
                              "index 1 had [4]; but expected shape should be broadcastable to [2, 3]"),
    "module_compile/bad_mode": (lambda L: L.nn.Linear(2, 2).compile(mode="bad"), RuntimeError,
                                "Unrecognized mode=bad, should be one of: default, lite, reduce-overhead, "
                                "max-autotune-no-cudagraphs, max-autotune"),
    "broadcast_shapes/negative": (lambda L: L.broadcast_shapes((2, -1)), ValueError,
                                  "Attempting to broadcast a dimension with negative length!"),
    "broadcast_tensors/mismatch": (lambda L: L.broadcast_tensors(L.ones(2, 3), L.ones(3), L.ones(4, 1, 2)),
                                   RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
                                   "non-singleton dimension 2"),
    "tensor/requires_grad_int": (lambda L: L.tensor([1], requires_grad=True), RuntimeError,
                                 "Only Tensors of floating point and complex dtype can require gradients"),
    "tensor/ragged": (lambda L: L.tensor([[1, 2], [3]]), ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    "tensor/str_list": (lambda L: L.tensor(["a"]), ValueError, "too many dimensions 'str'"),
    "tensor/str": (lambda L: L.tensor("a"), TypeError, "new(): invalid data type 'str'"),
    "tensor/none": (lambda L: L.tensor([None]), RuntimeError, "Could not infer dtype of NoneType"),
    "zeros/negative": (lambda L: L.zeros(-1), RuntimeError, "zeros: Dimension size must be non-negative."),
    "zeros/no_size": (lambda L: L.zeros(), TypeError, 'zeros() missing 1 required positional arguments: "size"'),
    "ones/no_size": (lambda L: L.ones(dtype=L.float64), TypeError,
                     'ones() missing 1 required positional arguments: "size"'),
    "empty/no_size": (lambda L: L.empty(), TypeError, 'empty() missing 1 required positional arguments: "size"'),
    "zeros/size_twice": (lambda L: L.zeros(2, size=(3,)), TypeError, "zeros() got multiple values for argument 'size'"),
    "ones/negative": (lambda L: L.ones(2, -1), RuntimeError,
                      "Trying to create tensor with negative dimension -1: [2, -1]"),
    "arange/wrong_sign": (lambda L: L.arange(0, 5, -1), RuntimeError,
                          "upper bound and lower bound inconsistent with step sign"),
    "arange/zero_step": (lambda L: L.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    "from_numpy/list": (lambda L: L.from_numpy([1, 2]), TypeError, "expected np.ndarray (got list)"),
    "pow/negative_int": (lambda L: L.tensor([1, 2]) ** -1, RuntimeError,
                         "Integers to negative integer powers are not allowed."),
    "neg/bool": (lambda L: -L.tensor([True]), RuntimeError,
                 "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
                 "use the `~` or `logical_not()` operator instead."),
    "sub/bool": (lambda L: L.tensor([True]) - L.tensor([False]), RuntimeError,
                 "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                 "`logical_xor()` operator instead."),
    **{f"sub/one_bool/{i}": (case, RuntimeError,
                             "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                             "to invert a mask, use the `~` or `logical_not()` operator instead.")
       for i, case in enumerate([lambda L: 1 - L.tensor([True]), lambda L: L.tensor([True]) - 1,
                                 lambda L: L.ones(2) - True, lambda L: L.ones(2) - L.tensor([True, False]),
                                 lambda L: L.tensor([True]).sub(1, alpha=2), lambda L: L.rsub(L.tensor([True]), 1),
                                 lambda L: L.ones(2).sub_(L.tensor([True, False]))])},
    "sub/bool_scalar": (lambda L: L.tensor([True]) - True, RuntimeError,
                        "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                        "`logical_xor()` operator instead."),
    "add/broadcast": (lambda L: L.ones(2, 3) + L.ones(2), RuntimeError,
                      "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    "mul/broadcast_3d": (lambda L: L.ones(2, 3) * L.ones(4, 1, 2), RuntimeError,
                         "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 2"),
    "div/broadcast": (lambda L: L.ones(3) / L.ones(2), RuntimeError,
                      "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    "rsub/broadcast": (lambda L: L.ones(3).__rsub__(L.ones(2)), RuntimeError,
                       "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    "maximum/broadcast": (lambda L: L.maximum(L.ones(2), L.ones(3)), RuntimeError,
                          "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    "mean/int": (lambda L: L.tensor([1, 2]).mean(), RuntimeError,
                 "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
                 "Got: Long"),
    "max/empty": (lambda L: L.zeros(0).max(), RuntimeError,
                  "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                  "with the 'dim' argument."),
    "sum/dim_range": (lambda L: L.ones(2, 3, 4).sum(3), IndexError,
                      "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    "sum/0d_dim": (lambda L: L.tensor(3.0).sum(1), IndexError,
                   "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    "var/int": (lambda L: L.tensor([1, 2]).var(), RuntimeError,
                "std and var only support floating point and complex dtypes"),
    "std/int": (lambda L: L.tensor([1, 2]).std(dim=0), RuntimeError,
                "std and var only support floating point and complex dtypes"),
    "norm/int": (lambda L: L.tensor([1, 2]).norm(), RuntimeError,
                 "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    "norm/int_dtype": (lambda L: L.tensor([1, 2]).norm(dtype=L.float64), RuntimeError,
                       "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    "norm/narrowing_dtype": (lambda L: L.ones(3, dtype=L.float64).norm(dtype=L.float32), RuntimeError,
                             "linalg.vector_norm: the dtype of the input (Double) should be convertible without "
                             "narrowing to the specified dtype (Float)"),
    "norm/str_inf": (lambda L: L.ones(3, 3).norm("inf"), RuntimeError, "linalg.matrix_norm: Order inf not supported."),
    "norm/nuc_3d": (lambda L: L.ones(2, 3, 3).norm("nuc"), RuntimeError,
                    "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    "norm/nuc_1d": (lambda L: L.ones(3).norm("nuc"), RuntimeError,
                    "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    "norm/fro_3_dims": (lambda L: L.ones(2, 3, 3).norm("fro", dim=(0, 1, 2)), RuntimeError,
                        "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    "norm/empty_inf": (lambda L: L.ones(0, 3).norm(float("inf")), RuntimeError,
                       "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does "
                       "not have an identity"),
    "topk/too_many": (lambda L: L.tensor([1, 2, 3]).topk(4), RuntimeError, "selected index k out of range"),
    "view/transposed": (lambda L: L.arange(12).reshape(2, 6).t().view(12), RuntimeError,
                        "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                        "across two contiguous subspaces). Use .reshape(...) instead."),
    "view/permuted": (lambda L: L.arange(24).reshape(2, 3, 4).permute(0, 2, 1).view(2, 12), RuntimeError,
                      "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                      "across two contiguous subspaces). Use .reshape(...) instead."),
    "view/sliced": (lambda L: L.arange(16).reshape(4, 4)[:, :2].view(8), RuntimeError,
                    "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                    "across two contiguous subspaces). Use .reshape(...) instead."),
    "view/size": (lambda L: L.arange(12).view(5, 2), RuntimeError, "shape '[5, 2]' is invalid for input of size 12"),
    "view/two_inferred": (lambda L: L.arange(12).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    "reshape/size": (lambda L: L.arange(12).reshape(5, -1), RuntimeError,
                     "shape '[5, -1]' is invalid for input of size 12"),
    "permute/count": (lambda L: L.ones(2, 3, 4).permute(0, 1), RuntimeError,
                      "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                      "desired ordering of dimensions i.e. input.dim() = 3 is not equal to len(dims) = 2"),
    "permute/duplicate": (lambda L: L.ones(2, 3, 4).permute(0, 1, 1), RuntimeError,
                          "permute(): duplicate dims are not allowed."),
    "transpose/dim": (lambda L: L.ones(2, 3).transpose(0, 2), IndexError,
                      "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    "t/3d": (lambda L: L.ones(2, 3, 4).t(), RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    "unflatten/sizes": (lambda L: L.ones(2, 12).unflatten(1, (5, 4)), RuntimeError,
                        "unflatten: Provided sizes [5, 4] don't multiply up to the size of dim 1 (12) in the input "
                        "tensor"),
    "squeeze/dim": (lambda L: L.zeros(1, 3, 1).squeeze(3), IndexError,
                    "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    "unsqueeze/dim": (lambda L: L.zeros(2, 3).unsqueeze(3), IndexError,
                      "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    "expand/size": (lambda L: L.tensor([1, 2]).expand(3, 3), RuntimeError,
                    "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 1."
                    "  Target sizes: [3, 3].  Tensor sizes: [2]"),
    "expand/last_mismatch": (lambda L: L.ones(2, 3).expand(3, 4), RuntimeError,
                             "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
                             "dimension 1.  Target sizes: [3, 4].  Tensor sizes: [2, 3]"),
    "expand/leading_minus_one": (lambda L: L.ones(1, 3).expand(-1, -1, 3), RuntimeError,
                                 "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                 "dimension 0"),
    "repeat/too_few": (lambda L: L.ones(2, 2).repeat(2), RuntimeError,
                       "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    "split/sizes": (lambda L: L.arange(10).split([3, 6]), RuntimeError,
                    "split_with_sizes expects split_sizes to sum exactly to 10 (input tensor's size at dimension 0), "
                    "but got split_sizes=[3, 6]"),
    "cat/sizes": (lambda L: L.cat([L.ones(2, 3), L.ones(2, 1)]), RuntimeError,
                  "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 1 for tensor "
                  "number 1 in the list."),
    "cat/ndim": (lambda L: L.cat([L.ones(2, 3), L.ones(3)]), RuntimeError,
                 "Tensors must have same number of dimensions: got 2 and 1"),
    "cat/empty": (lambda L: L.cat([]), ValueError, "torch.cat(): expected a non-empty list of Tensors"),
    "cat/0d": (lambda L: L.cat([L.tensor(1), L.tensor(2)]), RuntimeError,
               "zero-dimensional tensor (at position 0) cannot be concatenated"),
    "stack/sizes": (lambda L: L.stack([L.arange(3), L.arange(2)]), RuntimeError,
                    "stack expects each tensor to be equal size, but got [3] at entry 0 and [2] at entry 1"),
    "size/dim": (lambda L: L.ones(2, 3).size(2), IndexError,
                 "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    "len/0d": (lambda L: len(L.tensor(1)), TypeError, "len() of a 0-d tensor"),
    "iter/0d": (lambda L: list(L.tensor(1)), TypeError, "iteration over a 0-d tensor"),
    "index/out_of_bounds": (lambda L: L.ones(3, 4)[3], IndexError,
                            "index 3 is out of bounds for dimension 0 with size 3"),
    "index/out_of_bounds_dim1": (lambda L: L.ones(3, 4)[0, 4], IndexError,
                                 "index 4 is out of bounds for dimension 1 with size 4"),
    "index/out_of_bounds_ellipsis": (lambda L: L.ones(2, 3, 4)[..., 4], IndexError,
                                     "index 4 is out of bounds for dimension 1 with size 4"),
    "index/out_of_bounds_after_slice": (lambda L: L.ones(2, 3, 4)[1:2, ..., -5], IndexError,
                                        "index -5 is out of bounds for dimension 2 with size 4"),
    "index/out_of_bounds_after_none": (lambda L: L.ones(3, 4)[None, 5], IndexError,
                                       "index 5 is out of bounds for dimension 1 with size 3"),
    "index/negative_step": (lambda L: L.arange(6)[::-1], ValueError, "step must be greater than zero"),
    "index/zero_step": (lambda L: L.arange(6)[::0], ValueError, "slice step cannot be zero"),
    "index/mask_shape": (lambda L: L.ones(3, 4)[L.tensor([True, False])], IndexError,
                         "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
                         "[3, 4] at index 0"),
    "index/mask_shape_after_int": (lambda L: L.ones(2, 3, 4)[0, L.ones(3, 3, dtype=L.bool)], IndexError,
                                   "The shape of the mask [3, 3] at index 1 does not match the shape of the indexed "
                                   "tensor [3, 4] at index 1"),
    "index/long_out_of_bounds": (lambda L: L.ones(3, 4)[L.tensor([0, 3])], IndexError,
                                 "index 3 is out of bounds for dimension 0 with size 3"),
    "index/float": (lambda L: L.ones(3, 4)[L.tensor([0.0])], IndexError,
                    "tensors used as indices must be long, int, byte or bool tensors"),
    "index/too_many": (lambda L: L.ones(3, 4)[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    "setitem/shape": (lambda L: setitem(L, 1, lambda L: L.tensor([1.0, 2.0])), RuntimeError,
                      "The expanded size of the tensor (4) must match the existing size (2) at non-singleton "
                      "dimension 0.  Target sizes: [4].  Tensor sizes: [2]"),
    "setitem/column_shape": (lambda L: setitem(L, (slice(None), 0), lambda L: L.ones(4)), RuntimeError,
                             "The expanded size of the tensor (3) must match the existing size (4) at non-singleton "
                             "dimension 0.  Target sizes: [3].  Tensor sizes: [4]"),
    "setitem/too_many_dims": (lambda L: setitem(L, 0, lambda L: L.ones(2, 4)), RuntimeError,
                              r"expand\((torch|npgrad)\.FloatTensor\{\[2, 4\]\}, size=\[4\]\): the number of "
                              r"sizes provided \(1\) must be greater or equal to the number of dimensions in the "
                              r"tensor \(2\)"),
    "setitem/mask_values": (lambda L: setitem(L, lambda L: arf(L, 3, 4) > 5, lambda L: L.ones(2)), RuntimeError,
                            "shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of "
                            "shape [6]"),
    "setitem/index_values": (lambda L: setitem(L, lambda L: L.tensor([0, 1]), lambda L: L.ones(3, 4)), RuntimeError,
                             "shape mismatch: value tensor of shape [3, 4] cannot be broadcast to indexing result of "
                             "shape [2, 4]"),
    "cmp/broadcast": (lambda L: L.ones(2, 3) == L.tensor([1.0, 2.0]), RuntimeError,
                      "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    "logical/broadcast": (lambda L: L.ones(2, 3).logical_and(L.ones(2)), RuntimeError,
                          "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    "invert/float": (lambda L: ~L.ones(2), TypeError,
                     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    "and/float": (lambda L: L.ones(2) & L.ones(2), NotImplementedError,
                  '"bitwise_and_cpu" not implemented for \'Float\''),
    "or/float_scalar": (lambda L: L.tensor([1, 2]) | 1.5, NotImplementedError,
                        '"bitwise_or_cpu" not implemented for \'Float\''),
    "where/float_condition": (lambda L: L.where(L.ones(2), L.ones(2), L.ones(2)), RuntimeError,
                              "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    "where/long_condition": (lambda L: L.where(L.tensor([1]), L.ones(1), L.ones(1)), RuntimeError,
                             "where expected condition to be a boolean tensor, but got a tensor with dtype Long"),
    "where/broadcast": (lambda L: L.where(L.ones(3) > 0, L.ones(2), 0.0), RuntimeError,
                        "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    "clamp/no_bounds": (lambda L: L.ones(2).clamp(), RuntimeError,
                        "torch.clamp: At least one of 'min' or 'max' must not be None"),
    "masked_fill/long_mask": (lambda L: L.ones(2).masked_fill(L.tensor([1, 0]), 0.0), RuntimeError,
                              "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    "masked_fill/uint8_mask": (lambda L: L.ones(2).masked_fill(L.tensor([1, 0], dtype=L.uint8), 0.0), RuntimeError,
                               "masked_fill_ only supports boolean masks, but got mask with dtype unsigned char"),
    "masked_fill/broadcast": (lambda L: L.ones(2, 3).masked_fill(L.ones(2) > 0, 0.0), RuntimeError,
                              "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                              "dimension 1"),
    "masked_fill/value_dims": (lambda L: L.ones(3).masked_fill(L.ones(3) > 0, L.tensor([1.0, 2.0])), RuntimeError,
                               "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
                               "dimension(s)."),
    "gather/out_of_bounds": (lambda L: L.ones(3, 4).gather(1, L.tensor([[4], [2], [1]])), RuntimeError,
                             "index 4 is out of bounds for dimension 1 with size 4"),
    "gather/negative": (lambda L: L.ones(3, 4).gather(1, L.tensor([[-1]])), RuntimeError,
                        "index -1 is out of bounds for dimension 1 with size 4"),
    "gather/ndim": (lambda L: L.ones(3, 4).gather(1, L.tensor([1, 2, 1])), RuntimeError,
                    "Index tensor must have the same number of dimensions as input tensor"),
    "gather/size": (lambda L: L.ones(3, 4).gather(0, L.tensor([[1] * 5])), RuntimeError,
                    "Size does not match at dimension 1 expected index [1, 5] to be no larger than self [3, 4] apart "
                    "from dimension 0"),
    "gather/float_index": (lambda L: L.ones(3, 4).gather(1, L.tensor([[1.0]])), RuntimeError,
                           "gather(): Expected dtype int32/int64 for index"),
    "scatter/out_of_bounds": (lambda L: L.ones(3, 4).scatter(1, L.tensor([[4]]), 1.0), RuntimeError,
                              "index 4 is out of bounds for dimension 1 with size 4"),
    "index_select/out_of_bounds": (lambda L: L.ones(3, 4).index_select(1, L.tensor([4])), RuntimeError,
                                   "INDICES element is out of DATA bounds, id=4 axis_dim=4"),
    "index_select/2d_index": (lambda L: L.ones(3, 4).index_select(0, L.tensor([[0]])), IndexError,
                              "index_select(): Index is supposed to be a vector"),
    "item/many": (lambda L: L.tensor([1, 2]).item(), RuntimeError,
                  "a Tensor with 2 elements cannot be converted to Scalar"),
    "numpy/requires_grad": (lambda L: leaf(L).numpy(), RuntimeError,
                            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    "numpy/non_leaf": (lambda L: (leaf(L) * 2).numpy(), RuntimeError,
                       "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    "float/many": (lambda L: float(L.tensor([1.0, 2.0])), ValueError,
                   "only one element tensors can be converted to Python scalars"),
    "int/many": (lambda L: int(L.tensor([1, 2])), ValueError,
                 "only one element tensors can be converted to Python scalars"),
    "bool/many": (lambda L: bool(L.tensor([1.0, 2.0])), RuntimeError,
                  "Boolean value of Tensor with more than one value is ambiguous"),
    "bool/if": (lambda L: 1 if L.ones(2) > 0 else 0, RuntimeError,
                "Boolean value of Tensor with more than one value is ambiguous"),
    "bool/empty": (lambda L: bool(L.tensor([])), RuntimeError, "Boolean value of Tensor with no values is ambiguous"),
    "index/float_tensor": (lambda L: [1, 2][L.tensor(1.0)], TypeError,
                           "only integer tensors of a single element can be converted to an index"),
    "allclose/dtypes": (lambda L: L.allclose(L.ones(2), L.ones(2).double()), RuntimeError,
                        "Float did not match Double"),
    "isclose/dtypes": (lambda L: L.isclose(L.tensor([1.0]), L.tensor([1])), RuntimeError, "Float did not match Long"),
    "requires_grad_/int": (lambda L: L.ones(2, dtype=L.int64).requires_grad_(), RuntimeError,
                           "only Tensors of floating point dtype can require gradients"),
    "requires_grad_/non_leaf": (lambda L: (leaf(L) * 2).requires_grad_(False), RuntimeError,
                                "you can only change requires_grad flags of leaf variables. If you want to use a "
                                "computed variable in a subgraph that doesn't require differentiation use "
                                "var_no_grad = var.detach()."),
    "requires_grad/set_int": (lambda L: setattr(L.tensor([1]), "requires_grad", True), RuntimeError,
                              "only Tensors of floating point and complex dtype can require gradients"),
    "requires_grad/set_non_leaf_true": (lambda L: setattr(leaf(L) * 2, "requires_grad", True), RuntimeError,
                                        "you can only change requires_grad flags of leaf variables."),
    "requires_grad/set_non_leaf": (lambda L: setattr(leaf(L) * 2, "requires_grad", False), RuntimeError,
                                   "you can only change requires_grad flags of leaf variables. If you want to use a "
                                   "computed variable in a subgraph that doesn't require differentiation use "
                                   "var_no_grad = var.detach()."),
    "backward/non_scalar": (lambda L: (leaf(L) * 2).backward(), RuntimeError,
                            "grad can be implicitly created only for scalar outputs"),
    "backward/no_grad": (lambda L: L.ones(2).sum().backward(), RuntimeError,
                         "element 0 of tensors does not require grad and does not have a grad_fn"),
    "backward/int_output": (lambda L: (leaf(L) > 1).sum().backward(), RuntimeError,
                            "element 0 of tensors does not require grad and does not have a grad_fn"),
    "backward/gradient_shape": (lambda L: (leaf(L) * 2).backward(L.ones(2)), RuntimeError,
                                r"Mismatch in shape: grad_output\[0\] has a shape of (torch|npgrad)\.Size\(\[2\]\) and "
                                r"output\[0\] has a shape of (torch|npgrad)\.Size\(\[3\]\)\."),
    "backward/twice": (lambda L: (lambda y: (y.backward(), y.backward()))(leaf(L).exp().sum()), RuntimeError,
                       "Trying to backward through the graph a second time (or directly access saved tensors after "
                       "they have already been freed)."),
    "inplace/fill_dims": (lambda L: L.zeros(2).fill_(L.tensor([3.0, 1.0])), RuntimeError,
                          "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    "inplace/broadcast": (lambda L: L.ones(3).add_(L.ones(2, 3)), RuntimeError,
                          "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    "inplace/masked_fill_broadcast": (lambda L: L.ones(3).masked_fill_(L.ones(2, 3) > 0, 0.0), RuntimeError,
                                      "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    "inplace/copy_broadcast": (lambda L: L.zeros(3).copy_(L.ones(2, 3)), RuntimeError,
                               "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    "inplace/copy_size": (lambda L: L.zeros(3).copy_(L.ones(2)), RuntimeError,
                          "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    "inplace/int_add_float": (lambda L: L.tensor([1, 2]).add_(1.5), RuntimeError,
                              "result type Float can't be cast to the desired output type Long"),
    "inplace/int_mul_float_tensor": (lambda L: L.tensor([1, 2]).mul_(L.tensor([1.5, 1.5])), RuntimeError,
                                     "result type Float can't be cast to the desired output type Long"),
    "inplace/int_add_0d_float": (lambda L: L.tensor([1, 2]).add_(L.tensor(1.5)), RuntimeError,
                                 "result type Float can't be cast to the desired output type Long"),
    "inplace/int_div": (lambda L: L.tensor([1, 2]).div_(2), RuntimeError,
                        "result type Float can't be cast to the desired output type Long"),
    "inplace/bool_add": (lambda L: L.tensor([True]).add_(1), RuntimeError,
                         "result type Long can't be cast to the desired output type Bool"),
    "inplace/int_iadd_float": (lambda L: iadd(L.tensor([1, 2]), 0.5), RuntimeError,
                               "result type Float can't be cast to the desired output type Long"),
    **{f"inplace/leaf_{k}": (f, RuntimeError,
                             "a leaf Variable that requires grad is being used in an in-place operation.")
       for k, f in {
           "add_": lambda L: leaf(L).add_(1), "mul_": lambda L: leaf(L).mul_(2), "iadd": lambda L: iadd(leaf(L)),
           "zero_": lambda L: leaf(L).zero_(), "fill_": lambda L: leaf(L).fill_(1.0),
           "copy_": lambda L: leaf(L).copy_(L.zeros(3)), "clamp_": lambda L: leaf(L).clamp_(0, 1),
           "masked_fill_": lambda L: leaf(L).masked_fill_(L.tensor([True, False, True]), 0.0),
           "uniform_": lambda L: leaf(L).uniform_(), "normal_": lambda L: leaf(L).normal_(),
           "scatter_": lambda L: leaf(L).scatter_(0, L.tensor([0]), 1.0), "sub_": lambda L: leaf(L).sub_(L.ones(3)),
           "div_": lambda L: leaf(L).div_(2), "exp_": lambda L: leaf(L).exp_(), "relu_": lambda L: leaf(L).relu_(),
           "ipow": lambda L: leaf(L).__ipow__(2), "index_fill_": lambda L: leaf(L).index_fill_(0, L.tensor([0]), 1.0),
           "setitem_mask": lambda L: leaf(L).__setitem__(L.tensor([True, False, True]), 1.0),
           "setitem_long": lambda L: leaf(L).__setitem__(L.tensor([0]), 1.0),
           "setitem_full_slice": lambda L: leaf(L).__setitem__(slice(None), 1.0),
           "setitem_ellipsis": lambda L: leaf(L).__setitem__(Ellipsis, 1.0),
       }.items()},
    **{f"inplace/view_of_leaf_{k}": (f, RuntimeError,
                                     "a view of a leaf Variable that requires grad is being used in an in-place "
                                     "operation.")
       for k, f in {
           "setitem_int": lambda L: leaf(L).__setitem__(0, 1.0),
           "setitem_slice": lambda L: leaf(L).__setitem__(slice(1, None), 1.0),
           "view_add_": lambda L: leaf(L).view(3).add_(1),
           "slice_add_": lambda L: leaf(L)[:2].add_(1),
           "chain_zero_": lambda L: leaf(L).view(3, 1)[1:].zero_(),
           "slice_copy_": lambda L: leaf(L)[1:].copy_(L.ones(2)),
           "unsqueeze_mul_": lambda L: leaf(L).unsqueeze(0).mul_(2),
       }.items()},
}


def describe(L, out):
    """What a result is, as JSON-able data: kind, dtype, shape, requires_grad and values."""
    if isinstance(out, L.Tensor):
        return {"t": "tensor", "dtype": str(out.dtype).split(".")[-1], "shape": list(out.shape),
                "rg": out.requires_grad, "v": out.detach().numpy().tolist()}
    if isinstance(out, L.Size):
        return {"t": "Size", "v": list(out)}
    if isinstance(out, tuple) and hasattr(type(out), "__match_args__"):  # torch.return_types
        fields = type(out).__match_args__
        return {"t": "named", "fields": list(fields), "n": out.n_fields, "v": [describe(L, o) for o in out],
                "attrs": [describe(L, getattr(out, f)) for f in fields]}
    if isinstance(out, (tuple, list)):
        return {"t": type(out).__name__, "v": [describe(L, o) for o in out]}
    if isinstance(out, L.dtype):
        return {"t": "dtype", "v": str(out).split(".")[-1]}
    if isinstance(out, np.ndarray):
        return {"t": "ndarray", "dtype": str(out.dtype), "v": out.tolist()}
    if out is None:
        return {"t": "None"}
    if isinstance(out, (bool, int, float, str)):
        return {"t": type(out).__name__, "v": out}
    raise TypeError(f"cannot describe {type(out).__name__}")


def assert_same(got, ref, where):
    """Equal structure, types and exact values; floats to float32 rounding, NaN equal to NaN."""
    assert type(got) is type(ref), f"{where}: {got!r} != {ref!r}"
    if isinstance(ref, dict):
        assert sorted(got) == sorted(ref), f"{where}: {sorted(got)} != {sorted(ref)}"
        for k in ref:
            assert_same(got[k], ref[k], f"{where}.{k}")
    elif isinstance(ref, list):
        assert len(got) == len(ref), f"{where}: {got!r} != {ref!r}"
        for i, (g, r) in enumerate(zip(got, ref)):
            assert_same(g, r, f"{where}[{i}]")
    elif isinstance(ref, float):
        assert got == pytest.approx(ref, rel=2e-6, abs=1e-7, nan_ok=True), f"{where}: {got!r} != {ref!r}"
    else:
        assert got == ref, f"{where}: {got!r} != {ref!r}"


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    import importlib

    fn = CASES[name]
    torch = lambda: importlib.import_module("torch")  # noqa: E731  (imported only where torch is wanted)
    ref = golden.json(name, lambda: describe(torch(), fn(torch())))
    got = json.loads(json.dumps(describe(npgrad, fn(npgrad))))
    assert_same(got, ref, name)


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_matches_torch(name):
    fn, exc, message = ERRORS[name]
    pattern = message if message.startswith("expand\\(") or "Size\\(" in message else re.escape(message)
    if HAVE_TORCH:
        import torch

        with pytest.raises(exc, match=pattern):
            fn(torch)
    with pytest.raises(exc, match=pattern):
        fn(npgrad)
