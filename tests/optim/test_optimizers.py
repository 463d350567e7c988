"""Every optimizer against torch.optim: 25-step trajectories, fused kernel vs NumPy reference, Rosenbrock.

* Trajectories: a small float64 MLP, synced initial weights, one table of option
  combinations per algorithm; each step goes through ``step(closure)``. Halfway,
  the npgrad optimizer's ``state_dict`` is written with ``npgrad.save``, read
  back with ``npgrad.load`` and loaded into a fresh optimizer. Losses and final
  weights must match torch to ``rtol=1e-6``; the state dict's structure (keys,
  group hyper-parameters) must equal torch's.
* Kernels: the fused Numba pass and the NumPy reference (``fused=False`` /
  ``numpy_reference()``) evaluate the same formula, so they agree bit for bit,
  in float32 and float64, including the multi-threaded split of large arrays.
* Rosenbrock: each optimizer makes real progress from (-1.5, 2).
"""
import copy
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from oracle import Golden, torch  # noqa: E402

import npgrad  # noqa: E402
from npgrad.optim.optimizer import numpy_reference  # noqa: E402

golden = Golden("optim_trajectories")

STEPS = 25
RTOL = 1e-6

# (optimizer, options) -- every argument of every algorithm appears somewhere
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True, foreach=False)),
    ("SGD", dict(lr=0.05, momentum=0.9, fused=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.005, betas=(0.5, 0.9), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, fused=False, amsgrad=True, weight_decay=0.05)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, foreach=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-8)),
    ("Adagrad", dict(lr=0.01, maximize=True, fused=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, centered=True, momentum=0.5, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1), maximize=True)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.05, lambd=1e-3, alpha=0.5, t0=10, weight_decay=0.1)),
    ("ASGD", dict(lr=0.01, t0=0, maximize=True)),
    ("LBFGS", dict(lr=0.5, max_iter=4)),
    ("LBFGS", dict(lr=1, max_iter=2, history_size=3, tolerance_change=1e-12, line_search_fn="strong_wolfe")),
    ("Adafactor", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.01, beta2_decay=-0.5, eps=(1e-20, 1e-3), d=1.5, weight_decay=0.1, maximize=True)),
]

MATRIX_CASES = [  # Muon optimizes 2-D weights only
    ("Muon", dict(lr=0.02)),
    ("Muon", dict(lr=0.02, weight_decay=0.01, momentum=0.9, nesterov=False, ns_steps=3,
                  adjust_lr_fn="match_rms_adamw")),
    ("Muon", dict(lr=0.02, eps=1e-5, ns_coefficients=(3.0, -3.2, 1.2), adjust_lr_fn="original")),
]

KERNEL_FREE = {"LBFGS", "Adafactor", "Muon"}  # not elementwise: reductions, matmuls or line searches


def case_id(case):
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


# ---------------------------------------------------------------------------
# The model: a 3-4-2 tanh MLP in float64, written against either library
# ---------------------------------------------------------------------------

_rng = np.random.default_rng(20240517)
X = _rng.standard_normal((8, 3))
Y = _rng.standard_normal((8, 2))
INIT = [_rng.standard_normal(s) * 0.5 for s in [(4, 3), (4,), (2, 4), (2,)]]
INIT_MATRICES = [_rng.standard_normal(s) * 0.5 for s in [(4, 3), (2, 4)]]


def mlp_loss(lib, params, x, y):
    if len(params) == 4:
        w1, b1, w2, b2 = params
        out = lib.tanh(x @ w1.T + b1) @ w2.T + b2
    else:
        w1, w2 = params
        out = lib.tanh(x @ w1.T) @ w2.T
    return ((out - y) ** 2).mean()


def run_trajectory(lib, name, options, init, steps=STEPS, reload_at=None, tmp_path=None, dtype=np.float64):
    """Losses per step and final weights of ``steps`` optimizer steps on the MLP."""
    params = [lib.tensor(a.astype(dtype), requires_grad=True) for a in init]
    if lib is npgrad:
        params = [npgrad.nn.Parameter(p.detach()) for p in params]
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
    opt = getattr(lib.optim, name)(params, **options)

    def closure():
        opt.zero_grad()
        loss = mlp_loss(lib, params, x, y)
        loss.backward()
        return loss

    losses = []
    for step in range(steps):
        if step == reload_at:
            path = tmp_path / "optim.npgrad"
            npgrad.save(opt.state_dict(), path)
            opt = getattr(lib.optim, name)(params, **options)
            opt.load_state_dict(npgrad.load(path))
        losses.append(opt.step(closure).item())
    return np.array(losses), [p.detach().numpy().copy() for p in params], opt


