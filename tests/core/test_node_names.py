"""``grad_fn`` is named as PyTorch names it, so ``print(y)`` reads the same
(``tensor(..., grad_fn=<SelectBackward0>)``): indexing (select, slice, index, unsqueeze, alias), writes through an
index (``CopySlices``, ``IndexPutBackward0``, fill and copy), views, dtype conversions, products by operand rank, the
arithmetic operators with a number on either side, reductions, layers and functional calls with their common
options, in-place operations. The node's class carries the name (``type(y.grad_fn).__name__``), is a subclass of
``Node`` and prints as PyTorch's does."""
from __future__ import annotations

import re
import warnings

import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("node_names")

EXPRESSIONS = {
    "arithmetic": [
        "x + y", "x + 1", "1 + x", "x - y", "x - 1", "1 - x", "1.5 - x", "x * y", "x * 2", "2 * x", "x / y", "x / 2",
        "1 / x", "2 / x", "y / x", "x ** 2", "x ** 0.5", "2 ** x", "x ** y.abs()", "x.pow(y)", "L.pow(x, y)",
        "L.pow(x, 2)", "-x", "x.neg()", "x.abs()", "x.add(y, alpha=2)", "x.sub(y, alpha=2)", "L.rsub(x, 1)",
        "L.rsub(x, y)", "x.div(2)", "x.div(y)", "x.reciprocal()", "x.square()", "x.floor()", "x.ceil()", "x.round()",
        "x.round(decimals=1)", "x.trunc()", "x.frac()", "x.addcmul(y, y)", "x.addcmul(y, y, value=2)",
        "x.addcdiv(y, y.abs() + 1)", "L.lerp(x, y, 0.3)", "L.where(x > 0, x, y)", "L.where(x > 0, x, 0.0)",
        "L.maximum(x, y)", "L.minimum(x, y)", "x.clamp(0, 1)", "x.clamp(min=0)", "x.clamp_min(0)", "x.float_power(2)",
        "x.float_power(y)", "x.xlogy(y.abs())", "x.xlogy(2)", "x.deg2rad()", "x.rad2deg()",
    ],
    "unary": [
        "x.exp()", "x.log()", "x.abs().log1p()", "x.expm1()", "x.abs().sqrt()", "x.abs().rsqrt()", "x.sin()",
        "x.cos()", "x.tan()", "x.tanh()", "x.sigmoid()", "x.relu()", "x.abs().log2()", "x.abs().log10()", "x.exp2()",
        "x.erf()", "x.atan2(y)", "x.asinh()", "x.sinh()", "x.atan()", "x.softmax(1)", "x.log_softmax(1)",
        "x.sigmoid().logit()", "x.hypot(y)", "x.logaddexp(y)", "L.sinc(x)", "x.copysign(y)",
    ],
    "reductions": [
        "x.sum()", "x.sum(1)", "x.mean()", "x.mean(0)", "x.std()", "x.std(1)", "x.std(correction=0)", "x.var()",
        "x.var(1)", "x.norm()", "x.norm(dim=1)", "x.norm(p=1)", "L.linalg.vector_norm(x)", "L.linalg.norm(x)",
        "x.max()", "x.max(1)[0]", "x.min(1)[0]", "x.amax(1)", "x.logsumexp(1)", "x.cumsum(1)", "x.cumprod(1)",
        "x.prod()", "x.prod(1)", "x.median()", "x.median(1)[0]", "x.nanmedian()", "x.nanmedian(1)[0]",
        "x.topk(2)[0]", "x.topk(2, largest=False)[0]", "x.sort(1)[0]", "x.sort(descending=True)[0]",
        "x.sort(stable=True)[0]", "x.msort()", "x.kthvalue(2)[0]", "x.cummax(1)[0]", "x.cummin(1)[0]",
        "x.mode(1)[0]", "x.aminmax()[0]", "x.nansum()", "x.nansum(1)", "x.nanmean()", "x.logcumsumexp(1)",
        "x.trace()", "x.renorm(2, 0, 1.0)", "L.dist(x, y)", "L.trapezoid(x)", "L.trapezoid(x, L.arange(4.0))",
        "L.cumulative_trapezoid(x)", "x.sum(dtype=L.float64)", "x.mean(dtype=L.float64)",
    ],
    "indexing": [
        "x[0]", "x[-1]", "x[:, 1]", "x[0, 1]", "x[..., 0]", "x[L.tensor(0)]", "x.select(1, 2)", "L.select(x, 0, 1)",
        "x[1:3]", "x[:, 1:3]", "x[::2]", "x[0:100]", "x[:]", "x[0, 1:3]", "x[1:3, 0]", "x.narrow(1, 0, 2)",
        "x.narrow(0, 0, 3)", "x[:, None, 1:]", "x[None]", "x[..., None]", "x[0, None]", "x[None, 0]", "x[...]",
        "x[:, :]", "x[:, 0:4]", "x[[0, 1]]", "x[x > 0]", "x[:, [0, 2]]", "x[[0, 1], 0]", "x[0, [0, 1]]", "x[True]",
        "v[2]", "v[1:]", "x.index_select(0, L.tensor([0, 2]))", "x.gather(1, L.tensor([[0], [1], [2]]))",
        "x.take(L.tensor([0, 5]))", "x.take_along_dim(L.tensor([[0], [1], [2]]), 1)", "x.masked_select(x > 0)",
        "x.masked_fill(x > 0, 0.0)", "x.masked_fill(x > 0, L.tensor(1.0))", "x.index_fill(1, L.tensor([0]), 2.0)",
        "x.index_copy(0, L.tensor([0]), y[:1])", "x.index_add(0, L.tensor([0, 1]), y[:2])",
        "x.index_put((L.tensor([0, 1]),), L.tensor(1.0))", "x.put(L.tensor([0]), L.tensor([1.0]))",
        "x.scatter(1, L.tensor([[0], [1], [2]]), 1.0)", "x.scatter(1, L.tensor([[0], [1], [2]]), y)",
        "x.scatter_add(1, L.tensor([[0], [1], [2]]), y[:, :1])", "L.select_scatter(x, v, 0, 0)",
        "L.slice_scatter(x, y[:1], 0, 0, 1)", "x.diag()", "x.diag(1)", "v.diag()", "x.diagonal()", "L.diag_embed(v)",
    ],
    "shape": [
        "x.t()", "L.t(x)", "v.t()", "x.T", "x.mT", "b.mT", "x.transpose(0, 1)", "L.transpose(x, 0, 1)",
        "x.transpose(0, 0)", "x.swapaxes(0, 1)", "x.swapdims(0, 1)", "x.permute(1, 0)", "x.movedim(0, 1)",
        "x.view(12)", "x.view(3, 2, 2)", "x.view_as(y)", "x.reshape(12)", "x.reshape(3, 4)", "x.reshape_as(y)",
        "x.t().reshape(12)", "x.t().reshape(4, 3)", "x[:, ::2].reshape(-1)", "x.t().view(4, 3)", "x.flatten()",
        "x.t().flatten()", "s.flatten()", "x.flatten(0)", "L.flatten(x)", "x.ravel()", "x.t().ravel()",
        "x.unflatten(1, (2, 2))", "x.unsqueeze(0)", "L.unsqueeze(x, -1)", "s.unsqueeze(0)", "x.t().unsqueeze(0)",
        "x.unsqueeze(0).squeeze()", "x.unsqueeze(0).squeeze(0)", "x.unsqueeze(0).squeeze((0, 1))", "x.squeeze(0)",
        "L.squeeze(x)", "v.squeeze()", "s.squeeze()", "x.unbind(0)[0]", "x.unbind(1)[2]", "v.unbind()[1]",
        "x.expand(2, 3, 4)", "x.expand_as(L.ones(2, 3, 4))", "L.broadcast_to(x, (2, 3, 4))", "x.repeat(2, 1)",
        "x.tile(2)", "x.repeat_interleave(2, 0)", "x.flip(0)", "x.roll(1, 0)", "x.rot90()", "x.rot90(2)",
        "L.rot90(x, -1)", "x.chunk(2, 1)[0]", "x.chunk(1)[0]", "x.split(2, 1)[0]", "x.split(4, 1)[0]",
        "x.split([1, 3], 1)[0]", "x.split([4], 1)[0]", "x.tensor_split(2, 1)[0]", "x.tensor_split([1, 3], 1)[1]",
        "L.hsplit(x, 2)[0]", "L.vsplit(x, [1])[0]", "L.cat([x, y])", "L.cat([x, y], 1)", "L.stack([x, y])",
        "L.hstack([x, y])", "L.vstack([x, y])", "L.atleast_2d(v)", "L.atleast_3d(x)", "x.tril()", "x.triu()",
        "x.contiguous()", "x.t().contiguous()", "x.clone()", "x.unfold(1, 2, 1)", "x.unfold(0, 2, 1)",
        "x.as_strided((2, 2), (1, 2))", "L.expand_copy(x, (2, 3, 4))", "L.permute_copy(x, (1, 0))",
        "L.select_copy(x, 0, 1)", "L.slice_copy(x, 0, 0, 2)", "L.alias_copy(x)", "L.narrow_copy(x, 0, 0, 2)",
    ],
    "dtype": [
        "x.double()", "x.half()", "x.to(L.float64)", "x.to(L.float16)", "x.type(L.float64)",
        "x.type_as(L.ones(1, dtype=L.float64))", "x.to(L.float64).float()", "x.softmax(1, dtype=L.float64)",
    ],
    "products": [
        "x @ w", "x.mm(w)", "L.mm(x, w)", "x.matmul(w)", "b @ bw", "L.bmm(b, bw)", "b.bmm(bw)", "b @ w", "v @ w",
        "x @ v", "x.mv(v)", "L.mv(x, v)", "v @ v", "v.dot(v)", "L.vdot(v, v)", "x.t().contiguous() @ b",
        "L.addmm(z, x, w)", "L.addmv(v3, x, v)", "L.addr(x, v3, v)", "L.baddbmm(b @ bw, b, bw)", "L.outer(v, v)",
        "L.kron(x, y)", "L.tensordot(x, w, 1)", "L.block_diag(x, y)",
    ],
    "layers": [
        "lin(x)", "lin(v)", "lin(b)", "lin_nb(x)", "lin_nb(v)", "lin_nb(b)", "F.linear(x, w4)",
        "F.linear(x, w4, bias4)", "F.linear(v, w4, bias4)", "bn(img)", "bn_eval(img)", "bn_noaff(img)", "bn1(x)",
        "bn1(v3d)", "bn3(vol3)", "F.batch_norm(img, L.zeros(3), L.ones(3), training=True)",
        "F.batch_norm(img, L.zeros(3), L.ones(3))", "F.batch_norm(img, None, None, training=True)",
        "F.batch_norm(img, L.zeros(3), L.ones(3), L.ones(3), L.zeros(3))", "ln(x)", "F.layer_norm(x, (4,))",
        "gn(img)", "gn_noaff(img)", "F.group_norm(img, 3)", "inorm(img)", "inorm_aff(img)", "F.instance_norm(img)",
        "conv(img)", "conv1d(seq)", "convt(img)", "F.conv2d(img, L.ones(2, 3, 2, 2))",
        "F.conv2d(img[0], L.ones(2, 3, 2, 2))", "emb(L.tensor([0, 2]))", "F.embedding(L.tensor([0, 2]), x)",
        "F.embedding_bag(L.tensor([[0, 2]]), x)", "F.embedding_bag(L.tensor([[0, 2]]), x, mode='max')",
        "rnn(seq3)[1]", "lstm(seq3)[0]", "lstm(seq3)[1][0]", "lstm_bi(seq3)[0]", "lstm2(seq3)[0]",
        "rnn(seq3[0])[0]", "rnncell(x)", "lstmcell(x)[0]", "grucell(x)", "mha(b, b, b)[0]", "mha(b, b, b)[1]",
        "mha_nb(b, b, b)[0]", "mha_tb(b, b, b)[0]", "tel(b)", "nn.Flatten()(img)", "nn.Unflatten(1, (2, 2))(x)",
        "nn.Sequential(nn.Linear(4, 3), nn.ReLU())(x)", "nn.Dropout()(x)",
    ],
    "functional": [
        "F.relu(x)", "F.gelu(x)", "F.gelu(x, approximate='tanh')", "F.silu(x)", "F.elu(x)", "F.selu(x)",
        "F.celu(x)", "F.leaky_relu(x)", "F.leaky_relu(x, 0.2)", "F.softplus(x)", "F.hardtanh(x)", "F.relu6(x)",
        "F.hardsigmoid(x)", "F.hardswish(x)", "F.mish(x)", "F.softsign(x)", "F.tanhshrink(x)", "F.logsigmoid(x)",
        "F.hardshrink(x)", "F.softshrink(x)", "F.threshold(x, 0.1, 0.0)", "F.glu(x)", "F.prelu(x, L.ones(1))",
        "F.prelu(x, L.ones(4))", "nn.PReLU()(x)", "F.rrelu(x)", "F.rrelu(x, training=True)", "F.softmin(x, 1)",
        "F.softmax(x, dim=1)", "F.log_softmax(x, 1)", "F.dropout(x, 0.5)", "F.dropout2d(img)",
        "F.alpha_dropout(x, 0.5, training=True)", "F.normalize(x)", "F.cosine_similarity(x, y)",
        "F.pairwise_distance(x, y)", "F.pdist(x)", "F.pad(x, (1, 1))", "F.pad(x, (-1, 0))",
        "F.pad(x, (1, 1), value=2.0)", "F.pad(seq, (1, 1), mode='reflect')", "F.pad(seq, (1, 1), mode='replicate')",
        "F.pad(img, (1, 1, 1, 1), mode='reflect')", "F.pad(img, (1, 1, 1, 1), mode='replicate')",
        "F.pad(vol, (1, 1, 1, 1, 1, 1), mode='reflect')", "F.pad(seq, (1, 1), mode='circular')",
        "nn.ZeroPad2d(1)(img)", "nn.ReflectionPad2d(1)(img)", "nn.CircularPad2d(1)(img)",
        "F.interpolate(seq, scale_factor=2)", "F.interpolate(img, scale_factor=2)", "F.interpolate(vol, size=3)",
        "F.interpolate(img, scale_factor=2, mode='nearest-exact')", "F.interpolate(seq, scale_factor=2, mode='linear')",
        "F.interpolate(img, scale_factor=2, mode='bilinear')",
        "F.interpolate(img, scale_factor=2, mode='bilinear', align_corners=True)",
        "F.interpolate(img, size=(5, 5), mode='bicubic')", "F.interpolate(vol, scale_factor=2, mode='trilinear')",
        "F.interpolate(seq, size=3, mode='area')", "F.interpolate(img, size=(3, 3), mode='area')",
        "nn.Upsample(scale_factor=2)(img)", "F.max_pool2d(img, 2)", "F.avg_pool2d(img, 2)", "F.max_pool1d(seq, 2)",
        "F.avg_pool1d(seq, 2)", "F.adaptive_avg_pool2d(img, 1)", "F.adaptive_max_pool2d(img, 1)",
        "F.adaptive_avg_pool1d(seq, 2)", "F.fractional_max_pool2d(img, 2, output_size=2)", "F.pixel_shuffle(img4, 2)",
        "F.pixel_unshuffle(img4, 2)", "F.channel_shuffle(img4, 2)", "F.unfold(img, 2)", "F.fold(cols, 3, 2)",
        "F.grid_sample(img, grid, align_corners=False)", "F.grid_sample(vol, grid3, align_corners=False)",
        "F.affine_grid(theta, (1, 3, 4, 4), align_corners=False)", "F.one_hot(L.tensor([0]), 2) * x[0, :2]",
        "F.scaled_dot_product_attention(b, b, b)", "F.scaled_dot_product_attention(img, img, img)",
        "F.scaled_dot_product_attention(b, b, b, is_causal=True)",
    ],
    "losses": [
        "F.cross_entropy(x, L.tensor([0, 1, 2]))", "F.cross_entropy(x, y.softmax(1).detach())",
        "F.cross_entropy(x, y.softmax(1).detach(), reduction='sum')", "F.nll_loss(x, L.tensor([0, 1, 2]))",
        "F.mse_loss(x, y)", "F.l1_loss(x, y)", "F.smooth_l1_loss(x, y)", "F.huber_loss(x, y)",
        "F.kl_div(x, y.softmax(1), reduction='batchmean')", "F.binary_cross_entropy(x.sigmoid(), y.sigmoid())",
        "F.binary_cross_entropy_with_logits(x, y.sigmoid())", "F.margin_ranking_loss(v, v, L.ones(4))",
        "F.poisson_nll_loss(x, y)",
    ],
}

