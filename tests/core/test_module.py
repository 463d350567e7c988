"""nn.Module against torch.nn: state_dict keys, loading torch weights, errors, and an MLP training loop."""
import numpy as np
import pytest

import npgrad
import npgrad.nn as nn
from oracle import HAVE_TORCH, Golden

golden = Golden("module")


def build(L, in_dim=6, hidden=8, out=3):
    m = L.nn
    return m.Sequential(
        m.Linear(in_dim, hidden), m.ReLU(),
        m.LayerNorm(hidden), m.Linear(hidden, hidden, bias=False), m.Tanh(),
        m.Embedding(5, 2) if False else m.Identity(),
        m.Linear(hidden, out))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(7, 4, padding_idx=0)
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 1)})
        self.norm = nn.LayerNorm(4)
        self.bn = nn.BatchNorm1d(4)
        self.register_buffer("scale", npgrad.ones(1))
        self.register_buffer("tmp", npgrad.zeros(1), persistent=False)

    def forward(self, idx):
        h = self.emb(idx).mean(1)
        for b in self.blocks:
            h = b(h).relu()
        h = self.bn(self.norm(h))
        return self.heads["a"](h) * self.scale, self.heads["b"](h)


TORCH_NET_KEYS = ["scale", "emb.weight", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                  "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias", "norm.weight", "norm.bias",
                  "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]


def test_state_dict_keys_match_torch():
    keys = list(Net().state_dict().keys())
    if HAVE_TORCH:
        import torch

        class TNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = torch.nn.Embedding(7, 4, padding_idx=0)
                self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(2)])
                self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 2), "b": torch.nn.Linear(4, 1)})
                self.norm = torch.nn.LayerNorm(4)
                self.bn = torch.nn.BatchNorm1d(4)
                self.register_buffer("scale", torch.ones(1))
                self.register_buffer("tmp", torch.zeros(1), persistent=False)

        assert list(TNet().state_dict().keys()) == TORCH_NET_KEYS
    assert keys == TORCH_NET_KEYS
    assert [n for n, _ in Net().named_parameters()] == [k for k in TORCH_NET_KEYS if "running" not in k
                                                       and "num_batches" not in k and k != "scale"]


def _torch_state(arch_seed):
    import torch

    torch.manual_seed(arch_seed)
    tm = build(torch).double()
    x = torch.tensor(np.random.default_rng(arch_seed).standard_normal((4, 6)))
    return {"state": {k: v.numpy() for k, v in tm.state_dict().items()}, "out": tm(x).detach().numpy()}


def test_torch_state_dict_loads_and_gives_torch_outputs():
    ref = golden("sequential_outputs", lambda: _torch_state(0))
    m = build(npgrad).double()
    assert list(m.state_dict().keys()) == list(ref["state"].keys())
    m.load_state_dict({k: npgrad.tensor(v) for k, v in ref["state"].items()})
    x = npgrad.tensor(np.random.default_rng(0).standard_normal((4, 6)))
    np.testing.assert_allclose(m(x).detach().numpy(), ref["out"], rtol=1e-12, atol=1e-12)
    # and back: npgrad's state_dict matches values exactly
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ref["state"][k])


def test_load_state_dict_strict_errors_match_torch_wording():
    m = nn.Linear(3, 2)
    sd = m.state_dict()
    sd["extra"] = npgrad.zeros(1)
    del sd["bias"]
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra".' in msg
    assert msg.startswith("Error(s) in loading state_dict for Linear:")
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]   # what torch returns
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape "
                                           r"torch.Size\(\[3, 3\]\) from checkpoint, the shape in current model "
                                           r"is torch.Size\(\[2, 3\]\)"):
        m.load_state_dict({"weight": npgrad.zeros(3, 3), "bias": npgrad.zeros(2)})
    if HAVE_TORCH:
        import torch

        tm = torch.nn.Linear(3, 2)
        tsd = tm.state_dict()
        tsd["extra"] = torch.zeros(1)
        del tsd["bias"]
        with pytest.raises(RuntimeError) as te:
            tm.load_state_dict(tsd)
        assert str(te.value) == msg


def test_module_api_basics():
    net = Net()
    assert len(list(net.children())) == 5
    assert net.training and not net.eval().training and not net.bn.training
    net.train()
    net.double()
    assert all(p.dtype == npgrad.float64 for p in net.parameters())
    assert net.bn.num_batches_tracked.dtype == npgrad.int64
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and "Linear" in seen
    a, b = net(npgrad.tensor([[1, 2, 0], [3, 4, 5]]))
    (a.sum() + b.sum()).backward()
    assert net.emb.weight.grad[0].abs().sum().item() == 0  # padding row gets no gradient
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert "Linear(in_features=4, out_features=4, bias=True)" in repr(net)
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'weight'"):
        net.blocks[0].weight = 3


