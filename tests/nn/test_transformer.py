"""nn.Transformer* against torch.nn: outputs and gradients with torch's weights, state_dict, repr, masks, errors."""
import copy
import warnings

import numpy as np
import pytest

import npgrad
import npgrad.nn as nn
from oracle import HAVE_TORCH, Golden

golden = Golden("transformer")

D, H, FF = 8, 2, 16


def make(lib, kind, **kw):
    """The module ``kind`` built from ``lib`` (torch or npgrad) in float64."""
    m = lib.nn
    f64 = lib.float64
    layer_kw = dict(dim_feedforward=FF, dropout=0.0, dtype=f64)
    if kind == "enc_layer":
        return m.TransformerEncoderLayer(D, H, **layer_kw, **kw)
    if kind == "dec_layer":
        return m.TransformerDecoderLayer(D, H, **layer_kw, **kw)
    if kind == "encoder":
        layer = m.TransformerEncoderLayer(D, H, **layer_kw, **kw)
        return m.TransformerEncoder(layer, 2, norm=m.LayerNorm(D, dtype=f64), enable_nested_tensor=False)
    if kind == "transformer":
        return m.Transformer(D, H, 1, 1, **layer_kw, **kw)
    raise ValueError(kind)


def inputs(kind, batch_first, mask):
    """NumPy inputs ``(args, kwargs)``; ``("causal", n)`` marks a causal float mask, ``("bool", a)`` a bool one."""
    rng = np.random.default_rng(7)
    S, T, N = 5, 4, 3
    shape = (lambda L: (N, L, D)) if batch_first else (lambda L: (L, N, D))
    pad = np.zeros((N, S), dtype=bool)
    pad[0, 3:] = True
    pad[2, 4:] = True
    tpad = np.zeros((N, T), dtype=bool)
    tpad[1, 2:] = True
    kwargs = {}
    if kind in ("enc_layer", "encoder"):
        args = [rng.standard_normal(shape(S))]
        mname = "src_mask" if kind == "enc_layer" else "mask"
        if mask == "causal":
            kwargs[mname] = ("causal", S)
        elif mask == "pad":
            kwargs["src_key_padding_mask"] = ("bool", pad)
        elif mask == "causal_hint":
            kwargs[mname] = ("causal", S)
            kwargs["is_causal"] = True
    elif kind == "dec_layer":
        args = [rng.standard_normal(shape(T)), rng.standard_normal(shape(S))]
        if mask == "causal":
            kwargs["tgt_mask"] = ("causal", T)
            kwargs["memory_key_padding_mask"] = ("bool", pad)
        elif mask == "pad":
            kwargs["tgt_key_padding_mask"] = ("bool", tpad)
            kwargs["memory_mask"] = ("bool", rng.random((T, S)) < 0.3)
    else:
        args = [rng.standard_normal(shape(S)), rng.standard_normal(shape(T))]
        kwargs["tgt_mask"] = ("causal", T)
        kwargs["src_key_padding_mask"] = ("bool", pad)
        kwargs["memory_key_padding_mask"] = ("bool", pad)
    return args, kwargs


def to_lib(lib, kwargs):
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, tuple) and v[0] == "causal":
            out[k] = lib.nn.Transformer.generate_square_subsequent_mask(v[1], dtype=lib.float64)
        elif isinstance(v, tuple):
            out[k] = lib.tensor(v[1])
        else:
            out[k] = v
    return out


def weights(model):
    """Random float64 values for every ``state_dict`` entry, the same for torch's and npgrad's module."""
    rng = np.random.default_rng(11)
    return {k: 0.4 * rng.standard_normal(tuple(v.shape)) for k, v in model.state_dict().items()}


def run(lib, model, args, kwargs):
    """Output, input gradients and parameter gradients of ``sum(out * w)``."""
    xs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in args]
    out = model(*xs, **to_lib(lib, kwargs))
    w = lib.tensor(np.linspace(-1.0, 1.0, out.numel()).reshape(tuple(out.shape)), dtype=lib.float64)
    (out * w).sum().backward()
    return (out.detach().numpy(), [x.grad.numpy() for x in xs],
            {k: p.grad.numpy() for k, p in model.named_parameters()})