# t is x * 1, a tensor of the graph; each call writes into it
INPLACE = [
    "t.relu_()", "t.sigmoid_()", "t.exp_()", "t.add_(1)", "t.mul_(2)", "t.neg_()", "t.clamp_(0, 1)",
    "t.copy_(x)", "t.fill_(1.0)", "t.fill_(L.tensor(1.0))", "t.zero_()", "t.masked_fill_(t > 0, 0.0)",
    "t.t_()", "t.transpose_(0, 1)", "t.squeeze_()", "t.unsqueeze_(0)", "t.unsqueeze(0).squeeze_(0)",
    "t.index_add_(0, L.tensor([0]), x[:1])", "t.addmm_(x, L.ones(4, 4))", "F.relu(t, inplace=True)",
    "F.elu(t, inplace=True)", "F.selu(t, inplace=True)", "F.celu(t, inplace=True)", "F.leaky_relu(t, inplace=True)",
    "F.hardtanh(t, inplace=True)", "F.threshold(t, 0.1, 0.0, inplace=True)", "F.rrelu(t, inplace=True)",
    "F.silu(t, inplace=True)",
]

# x[index] = value, into a tensor of the graph (and into a plain one, the value taking part in the graph)
SETITEM_INDICES = ["0", "slice(1, 3)", "slice(None)", "x > 0", "[0, 1]", "(0, [0, 1])", "(slice(None), [0, 1])",
                   "(slice(None),)", "Ellipsis", "(slice(None), 1)", "None", "(0, 1)", "(Ellipsis, slice(None))",
                   "(slice(0, 3), [1])", "([0, 1], slice(None))", "L.tensor(1)", "(slice(None), slice(0, 100))"]