def describe_state_dict(sd):
    """The structure of an optimizer state dict, in a form the golden files can hold."""
    state = {}
    for index, entries in sd["state"].items():
        state[str(index)] = ",".join(sorted(entries))
    groups = [{k: repr(v) for k, v in group.items() if k != "params"} for group in sd["param_groups"]]
    params = [np.array(group["params"]) for group in sd["param_groups"]]
    return {"state": state, "groups": groups, "params": params}


def torch_reference(name, options, init, dtype="float64"):
    def compute():
        torch.manual_seed(0)
        losses, weights, opt = run_trajectory(torch, name, options, init,
                                              dtype=np.float64 if dtype == "float64" else np.float32)
        return {"losses": losses, "weights": weights, "state_dict": describe_state_dict(opt.state_dict())}
    return golden(f"{dtype}/{case_id((name, options))}", compute)


def describe_npgrad_state_dict(sd):
    out = describe_state_dict(sd)
    # tuples/None/bools print the same; npgrad's tensors print as npgrad's
    return out


@pytest.mark.parametrize("case", CASES + MATRIX_CASES, ids=case_id)
def test_trajectory_matches_torch(case, tmp_path):
    name, options = case
    init = INIT_MATRICES if name == "Muon" else INIT
    ref = torch_reference(name, copy.deepcopy(options), init)
    losses, weights, opt = run_trajectory(npgrad, name, copy.deepcopy(options), init,
                                          reload_at=STEPS // 2, tmp_path=tmp_path)
    np.testing.assert_allclose(losses, ref["losses"], rtol=RTOL, atol=1e-12)
    for w, w_ref in zip(weights, ref["weights"]):
        np.testing.assert_allclose(w, w_ref, rtol=RTOL, atol=1e-12)
    # the loss must have moved: the trajectory exercises the update
    assert not np.allclose(losses[0], losses[-1])

    mine, theirs = describe_state_dict(opt.state_dict()), ref["state_dict"]
    assert mine["state"] == theirs["state"]
    assert mine["groups"] == [dict(g) for g in theirs["groups"]]
    for a, b in zip(mine["params"], theirs["params"]):
        np.testing.assert_array_equal(a, b)


FLOAT32_CASES = [c for c in CASES if c[0] in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam")][::2]


@pytest.mark.parametrize("case", FLOAT32_CASES, ids=case_id)
def test_float32_trajectory_matches_torch(case):
    name, options = case
    ref = torch_reference(name, copy.deepcopy(options), INIT, dtype="float32")
    losses, weights, _ = run_trajectory(npgrad, name, copy.deepcopy(options), INIT, dtype=np.float32)
    assert all(w.dtype == np.float32 for w in weights)
    np.testing.assert_allclose(losses, ref["losses"], rtol=2e-5, atol=1e-6)
    for w, w_ref in zip(weights, ref["weights"]):
        np.testing.assert_allclose(w, w_ref, rtol=2e-5, atol=1e-6)


def test_sparse_adam_matches_torch_on_sparse_rows():
    """SparseAdam: npgrad's dense gradient with zero rows = torch's sparse gradient of the other rows."""
    rng = np.random.default_rng(3)
    init = rng.standard_normal((6, 3))
    grads = [rng.standard_normal((6, 3)) * (rng.random((6, 1)) < 0.5) for _ in range(STEPS)]

    def compute():
        p = torch.tensor(init, requires_grad=True)
        opt = torch.optim.SparseAdam([p], lr=0.1, betas=(0.8, 0.99), eps=1e-6)
        trajectory = []
        for g in grads:
            p.grad = torch.tensor(g).to_sparse()
            opt.step()
            trajectory.append(p.detach().numpy().copy())
        return np.stack(trajectory)

    ref = golden("SparseAdam/rows", compute)
    p = npgrad.nn.Parameter(npgrad.tensor(init))
    opt = npgrad.optim.SparseAdam([p], lr=0.1, betas=(0.8, 0.99), eps=1e-6)
    for i, g in enumerate(grads):
        p.grad = npgrad.tensor(g)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), ref[i], rtol=RTOL, atol=1e-12)
        untouched = ~np.any(g != 0, axis=1)
        if i == 0:
            np.testing.assert_array_equal(p.detach().numpy()[untouched], init[untouched])
    assert opt.state[p]["step"] == STEPS and isinstance(opt.state[p]["step"], int)


# ---------------------------------------------------------------------------
# Fused Numba pass against the NumPy reference: the same formula, bit for bit
# ---------------------------------------------------------------------------