CASES = ([("enc_layer", dict(norm_first=nf, activation=act, batch_first=bf), mask)
          for nf in (False, True) for act in ("relu", "gelu") for bf in (False, True)
          for mask in ("causal", "pad")]
         + [("enc_layer", dict(), "causal_hint"), ("enc_layer", dict(norm_first=True), None)]
         + [("dec_layer", dict(norm_first=nf, batch_first=bf), mask)
            for nf in (False, True) for bf in (False, True) for mask in ("causal", "pad")]
         + [("dec_layer", dict(activation="gelu"), None)]
         + [("encoder", dict(norm_first=nf, batch_first=True), mask)
            for nf in (False, True) for mask in ("causal", "pad")]
         + [("transformer", dict(batch_first=bf, norm_first=nf), None) for bf in (False, True)
            for nf in (False, True)])


def case_id(c):
    kind, kw, mask = c
    return "-".join([kind] + [f"{k}={v}" for k, v in kw.items()] + [str(mask)])


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_forward_backward_match_torch(case):
    kind, kw, mask = case
    batch_first = kw.get("batch_first", False)
    args, kwargs = inputs(kind, batch_first, mask)

    def compute():
        import torch
        model = make(torch, kind, **kw)
        model.load_state_dict({k: torch.tensor(v) for k, v in weights(model).items()})
        out, gin, gparams = run(torch, model, args, kwargs)
        return {"keys": np.array(list(model.state_dict().keys())), "out": out, "gin": gin, "gparams": gparams}

    ref = golden(f"fwdbwd/{case_id(case)}", compute)
    model = make(npgrad, kind, **kw)
    assert list(model.state_dict().keys()) == [str(k) for k in ref["keys"]]
    model.load_state_dict({k: npgrad.tensor(v) for k, v in weights(model).items()})
    out, gin, gparams = run(npgrad, model, args, kwargs)
    np.testing.assert_allclose(out, ref["out"], rtol=1e-10, atol=1e-10)
    assert len(gin) == len(ref["gin"])
    for g, r in zip(gin, ref["gin"]):
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-10)
    assert list(gparams) == list(ref["gparams"])
    for k in gparams:
        np.testing.assert_allclose(gparams[k], ref["gparams"][k], rtol=1e-9, atol=1e-10, err_msg=k)