def test_parameter_and_buffer_registration():
    m = nn.Module()
    m.w = nn.Parameter(npgrad.ones(2))
    m.register_buffer("b", npgrad.zeros(2))
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert [n for n, _ in m.named_buffers()] == ["b"]
    assert isinstance(m.w, nn.Parameter) and m.w.requires_grad
    with pytest.raises(KeyError, match="attribute 'w' already exists"):
        m.register_buffer("w", npgrad.zeros(1))


def _mlp_trajectory(L, steps, lr, seed, use_no_grad):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 5))
    y = rng.integers(0, 3, 32)
    init = {"0.weight": rng.standard_normal((16, 5)) * 0.3, "0.bias": rng.standard_normal(16) * 0.1,
            "2.weight": rng.standard_normal((3, 16)) * 0.3, "2.bias": np.zeros(3)}
    model = L.nn.Sequential(L.nn.Linear(5, 16), L.nn.ReLU(), L.nn.Linear(16, 3)).double()
    model.load_state_dict({k: L.tensor(v) for k, v in init.items()})
    xs, ys = L.tensor(X), L.tensor(y)
    losses = []
    for _ in range(steps):
        logits = model(xs)
        logp = logits.log_softmax(dim=1)
        loss = -logp.gather(1, ys.unsqueeze(1)).mean()  # cross-entropy from primitives
        model.zero_grad()
        loss.backward()
        if use_no_grad:
            with L.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
        else:
            for p in model.parameters():
                p.data = p.data - lr * p.grad.data
        losses.append(loss.item())
    return {"losses": np.array(losses), "state": {k: v.detach().numpy() for k, v in model.state_dict().items()}}


@pytest.mark.parametrize("use_no_grad", [True, False])
def test_mlp_sgd_loop_matches_torch_step_for_step(use_no_grad):
    import importlib

    ref = golden(f"mlp_loop/{use_no_grad}",
                 lambda: _mlp_trajectory(importlib.import_module("torch"), 20, 0.1, 7, use_no_grad))
    got = _mlp_trajectory(npgrad, 20, 0.1, 7, use_no_grad)
    np.testing.assert_allclose(got["losses"], ref["losses"], rtol=1e-10)
    for k in ref["state"]:
        np.testing.assert_allclose(got["state"][k], ref["state"][k], rtol=1e-9, atol=1e-12)
    assert got["losses"][-1] < got["losses"][0]


def test_linear_default_init_distribution():
    npgrad.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound


def _edit_containers(m):
    """The same edits on a Sequential and a ModuleList; each module's place as (key, out_features)."""
    seq = m.Sequential(m.Linear(2, 1), m.Linear(2, 2), m.Linear(2, 3))
    returned = [seq.append(m.Linear(2, 4)) is seq, seq.insert(1, m.Linear(2, 5)) is seq,
                seq.extend([m.Linear(2, 6)]) is seq]
    del seq[0]
    del seq[-2:-1]
    seq[0] = m.Linear(2, 7)
    lst = m.ModuleList([m.Linear(2, 1), m.Linear(2, 2)])
    returned += [lst.append(m.Linear(2, 3)) is lst, lst.insert(0, m.Linear(2, 4)), lst.extend([]) is lst]
    lst += [m.Linear(2, 5)]
    del lst[1]
    lst[-1] = m.Linear(2, 6)
    places = [(k, v.out_features) for k, v in seq._modules.items()]
    places += [(k, v.out_features) for k, v in lst._modules.items()]
    places += [(str(i), v.out_features) for i, v in enumerate(seq[1:3])] + [("len", len(lst[::2]))]
    return returned, places


TORCH_CONTAINER_EDITS = (
    [True, True, True, True, None, True],
    [("0", 7), ("1", 2), ("2", 3), ("3", 6), ("0", 4), ("1", 2), ("2", 3), ("3", 6),
     ("0", 2), ("1", 3), ("len", 2)])


def test_sequential_and_module_list_edits_match_torch():
    if HAVE_TORCH:
        import torch

        assert _edit_containers(torch.nn) == TORCH_CONTAINER_EDITS
    assert _edit_containers(nn) == TORCH_CONTAINER_EDITS


def _reassigned_keys(m, Parameter, ones):
    """Replace a head module and a parameter (fine-tuning style): keys keep their places."""
    net = m.Sequential(m.Linear(3, 4), m.ReLU(), m.Linear(4, 2))
    net.extra = m.Linear(2, 2)
    net[2] = m.Linear(4, 5)                # a new head
    net.extra.weight = Parameter(ones(2, 2))
    net.extra.weight = Parameter(ones(2, 2))
    return list(net.state_dict().keys()), [n for n, _ in net.extra.named_parameters()]


TORCH_REASSIGNED_KEYS = (["0.weight", "0.bias", "2.weight", "2.bias", "extra.weight", "extra.bias"],
                         ["weight", "bias"])


def test_reassigning_a_module_or_parameter_keeps_its_place():
    if HAVE_TORCH:
        import torch

        assert _reassigned_keys(torch.nn, torch.nn.Parameter, torch.ones) == TORCH_REASSIGNED_KEYS
    assert _reassigned_keys(nn, nn.Parameter, npgrad.ones) == TORCH_REASSIGNED_KEYS