SETITEM_VALUES = ["5.0", "x[0, 0] * 2", "L.tensor(2.0)"]


def _env(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)

    def r(*shape):
        return L.randn(*shape, requires_grad=True)

    env = dict(L=L, nn=nn, F=F, x=r(3, 4), y=r(3, 4), w=r(4, 2), v=r(4), b=r(2, 3, 4), bw=r(2, 4, 5), z=r(3, 2),
               v3=r(3), w4=r(5, 4), bias4=r(5), img=r(2, 3, 4, 4), seq=r(2, 3, 6), vol=r(1, 2, 2, 2, 2),
               img4=r(1, 4, 2, 2), seq3=r(2, 5, 4), cols=r(2, 12, 4), grid=L.rand(2, 3, 3, 2, requires_grad=True),
               grid3=L.rand(1, 2, 2, 2, 3, requires_grad=True), theta=r(1, 2, 3), s=L.randn((), requires_grad=True),
               v3d=r(2, 4, 3), vol3=r(2, 3, 2, 2, 2))
    env.update(lin=nn.Linear(4, 5), lin_nb=nn.Linear(4, 5, bias=False), bn=nn.BatchNorm2d(3),
               bn_eval=nn.BatchNorm2d(3).eval(), bn_noaff=nn.BatchNorm2d(3, affine=False), bn1=nn.BatchNorm1d(4),
               bn3=nn.BatchNorm3d(3), ln=nn.LayerNorm(4), gn=nn.GroupNorm(1, 3),
               gn_noaff=nn.GroupNorm(3, 3, affine=False),
               inorm=nn.InstanceNorm2d(3), inorm_aff=nn.InstanceNorm2d(3, affine=True), conv=nn.Conv2d(3, 2, 3),
               conv1d=nn.Conv1d(3, 2, 2), convt=nn.ConvTranspose2d(3, 2, 2), emb=nn.Embedding(5, 3),
               rnn=nn.RNN(4, 3, batch_first=True), lstm=nn.LSTM(4, 3, batch_first=True),
               lstm_bi=nn.LSTM(4, 3, batch_first=True, bidirectional=True), lstm2=nn.LSTM(4, 3, 2, batch_first=True),
               rnncell=nn.RNNCell(4, 3), lstmcell=nn.LSTMCell(4, 3), grucell=nn.GRUCell(4, 3),
               mha=nn.MultiheadAttention(4, 2, batch_first=True),
               mha_nb=nn.MultiheadAttention(4, 2, batch_first=True, bias=False), mha_tb=nn.MultiheadAttention(4, 2),
               tel=nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True))
    return env