def test_unbatched_encoder_layer_and_decoder():
    rng = np.random.default_rng(3)
    src, mem = rng.standard_normal((5, D)), rng.standard_normal((6, D))

    def compute():
        import torch
        torch.manual_seed(1)
        enc = make(torch, "enc_layer")
        dec = torch.nn.TransformerDecoder(make(torch, "dec_layer", norm_first=True), 2)
        state = {"enc": {k: v.numpy().copy() for k, v in enc.state_dict().items()},
                 "dec": {k: v.numpy().copy() for k, v in dec.state_dict().items()}}
        y = enc(torch.tensor(src))
        z = dec(torch.tensor(src), torch.tensor(mem),
                tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64))
        return {"state": state, "y": y.detach().numpy(), "z": z.detach().numpy()}

    ref = golden("unbatched", compute)
    enc = make(npgrad, "enc_layer")
    dec = nn.TransformerDecoder(make(npgrad, "dec_layer", norm_first=True), 2)
    enc.load_state_dict({k: npgrad.tensor(v) for k, v in ref["state"]["enc"].items()})
    dec.load_state_dict({k: npgrad.tensor(v) for k, v in ref["state"]["dec"].items()})
    y = enc(npgrad.tensor(src))
    z = dec(npgrad.tensor(src), npgrad.tensor(mem),
            tgt_mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=npgrad.float64))
    np.testing.assert_allclose(y.detach().numpy(), ref["y"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(z.detach().numpy(), ref["z"], rtol=1e-10, atol=1e-10)


def test_encoder_eval_no_grad_zeroes_padded_positions():
    rng = np.random.default_rng(5)
    src = rng.standard_normal((3, 5, D))
    pad = np.zeros((3, 5), dtype=bool)
    pad[0, 3:] = True
    pad[1, 1:] = True

    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, dtype=lib.float64)
        return lib.nn.TransformerEncoder(layer, 2)

    def compute():
        import torch
        torch.manual_seed(2)
        enc = build(torch).eval()
        state = {k: v.numpy().copy() for k, v in enc.state_dict().items()}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")                 # the nested-tensor prototype notice
            y = enc(torch.tensor(src), src_key_padding_mask=torch.tensor(pad))
        enc.train()
        y_train = enc(torch.tensor(src), src_key_padding_mask=torch.tensor(pad))
        return {"state": state, "y": y.numpy(), "y_train": y_train.detach().numpy()}

    ref = golden("nested_eval", compute)
    enc = build(npgrad)
    assert enc.use_nested_tensor is True
    enc.load_state_dict({k: npgrad.tensor(v) for k, v in ref["state"].items()})
    enc.eval()
    with npgrad.no_grad():
        y = enc(npgrad.tensor(src), src_key_padding_mask=npgrad.tensor(pad))
    enc.train()
    y_train = enc(npgrad.tensor(src), src_key_padding_mask=npgrad.tensor(pad))
    assert (ref["y"][pad] == 0).all()
    np.testing.assert_allclose(y.numpy(), ref["y"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y_train.detach().numpy(), ref["y_train"], rtol=1e-10, atol=1e-10)


def test_state_dict_keys_and_repr_match_torch():
    def build(lib):
        m = lib.nn
        return {
            "transformer": m.Transformer(D, H, 1, 1, dim_feedforward=FF),
            "encoder": m.TransformerEncoder(m.TransformerEncoderLayer(D, H, FF, batch_first=True), 2,
                                            norm=m.LayerNorm(D)),
            "dec_gelu_module": m.TransformerDecoderLayer(D, H, FF, activation=m.GELU(), bias=False,
                                                         layer_norm_eps=1e-6, norm_first=True),
            "enc_layer_str": m.TransformerEncoderLayer(D, H, activation="gelu"),
        }

    def compute():
        import torch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mods = build(torch)
        return {k: {"keys": list(v.state_dict().keys()), "repr": repr(v),
                    "shapes": [list(p.shape) for p in v.state_dict().values()]} for k, v in mods.items()}

    ref = golden.json("keys_repr", compute)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mods = build(npgrad)
    for name, mod in mods.items():
        assert list(mod.state_dict().keys()) == ref[name]["keys"], name
        assert [list(p.shape) for p in mod.state_dict().values()] == ref[name]["shapes"], name
        assert repr(mod) == ref[name]["repr"], name


def test_attributes_match_torch():
    def build(lib):
        m = lib.nn
        enc_layer = m.TransformerEncoderLayer(D, H, FF, activation="gelu", batch_first=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            encoder = m.TransformerEncoder(enc_layer, 3, mask_check=False)
        tr = m.Transformer(D, H, 2, 1, FF, batch_first=True)
        return {"act": enc_layer.activation_relu_or_gelu,
                "act_relu_module": m.TransformerEncoderLayer(D, H, activation=m.ReLU()).activation_relu_or_gelu,
                "act_custom": m.TransformerEncoderLayer(D, H, activation=lambda x: x).activation_relu_or_gelu,
                "norm_first": enc_layer.norm_first, "num_layers": encoder.num_layers,
                "use_nested": encoder.use_nested_tensor, "enable_nested": encoder.enable_nested_tensor,
                "mask_check": encoder.mask_check, "n_layers": len(encoder.layers),
                "tr": [tr.d_model, tr.nhead, tr.batch_first, tr.encoder.num_layers, tr.decoder.num_layers],
                "ff": [enc_layer.linear1.out_features, enc_layer.dropout.p, enc_layer.norm1.eps,
                       enc_layer.self_attn.batch_first, enc_layer.self_attn.dropout]}

    ref = golden.json("attributes", lambda: build(__import__("torch")))
    assert build(npgrad) == ref


def test_activation_defaults_are_functional():
    layer = nn.TransformerEncoderLayer(D, H)
    dec = nn.TransformerDecoderLayer(D, H, activation="gelu")
    assert layer.activation is npgrad.nn.functional.relu
    assert dec.activation is npgrad.nn.functional.gelu
    if HAVE_TORCH:
        import torch
        assert torch.nn.TransformerEncoderLayer(D, H).activation is torch.nn.functional.relu
        assert torch.nn.TransformerDecoderLayer(D, H, activation="gelu").activation is torch.nn.functional.gelu


def test_generate_square_subsequent_mask():
    ref = golden("square_mask", lambda: __import__("torch").nn.Transformer.generate_square_subsequent_mask(4))
    m = nn.Transformer.generate_square_subsequent_mask(4)
    assert m.dtype == npgrad.float32
    np.testing.assert_array_equal(m.numpy(), ref)
    assert ref.dtype == np.float32
    m64 = nn.Transformer.generate_square_subsequent_mask(3, dtype=npgrad.float64)
    assert m64.dtype == npgrad.float64 and m64[0, 1].item() == float("-inf") and m64[1, 0].item() == 0.0


def test_stacks_deep_copy_the_layer():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = nn.TransformerEncoder(layer, 2)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF), 2)
    for stack, src in ((enc, layer), (dec, None)):
        a, b = stack.layers[0], stack.layers[1]
        assert a is not b and a is not src
        assert a.linear1.weight is not b.linear1.weight
        np.testing.assert_array_equal(a.linear1.weight.detach().numpy(), b.linear1.weight.detach().numpy())
    np.testing.assert_array_equal(enc.layers[0].self_attn.in_proj_weight.detach().numpy(),
                                  layer.self_attn.in_proj_weight.detach().numpy())
    assert all(p is not layer.self_attn.in_proj_weight for p in enc.parameters())


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_default_init_is_xavier_uniform():
    npgrad.manual_seed(0)
    tr = nn.Transformer(D, H, 1, 1, dim_feedforward=FF)
    w = tr.encoder.layers[0].linear1.weight.detach().numpy()           # (FF, D)
    bound = np.sqrt(6.0 / (D + FF))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 1 / np.sqrt(D)   # beyond Linear's own bound
    b = tr.encoder.layers[0].linear1.bias.detach().numpy()
    assert np.abs(b).max() <= 1 / np.sqrt(D) and np.abs(b).max() > 0      # 1-D: Linear's init kept
    assert (tr.decoder.layers[0].self_attn.in_proj_bias.detach().numpy() == 0).all()
    np.testing.assert_array_equal(tr.encoder.norm.weight.detach().numpy(), np.ones(D))
    if HAVE_TORCH:
        import torch
        torch.manual_seed(0)
        tw = torch.nn.Transformer(D, H, 1, 1, dim_feedforward=FF).encoder.layers[0].linear1.weight
        assert tw.abs().max().item() <= bound and tw.abs().max().item() > 1 / np.sqrt(D)


def test_nested_tensor_warning_matches_torch():
    msg = ("enable_nested_tensor is True, but self.use_nested_tensor is False because "
           "encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)")
    if HAVE_TORCH:
        import torch
        with pytest.warns(UserWarning, match=r"^" + msg.replace("(", r"\(").replace(")", r"\)") + "$"):
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H), 1)
    with pytest.warns(UserWarning, match=r"^" + msg.replace("(", r"\(").replace(")", r"\)") + "$"):
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H), 1)
    assert enc.use_nested_tensor is False and enc.enable_nested_tensor is True
    norm_first = ("enable_nested_tensor is True, but self.use_nested_tensor is False because "
                  "encoder_layer.norm_first was True")
    with pytest.warns(UserWarning, match=norm_first):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, norm_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, batch_first=True), 1)
        nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H), 1, enable_nested_tensor=False)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_errors_match_torch():
    libs = [npgrad] + ([__import__("torch")] if HAVE_TORCH else [])
    for lib in libs:
        m = lib.nn
        with pytest.raises(RuntimeError, match="^activation should be relu/gelu, not tanh$"):
            m.TransformerEncoderLayer(D, H, activation="tanh")
        with pytest.raises(RuntimeError, match="^activation should be relu/gelu, not tanh$"):
            m.TransformerDecoderLayer(D, H, activation="tanh")
        tr = m.Transformer(D, H, 1, 1, FF)
        with pytest.raises(RuntimeError, match="^the batch number of src and tgt must be equal$"):
            tr(lib.zeros(5, 2, D), lib.zeros(4, 3, D))
        with pytest.raises(RuntimeError, match="^the feature number of src and tgt must be equal to d_model$"):
            tr(lib.zeros(5, 2, D), lib.zeros(4, 2, D + 2))
        layer = m.TransformerEncoderLayer(D, H, FF)
        with pytest.raises(AssertionError, match="^only bool and floating types of src_mask are supported$"):
            layer(lib.zeros(5, 2, D), src_mask=lib.zeros(5, 5, dtype=lib.int64))
        with pytest.raises(AssertionError, match="^embed_dim must be divisible by num_heads$"):
            m.TransformerEncoderLayer(D, 3)


def test_training_step_reduces_loss():
    npgrad.manual_seed(0)
    model = nn.Transformer(D, H, 1, 1, dim_feedforward=FF, dropout=0.1, batch_first=True)
    opt = npgrad.optim.Adam(model.parameters(), lr=1e-2)
    src, tgt = npgrad.randn(4, 5, D), npgrad.randn(4, 3, D)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = ((model(src, tgt, tgt_mask=mask) - tgt) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    copy.deepcopy(model)