def _step_copies(name, options, dtype, size_scale=1, steps=3):
    rng = np.random.default_rng(7)
    shapes = [(4 * size_scale, 3), (5,)]
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    results = []
    for reference in (False, True):
        params = [npgrad.nn.Parameter(npgrad.tensor(a.copy())) for a in init]
        opt = getattr(npgrad.optim, name)(params, **options)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = npgrad.tensor(g)
            if reference:
                with numpy_reference():
                    opt.step()
            else:
                opt.step()
        results.append(([p.detach().numpy() for p in params],
                        [{k: np.asarray(v._data if hasattr(v, "_data") else v) for k, v in opt.state[p].items()}
                         for p in params]))
    return results


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", [c for c in CASES if c[0] not in KERNEL_FREE], ids=case_id)
def test_fused_kernel_equals_numpy_reference(case, dtype):
    name, options = case
    options = {k: v for k, v in options.items() if k != "fused"}
    (fused_w, fused_s), (ref_w, ref_s) = _step_copies(name, options, dtype)
    for a, b in zip(fused_w, ref_w):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
    for sa, sb in zip(fused_s, ref_s):
        assert sa.keys() == sb.keys()
        for key in sa:
            np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


@pytest.mark.parametrize("layer", ["omp", "workqueue"])
@pytest.mark.parametrize("name, options", [("AdamW", dict(lr=0.01, amsgrad=True)),
                                           ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9))])
def test_fused_kernel_threaded_split_equals_reference(name, options, layer, monkeypatch):
    """Arrays large enough to be cut into one chunk per thread: in a parallel region, or (where Numba's
    threading layer is the workqueue) on the thread pool."""
    from npgrad.kernels import optim as kernels

    kernels._regions()
    monkeypatch.setattr(kernels, "_LAYER", [layer])
    if layer == "workqueue":   # no region may be launched
        monkeypatch.setattr(kernels, "PARALLEL", {f: None for f in kernels.PARALLEL})

    size_scale = 2 * kernels._MIN_PER_THREAD // 3 + 7  # > 2 chunks' worth, not a multiple of 64
    (fused_w, _), (ref_w, _) = _step_copies(name, options, np.float64, size_scale=size_scale, steps=2)
    for a, b in zip(fused_w, ref_w):
        np.testing.assert_array_equal(a, b)


def test_non_contiguous_parameter_uses_reference_path():
    base = np.arange(12.0).reshape(3, 4)
    p = npgrad.nn.Parameter(npgrad.tensor(base))
    p._data = p._data.T  # a transposed view: not C-contiguous
    p.grad = npgrad.tensor(np.ones((4, 3)))
    npgrad.optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), base.T - 0.1)


# ---------------------------------------------------------------------------
# Behaviour every optimizer shares
# ---------------------------------------------------------------------------

ELEMENTWISE = sorted({c[0] for c in CASES if c[0] not in KERNEL_FREE | {"SparseAdam"}})
WITH_MAXIMIZE = ELEMENTWISE + ["Adafactor"]


def _one_step(name, grad, options, init=None):
    init = np.array([[1.0, -2.0], [0.5, 3.0]]) if init is None else init
    p = npgrad.nn.Parameter(npgrad.tensor(init))
    opt = getattr(npgrad.optim, name)([p], **options)
    p.grad = npgrad.tensor(grad)
    opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("name", WITH_MAXIMIZE)
def test_maximize_flips_direction(name):
    """maximize=True on f takes exactly the step of minimizing -f, and increases f = <c, w>."""
    c = np.array([[0.3, -1.2], [2.0, 0.7]])
    up = _one_step(name, c, dict(lr=0.01, maximize=True))
    down_of_negative = _one_step(name, -c, dict(lr=0.01))
    down = _one_step(name, c, dict(lr=0.01))
    np.testing.assert_array_equal(up, down_of_negative)
    init = np.array([[1.0, -2.0], [0.5, 3.0]])
    assert np.sum(c * up) > np.sum(c * init) > np.sum(c * down)


@pytest.mark.parametrize("name", ELEMENTWISE + ["Adafactor", "SparseAdam"])
def test_parameters_without_grad_are_untouched(name):
    a = npgrad.nn.Parameter(npgrad.tensor([1.0, 2.0]))
    b = npgrad.nn.Parameter(npgrad.tensor([3.0, 4.0]))
    opt = getattr(npgrad.optim, name)([a, b], lr=0.1)
    a.grad = npgrad.tensor([0.5, -0.5])
    for _ in range(2):
        opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), [3.0, 4.0])
    assert not np.array_equal(a.detach().numpy(), [1.0, 2.0])
    if name != "Adagrad":  # Adagrad builds every state in its constructor, as PyTorch
        assert b not in opt.state


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n != "Rprop"])
def test_zero_learning_rate_leaves_parameters_untouched(name):
    # (Rprop's step sizes start at lr but are clamped to step_sizes[0] = 1e-6, as in PyTorch)
    w = _one_step(name, np.ones((2, 2)), dict(lr=0.0))
    np.testing.assert_array_equal(w, [[1.0, -2.0], [0.5, 3.0]])