def _name(node):
    """The name PyTorch prints (``torch::autograd::CopySlices`` is shown as ``CopySlices``)."""
    return None if node is None else node.name().rsplit("::", 1)[-1]


def _names(L, expressions):
    env = _env(L)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for expr in expressions:
            y = eval(expr, env)
            out.append(_name(y.grad_fn))
    return out


def _inplace_names(L):
    F = L.nn.functional
    L.manual_seed(0)
    x = L.randn(3, 4, requires_grad=True)
    out = []
    for call in INPLACE:
        t = x * 1
        eval(call, {"L": L, "F": F, "t": t, "x": x})
        out.append(_name(t.grad_fn))
    return out


def _setitem_names(L):
    L.manual_seed(0)
    x = L.randn(3, 4, requires_grad=True)
    out = []
    for index in SETITEM_INDICES:
        for value in SETITEM_VALUES + ["y"]:
            t = x * 1
            t[eval(index, {"L": L, "x": x})] = x * 2 if value == "y" and index in ("Ellipsis", "(slice(None),)") \
                else x[0, 0] if value == "y" else eval(value, {"L": L, "x": x})
            out.append(_name(t.grad_fn))
        plain = L.zeros(3, 4)
        plain[eval(index, {"L": L, "x": x})] = x[0, 0]
        out.append(_name(plain.grad_fn))
    return out


def _check(names, expected, expressions):
    wrong = [f"{e}: {n} (PyTorch: {t})" for e, n, t in zip(expressions, names, expected) if n != t]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("group", list(EXPRESSIONS))
def test_node_names_as_torch(group):
    expressions = EXPRESSIONS[group]
    expected = golden.json(group, lambda: _names(torch, expressions))
    assert len(expected) == len(expressions)
    _check(_names(npgrad, expressions), expected, expressions)


def test_inplace_node_names_as_torch():
    _check(_inplace_names(npgrad), golden.json("inplace", lambda: _inplace_names(torch)), INPLACE)


def test_setitem_node_names_as_torch():
    cases = [f"[{i}] = {v}" for i in SETITEM_INDICES for v in SETITEM_VALUES + ["y", "(into a plain tensor)"]]
    _check(_setitem_names(npgrad), golden.json("setitem", lambda: _setitem_names(torch)), cases)


def test_node_class_carries_the_name():
    x = npgrad.randn(3, 4, requires_grad=True)
    for y, name in ((x + 1, "AddBackward0"), (x[0], "SelectBackward0"), (x.sum(1), "SumBackward1"),
                    (x.t(), "TBackward0"), (x.double(), "ToCopyBackward0")):
        node = y.grad_fn
        assert type(node).__name__ == name == node.name()
        assert isinstance(node, npgrad.autograd.Node) and type(node) is not npgrad.autograd.Node
        assert re.fullmatch(rf"<{name} object at 0x[0-9a-f]+>", repr(node))
        assert repr(y).endswith(f"grad_fn=<{name}>)")
    assert type((x + 1).grad_fn) is type((x * 1 + 2).grad_fn)     # one class per name


def test_next_functions_are_named_nodes():
    x = npgrad.randn(3, 4, requires_grad=True)
    y = x[0].exp()
    (node, index), = y.grad_fn.next_functions
    assert type(node).__name__ == "SelectBackward0" and index == 0


def test_names_survive_backward():
    x = npgrad.randn(3, 4, requires_grad=True)
    y = (x @ x.t())[0]
    z = x.reshape(12)
    (y.sum() + z.sum()).backward()
    assert y.grad_fn.name() == "SelectBackward0" and type(y.grad_fn).__name__ == "SelectBackward0"
    assert z.grad_fn.name() == "ViewBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MmBackward0"


def test_a_write_without_recording_leaves_the_node_alone():
    x = npgrad.randn(3, 4, requires_grad=True)
    t = x * 1
    with npgrad.no_grad():
        t.zero_()
        t.t_()
        t.squeeze_()
        npgrad.nn.functional.elu(t, inplace=True)
    assert t.grad_fn.name() == "MulBackward0"


def test_flatten_of_a_vector_is_the_tensor_itself():
    v = npgrad.randn(4, requires_grad=True)
    x = npgrad.randn(3, 4, requires_grad=True)
    assert v.flatten() is v and x.flatten(1) is x and v.flatten().is_leaf