def test_zero_grad_to_none_and_to_zeros():
    p = npgrad.nn.Parameter(npgrad.tensor([1.0, 2.0]))
    opt = npgrad.optim.SGD([p], lr=0.1)
    p.grad = npgrad.tensor([1.0, 1.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_adamw_is_adam_with_decoupled_weight_decay():
    grad = np.array([[0.3, -1.2], [2.0, 0.7]])
    a = _one_step("AdamW", grad, dict(lr=0.01, weight_decay=0.1))
    b = _one_step("Adam", grad, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True))
    np.testing.assert_array_equal(a, b)
    assert isinstance(npgrad.optim.AdamW([npgrad.nn.Parameter(npgrad.ones(1))]), npgrad.optim.Adam)


def test_sgd_momentum_is_the_seed_formula():
    """PyTorch's momentum: v = m*v + g; w = w - lr*v (the first v is g)."""
    p = npgrad.nn.Parameter(npgrad.tensor([1.0], dtype=npgrad.float64))
    opt = npgrad.optim.SGD([p], lr=0.1, momentum=0.9)
    w, v = 1.0, None
    for g in [0.5, -0.2, 0.3]:
        p.grad = npgrad.tensor([g], dtype=npgrad.float64)
        opt.step()
        v = g if v is None else 0.9 * v + g
        w = w - 0.1 * v
        np.testing.assert_allclose(p.detach().numpy(), [w], rtol=1e-15)


# ---------------------------------------------------------------------------
# Convergence on the Rosenbrock function (analytic gradient, no torch needed)
# ---------------------------------------------------------------------------

def rosenbrock(w):
    x, y = w
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(w):
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


ROSENBROCK = [  # (optimizer, options, steps, required final value); f = 12.5 at the start
    ("SGD", dict(lr=1e-3, momentum=0.9), 3000, 1e-8),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True), 3000, 1e-6),
    ("Adam", dict(lr=0.05), 3000, 1e-10),
    ("AdamW", dict(lr=0.05, weight_decay=0.0), 3000, 1e-10),
    ("Adagrad", dict(lr=1.0), 3000, 5e-2),
    ("Adadelta", dict(lr=0.5), 3000, 0.5),
    ("Adamax", dict(lr=0.1), 3000, 1e-8),
    ("NAdam", dict(lr=0.01), 3000, 1e-3),
    ("RAdam", dict(lr=0.01), 3000, 0.2),
    ("RMSprop", dict(lr=3e-3), 3000, 1e-2),
    ("Rprop", dict(lr=1e-3), 3000, 1e-3),
    ("ASGD", dict(lr=1e-3), 3000, 0.1),
    ("Adafactor", dict(lr=0.01), 3000, 0.1),
]


@pytest.mark.parametrize("name, options, steps, target", ROSENBROCK, ids=lambda v: str(v))
def test_rosenbrock_convergence(name, options, steps, target):
    w = npgrad.nn.Parameter(npgrad.tensor([-1.5, 2.0], dtype=npgrad.float64))
    opt = getattr(npgrad.optim, name)([w], **options)
    start = rosenbrock(w.detach().numpy())
    for _ in range(steps):
        w.grad = npgrad.tensor(rosenbrock_grad(w.detach().numpy()))
        opt.step()
    final = rosenbrock(w.detach().numpy())
    assert final < target < start


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_solves_rosenbrock(line_search_fn):
    w = npgrad.nn.Parameter(npgrad.tensor([-1.5, 2.0], dtype=npgrad.float64))
    opt = npgrad.optim.LBFGS([w], lr=1 if line_search_fn else 0.1, max_iter=200, history_size=10,
                             line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        x, y = w[0], w[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        return loss

    for _ in range(5 if line_search_fn else 20):
        opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0], atol=1e-4)


def test_batched_step_with_large_small_and_repeated_parameters():
    """One step's fused updates run together across threads; a parameter listed twice (a large one, run on
    all threads, and a small one, handed to one thread) is updated twice, in order."""
    from npgrad.kernels import optim as kernels

    rng = np.random.default_rng(9)
    shapes = [(2 * kernels._MIN_PER_THREAD + 5,), (7,), (3, 5)]
    init = [rng.standard_normal(s) for s in shapes]
    grads = [rng.standard_normal(s) for s in shapes]
    results = []
    for reference in (False, True):
        ps = [npgrad.nn.Parameter(npgrad.tensor(a.copy())) for a in init]
        with pytest.warns(UserWarning, match="duplicate parameters"):
            opt = npgrad.optim.SGD(ps + [ps[0], ps[2]], lr=0.1, momentum=0.9)
        for p, g in zip(ps, grads):
            p.grad = npgrad.tensor(g)
        for _ in range(2):
            if reference:
                with numpy_reference():
                    opt.step()
            else:
                opt.step()
        results.append([p.detach().numpy() for p in ps])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
