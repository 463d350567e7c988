"""The regression, likelihood and margin losses at their edges, against torch: infinite and NaN differences
(Huber and smooth-L1 slopes, never NaN from the branch not taken), the legacy ``size_average``/``reduce``
arguments with ``'batchmean'``, where NaN lands in gradients (Stirling's term of the Poisson loss), BCE's
double backward by PyTorch's formulas, result dtypes under mixed precision, and the errors PyTorch raises
(dtype checks, integral operands, weights that may not require grad, in-place output shapes, NaN ``delta``),
with their types and messages; where the size-mismatch warning points; the loss modules' ``__constants__``.

Each case is a snippet run once with ``torch`` bound to npgrad and once to torch: it sets ``out`` and may set
``params``; the record compared is the exception (type and message), or the value with its dtype, the warnings
(numpy's RuntimeWarnings aside), the gradients of ``out.sum()`` and the gradients of their sum (double backward).
"""
from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("loss_edges_regression")

F64 = "dtype=torch.float64"

CASES = [
    # ------------------------------------------------------------------ kl_div: 'batchmean' with the legacy arguments
    ("kl batchmean size_average=False",
     "x = torch.tensor([[-1., -0.5], [-2., -0.1]], requires_grad=True); y = torch.tensor([[0.5, 0.5], [0.1, 0.9]]);"
     "out = F.kl_div(x, y, size_average=False, reduction='batchmean'); params = [x]"),
    ("kl batchmean reduce=False",
     "x = torch.tensor([[-1., -0.5], [-2., -0.1]], requires_grad=True); y = torch.tensor([[0.5, 0.5], [0.1, 0.9]]);"
     "out = F.kl_div(x, y, reduce=False, reduction='batchmean'); params = [x]"),
    ("kl batchmean size_average=True",
     "x = torch.tensor([[-1., -0.5, -3.]] * 3, requires_grad=True); y = torch.full((3, 3), 0.25);"
     "out = F.kl_div(x, y, size_average=True, reduction='batchmean'); params = [x]"),
    ("kl batchmean legacy 0-d",
     "x = torch.tensor(-1., requires_grad=True); out = F.kl_div(x, torch.tensor(0.5), reduce=True, "
     "reduction='batchmean'); params = [x]"),
    ("KLDivLoss legacy batchmean",
     "x = torch.tensor([[-1., -0.5], [-2., -0.1]], requires_grad=True);"
     "out = nn.KLDivLoss(size_average=False, reduction='batchmean')(x, torch.full((2, 2), 0.5)); params = [x]"),
    # ------------------------------------------------------------------ huber / smooth-L1, infinite or NaN differences
    ("huber inf difference",
     "x = torch.tensor([math.inf, -math.inf, 2.], requires_grad=True);"
     "out = F.huber_loss(x, torch.zeros(3), reduction='sum'); params = [x]"),
    ("smooth_l1 inf difference",
     "x = torch.tensor([math.inf, -math.inf, 2.], requires_grad=True);"
     "out = F.smooth_l1_loss(x, torch.zeros(3), reduction='sum'); params = [x]"),
    ("huber inf target",
     f"x = torch.tensor([1., 0.5], {F64}, requires_grad=True); y = torch.tensor([math.inf, 0.], {F64}, "
     "requires_grad=True); out = F.huber_loss(x, y, reduction='none'); params = [x, y]"),
    ("smooth_l1 -inf target",
     f"x = torch.tensor([1., 0.5], {F64}, requires_grad=True); y = torch.tensor([-math.inf, 0.], {F64}, "
     "requires_grad=True); out = F.smooth_l1_loss(x, y, beta=0.5, reduction='none'); params = [x, y]"),
    ("huber inf difference mean",
     "x = torch.tensor([math.inf, 0.5, 3.], requires_grad=True); out = F.huber_loss(x, torch.zeros(3));"
     "params = [x]"),
    ("huber float32 overflow",
     "x = torch.tensor([3e38, 1.], requires_grad=True); out = F.huber_loss(x, torch.tensor([-3e38, 0.]));"
     "params = [x]"),
    ("smooth_l1 float32 overflow",
     "x = torch.tensor([3e38, 1.], requires_grad=True); out = F.smooth_l1_loss(x, torch.tensor([-3e38, 0.]));"
     "params = [x]"),
    ("smooth_l1 tiny beta huge difference",
     "x = torch.tensor([1e30, 1e-11], requires_grad=True); out = F.smooth_l1_loss(x, torch.zeros(2), beta=1e-10,"
     "reduction='sum'); params = [x]"),
    ("huber delta inf",
     "x = torch.tensor([0.3, 4.], requires_grad=True); out = F.huber_loss(x, torch.zeros(2), delta=math.inf);"
     "params = [x]"),
    ("smooth_l1 beta inf",
     "x = torch.tensor([0.3, 4.], requires_grad=True); out = F.smooth_l1_loss(x, torch.zeros(2), beta=math.inf);"
     "params = [x]"),
    ("huber nan difference",
     "x = torch.tensor([math.nan, math.inf, 1.], requires_grad=True);"
     "out = F.huber_loss(x, torch.tensor([0., math.inf, 0.]), reduction='sum'); params = [x]"),
    ("smooth_l1 nan difference",
     "x = torch.tensor([math.nan, math.inf, 1.], requires_grad=True);"
     "out = F.smooth_l1_loss(x, torch.tensor([0., math.inf, 0.]), beta=0.5, reduction='sum'); params = [x]"),
    ("huber kinks double backward",
     f"x = torch.tensor([1., -1., 0., 0.5, 2., -3.], {F64}, requires_grad=True);"
     f"y = torch.tensor([0., 0., 0., 0., 0.5, 0.], {F64}, requires_grad=True);"
     "out = F.huber_loss(x, y, reduction='none'); params = [x, y]"),
    ("huber delta 2.5 mean double backward",
     f"x = torch.tensor([[0.1, -2.5, 7.], [3., -0.2, 2.4]], {F64}, requires_grad=True);"
     f"y = torch.tensor([0.5, 0., -1.], {F64}, requires_grad=True);"
     "out = F.huber_loss(x, y.expand(2, 3), delta=2.5); params = [x, y]"),
    ("smooth_l1 kinks double backward",
     f"x = torch.tensor([0.5, -0.5, 0., 0.25, 2.], {F64}, requires_grad=True);"
     "out = F.smooth_l1_loss(x, torch.zeros(5, dtype=torch.float64), beta=0.5, reduction='sum'); params = [x]"),
    ("huber weighted inf",
     "x = torch.tensor([math.inf, 0.5, -4.], requires_grad=True); w = torch.tensor([2., 3., 0.5]);"
     "out = F.huber_loss(x, torch.zeros(3), weight=w, reduction='mean'); params = [x]"),
    # ------------------------------------------------------------------ where NaN lands in gradients
    ("poisson full target <= 0 log_input",
     f"x = torch.tensor([0.5, 1., -0.3, 2.], {F64}, requires_grad=True);"
     f"y = torch.tensor([0., -2., 0.5, 3.], {F64}, requires_grad=True);"
     "out = F.poisson_nll_loss(x, y, full=True, reduction='sum'); params = [x, y]"),
    ("poisson full target <= 0 probabilities float32",
     "x = torch.tensor([0.5, 1., 2., 4.], requires_grad=True); y = torch.tensor([0., 1., 1.5, 6.], requires_grad=True);"
     "out = F.poisson_nll_loss(x, y, log_input=False, full=True, reduction='mean'); params = [x, y]"),
    ("poisson full target without grad",
     "x = torch.tensor([0.5, 1., 2.], requires_grad=True);"
     "out = F.poisson_nll_loss(x, torch.tensor([0., 1., 3.]), full=True, reduction='none'); params = [x]"),
    ("bce double backward near 0 float32",
     "x = torch.tensor([1e-5, 1e-4, 1 - 1e-4], requires_grad=True);"
     "out = F.binary_cross_entropy(x, torch.zeros(3), reduction='sum'); params = [x]"),
    ("bce double backward near 0 float64",
     f"x = torch.tensor([1e-17, 1e-9, 1e-7, 0.3], {F64}, requires_grad=True);"
     f"out = F.binary_cross_entropy(x, torch.tensor([0., 1., 1., 0.5], {F64}), reduction='sum'); params = [x]"),
    ("bce double backward weighted mean",
     f"x = torch.tensor([[1e-9, 0.3, 1 - 1e-9], [0.5, 0.01, 0.99]], {F64}, requires_grad=True);"
     f"y = torch.tensor([[0., 1., 0.5], [1., 0., 1.]], {F64});"
     f"out = F.binary_cross_entropy(x, y, weight=torch.tensor([2., 0.5, 1.], {F64})); params = [x]"),
    ("bce double backward with target grad",
     f"x = torch.tensor([0.2, 0.7, 1e-8], {F64}, requires_grad=True);"
     f"y = torch.tensor([0.3, 0.9, 0.], {F64}, requires_grad=True);"
     f"out = F.binary_cross_entropy(x, y, weight=torch.tensor([1., 3., 2.], {F64}), reduction='none');"
     "params = [x, y]"),
    ("bce double backward at 0 and 1",
     f"x = torch.tensor([0., 1., 0.5], {F64}, requires_grad=True);"
     f"out = F.binary_cross_entropy(x, torch.tensor([0., 1., 0.5], {F64})); params = [x]"),
    # ------------------------------------------------------------------ result dtypes under mixed precision
    ("bce_with_logits float64 input float32 target",
     f"x = torch.tensor([0.3, -0.5], {F64}, requires_grad=True);"
     "out = F.binary_cross_entropy_with_logits(x, torch.tensor([1., 0.]), reduction='none'); params = [x]"),
    ("bce_with_logits float32 input float64 target",
     f"x = torch.tensor([0.3, -0.5], requires_grad=True); y = torch.tensor([1., 0.], {F64}, requires_grad=True);"
     "out = F.binary_cross_entropy_with_logits(x, y); params = [x, y]"),
    ("bce_with_logits float64 weight",
     "x = torch.tensor([0.3, -0.5], requires_grad=True);"
     f"out = F.binary_cross_entropy_with_logits(x, torch.tensor([1., 0.]), weight=torch.tensor([2., 3.], {F64}));"
     "params = [x]"),
    ("bce_with_logits float64 pos_weight",
     "x = torch.tensor([[0.3, -0.5], [2., 1.]], requires_grad=True);"
     "out = F.binary_cross_entropy_with_logits(x, torch.tensor([[1., 0.], [0.5, 1.]]),"
     f"pos_weight=torch.tensor([2., 3.], {F64}), reduction='sum'); params = [x]"),
    ("bce_with_logits float16 target",
     "x = torch.tensor([0.3, -0.5], requires_grad=True);"
     "out = F.binary_cross_entropy_with_logits(x, torch.tensor([1., 0.], dtype=torch.float16), reduction='none');"
     "params = [x]"),
    ("bce_with_logits integral pos_weight",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.3, -0.5]), torch.tensor([1., 0.]),"
     "pos_weight=torch.tensor([2, 3]), reduction='none')"),
    ("huber float32 input float64 target",
     f"out = F.huber_loss(torch.tensor([0.3, -2.5]), torch.tensor([0.1, 0.], {F64}), reduction='none')"),
    ("huber float64 input float32 target",
     f"out = F.huber_loss(torch.tensor([0.3, -2.5], {F64}), torch.tensor([0.1, 0.]), reduction='none')"),
    ("huber float32 input int target",
     "out = F.huber_loss(torch.tensor([0.3, -2.5]), torch.tensor([1, 0]))"),
    ("huber float16 input float32 target",
     "out = F.huber_loss(torch.tensor([0.3, -2.5], dtype=torch.float16), torch.tensor([0.1, 0.]), reduction='none')"),
    ("huber float32 input bool target",
     "out = F.huber_loss(torch.tensor([0.3, -2.5]), torch.tensor([True, False]), reduction='none')"),
    ("smooth_l1 float32 input float64 target",
     f"x = torch.tensor([0.3, -2.5], requires_grad=True);"
     f"out = F.smooth_l1_loss(x, torch.tensor([0.1, 0.], {F64}), reduction='none'); params = [x]"),
    ("smooth_l1 int input float target",
     "out = F.smooth_l1_loss(torch.tensor([1, -2]), torch.tensor([0.1, 0.]), reduction='none')"),
    ("mse int input float64 target",
     f"out = F.mse_loss(torch.tensor([1, -2]), torch.tensor([0.1, 0.], {F64}), reduction='none')"),
    ("soft_margin float32 input float64 target",
     "x = torch.tensor([0.3, -0.5], requires_grad=True);"
     f"out = F.soft_margin_loss(x, torch.tensor([1., -1.], {F64}), reduction='none'); params = [x]"),
    ("soft_margin float64 input int target",
     f"x = torch.tensor([0.3, -0.5], {F64}, requires_grad=True);"
     "out = F.soft_margin_loss(x, torch.tensor([1, -1])); params = [x]"),
    ("soft_margin float16 input float32 target",
     "out = F.soft_margin_loss(torch.tensor([0.3, -0.5], dtype=torch.float16), torch.tensor([1., -1.]), "
     "reduction='none')"),
    ("hinge int64",
     "out = F.hinge_embedding_loss(torch.tensor([3, 4, 0]), torch.tensor([-1, 1, -1]), reduction='none')"),
    ("hinge int64 margin truncated",
     "out = F.hinge_embedding_loss(torch.tensor([0, 3, -2]), torch.tensor([-1, 1, -1]), margin=1.7, reduction='sum')"),
    ("hinge int64 negative margin truncated",
     "out = F.hinge_embedding_loss(torch.tensor([-3, 3, -2]), torch.tensor([-1., 1., -1.]), margin=-1.7, "
     "reduction='none')"),
    ("hinge int64 mean", "out = F.hinge_embedding_loss(torch.tensor([3, 4]), torch.tensor([-1, 1]))"),
    ("hinge float32 input float64 target",
     "x = torch.tensor([0.3, 2.], requires_grad=True);"
     f"out = F.hinge_embedding_loss(x, torch.tensor([-1., 1.], {F64}), reduction='none'); params = [x]"),
    ("hinge float16 input",
     "out = F.hinge_embedding_loss(torch.tensor([0., 3., -2.], dtype=torch.float16), torch.tensor([-1., 1., -1.]),"
     "margin=1.7, reduction='none')"),
    # ------------------------------------------------------------------ dtype errors
    ("bce Long target", "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1, 0]))"),
    ("bce Bool target", "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([True, False]))"),
    ("bce float64 target",
     f"out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.], {F64}))"),
    ("bce float32 target float64 input",
     f"out = F.binary_cross_entropy(torch.tensor([0.3, 0.5], {F64}), torch.tensor([1., 0.]))"),
    ("bce Long input", "out = F.binary_cross_entropy(torch.tensor([0, 1]), torch.tensor([1., 0.]))"),
    ("bce Long both", "out = F.binary_cross_entropy(torch.tensor([0, 1]), torch.tensor([1, 0]))"),
    ("bce Bool both", "out = F.binary_cross_entropy(torch.tensor([False, True]), torch.tensor([True, False]))"),
    ("bce float16",
     "x = torch.tensor([0.3, 0.5], dtype=torch.float16, requires_grad=True);"
     "out = F.binary_cross_entropy(x, torch.tensor([1., 0.], dtype=torch.float16), reduction='none'); params = [x]"),
    ("huber Long both", "out = F.huber_loss(torch.tensor([1, 2]), torch.tensor([0, 5]))"),
    ("huber Long input float target", "out = F.huber_loss(torch.tensor([1, 2]), torch.tensor([0., 5.]))"),
    ("huber Bool input Long target", "out = F.huber_loss(torch.tensor([True, False]), torch.tensor([0, 5]))"),
    ("huber Bool both", "out = F.huber_loss(torch.tensor([True, False]), torch.tensor([False, False]))"),
    ("smooth_l1 Long both", "out = F.smooth_l1_loss(torch.tensor([1, 2]), torch.tensor([0, 5]))"),
    ("smooth_l1 Bool both", "out = F.smooth_l1_loss(torch.tensor([True, False]), torch.tensor([False, True]))"),
    ("smooth_l1 beta 0 Long both",
     "out = F.smooth_l1_loss(torch.tensor([1, 2]), torch.tensor([0, 5]), beta=0., reduction='sum')"),
    ("mse Long both", "out = F.mse_loss(torch.tensor([1, 2]), torch.tensor([0, 5]))"),
    ("mse Long both none", "out = F.mse_loss(torch.tensor([1, 2]), torch.tensor([0, 5]), reduction='none')"),
    ("mse Bool both", "out = F.mse_loss(torch.tensor([True, False]), torch.tensor([False, True]))"),
    ("mse Long both weighted",
     "out = F.mse_loss(torch.tensor([1, 2]), torch.tensor([0, 5]), weight=torch.tensor([1., 2.]), reduction='sum')"),
    ("bce_with_logits Long target",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.3, -0.5]), torch.tensor([1, 0]))"),
    ("bce_with_logits Bool target",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.3, -0.5]), torch.tensor([True, False]))"),
    ("bce_with_logits float16 input Long target",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.3, -0.5], dtype=torch.float16), "
     "torch.tensor([1, 0]))"),
    ("bce_with_logits Long input",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([1, 2]), torch.tensor([1., 0.]))"),
    ("bce_with_logits Bool input",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([True, False]), torch.tensor([1., 0.]))"),
    ("kl_div Long target", "out = F.kl_div(torch.tensor([-1., -2.]), torch.tensor([0, 1]), reduction='sum')"),
    ("kl_div Long input", "out = F.kl_div(torch.tensor([-1, -2]), torch.tensor([0.5, 0.5]), reduction='sum')"),
    ("kl_div Bool target log_target",
     "out = F.kl_div(torch.tensor([-1., -2.]), torch.tensor([True, False]), log_target=True)"),
    ("kl_div Long target bad reduction",
     "out = F.kl_div(torch.tensor([-1., -2.]), torch.tensor([0, 1]), reduction='bad')"),
    ("gaussian Long var", "out = F.gaussian_nll_loss(torch.tensor([1., 0.]), torch.zeros(2), torch.tensor([1, 2]))"),
    ("gaussian Int var",
     "out = F.gaussian_nll_loss(torch.tensor([1., 0.]), torch.zeros(2), torch.tensor([1, 2], dtype=torch.int32))"),
    ("gaussian Bool var",
     "out = F.gaussian_nll_loss(torch.tensor([1., 0.]), torch.zeros(2), torch.tensor([True, True]))"),
    ("gaussian Byte var",
     "out = F.gaussian_nll_loss(torch.tensor([1., 0.]), torch.zeros(2), torch.tensor([1, 2], dtype=torch.uint8))"),
    ("gaussian Long var integral eps",
     "out = F.gaussian_nll_loss(torch.tensor([1., 0.]), torch.zeros(2), torch.tensor([1, 2]), eps=1)"),
    ("gaussian Long var bad reduction",
     "out = F.gaussian_nll_loss(torch.tensor([1., 0.]), torch.zeros(2), torch.tensor([1, 2]), reduction='x')"),
    ("soft_margin Long input float target",
     "out = F.soft_margin_loss(torch.tensor([1, 2]), torch.tensor([1., -1.]))"),
    ("soft_margin Long both", "out = F.soft_margin_loss(torch.tensor([1, 2]), torch.tensor([1, -1]))"),
    ("soft_margin Long input float16 target",
     "out = F.soft_margin_loss(torch.tensor([1, 2]), torch.tensor([1., -1.], dtype=torch.float16))"),
    ("soft_margin Bool input", "out = F.soft_margin_loss(torch.tensor([True, False]), torch.tensor([1., -1.]))"),
    ("hinge Bool input", "out = F.hinge_embedding_loss(torch.tensor([True, False]), torch.tensor([-1, 1]))"),
    # ------------------------------------------------------------------ arguments that may not require grad
    ("bce weight requires grad",
     "x = torch.tensor([0.3, 0.5], requires_grad=True);"
     "out = F.binary_cross_entropy(x, torch.tensor([1., 0.]), weight=torch.tensor([2., 3.], requires_grad=True))"),
    ("bce weight requires grad under no_grad",
     "w = torch.tensor([2., 3.], requires_grad=True)\n"
     "with torch.no_grad():\n    out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.]), "
     "weight=w)"),
    ("bce weight requires grad bad reduction",
     "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.]), "
     "weight=torch.tensor([2., 3.], requires_grad=True), reduction='x')"),
    ("bce weight requires grad Long target",
     "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1, 0]), "
     "weight=torch.tensor([2., 3.], requires_grad=True))"),
    ("bce_with_logits weight requires grad",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.]), "
     "weight=torch.tensor([2., 3.], requires_grad=True), pos_weight=torch.tensor([1., 2.], requires_grad=True))"),
    ("bce_with_logits pos_weight requires grad",
     "x = torch.tensor([[0.3, 0.5]], requires_grad=True);"
     "out = F.binary_cross_entropy_with_logits(x, torch.tensor([[1., 0.]]), "
     "pos_weight=torch.tensor([1., 2.], requires_grad=True))"),
    ("soft_margin target requires grad",
     "x = torch.tensor([0.3, 0.5], requires_grad=True);"
     "out = F.soft_margin_loss(x, torch.tensor([1., -1.], requires_grad=True))"),
    ("soft_margin target requires grad under no_grad",
     "y = torch.tensor([1., -1.], requires_grad=True)\n"
     "with torch.no_grad():\n    out = F.soft_margin_loss(torch.tensor([0.3, 0.5]), y)"),
    ("BCELoss weight requires grad",
     "out = nn.BCELoss(weight=torch.tensor([2., 3.], requires_grad=True))(torch.tensor([0.3, 0.5]), "
     "torch.tensor([1., 0.]))"),
    ("BCEWithLogitsLoss pos_weight requires grad",
     "out = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2., 3.], requires_grad=True))(torch.tensor([0.3, 0.5]), "
     "torch.tensor([1., 0.]))"),
    # ------------------------------------------------------------------ in-place output shapes
    ("bce weight larger than input",
     "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.]), weight=torch.ones(3, 2), "
     "reduction='none')"),
    ("bce weight column on a vector",
     "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.]), weight=torch.ones(2, 1))"),
    ("bce input range before weight shape",
     "out = F.binary_cross_entropy(torch.tensor([1.5, 0.5]), torch.tensor([1., 0.]), weight=torch.ones(3, 2))"),
    ("bce weight row and column",
     "x = torch.tensor([[0.3, 0.5, 0.9], [0.1, 0.2, 0.7]], requires_grad=True);"
     "out = F.binary_cross_entropy(x, torch.full((2, 3), 0.5), weight=torch.tensor([1., 2., 3.]), "
     "reduction='none'); params = [x]"),
    ("bce_with_logits pos_weight larger rank",
     "out = F.binary_cross_entropy_with_logits(torch.zeros(3), torch.ones(3), pos_weight=torch.ones(2, 3) * 2, "
     "reduction='none')"),
    ("bce_with_logits weight larger rank",
     "out = F.binary_cross_entropy_with_logits(torch.zeros(3), torch.ones(3), weight=torch.ones(2, 3), "
     "reduction='none')"),
    ("bce_with_logits 0-d pos_weight (1,)",
     "out = F.binary_cross_entropy_with_logits(torch.tensor(0.3), torch.tensor(1.), pos_weight=torch.tensor([2.]))"),
    ("bce_with_logits pos_weight not broadcastable",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.5, 0.5]), torch.tensor([1., 0.]), "
     "pos_weight=torch.ones(3))"),
    ("bce_with_logits weight not broadcastable",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.5, 0.5]), torch.tensor([1., 0.]), "
     "weight=torch.ones(3))"),
    ("bce_with_logits pos_weight shape before target dtype",
     "out = F.binary_cross_entropy_with_logits(torch.tensor([0.5, 0.5]), torch.tensor([1, 0]), "
     "pos_weight=torch.ones(3, 2))"),
    ("soft_margin target broadcasts the output",
     "out = F.soft_margin_loss(torch.tensor([[0.5], [1.]]), torch.tensor([1., -1.]), reduction='none')"),
    ("soft_margin target not broadcastable",
     "out = F.soft_margin_loss(torch.tensor([0.5, 0.5]), torch.tensor([1., -1., 1.]))"),
    ("soft_margin target broadcasts into the input",
     "x = torch.tensor([[0.5, -1.], [1., 2.]], requires_grad=True);"
     "out = F.soft_margin_loss(x, torch.tensor([1., -1.]), reduction='none'); params = [x]"),
    # ------------------------------------------------------------------ NaN delta / beta, check order
    ("huber delta nan", "out = F.huber_loss(torch.ones(2), torch.zeros(2), delta=math.nan)"),
    ("smooth_l1 beta nan", "out = F.smooth_l1_loss(torch.ones(2), torch.zeros(2), beta=math.nan)"),
    ("HuberLoss delta nan", "out = nn.HuberLoss(delta=math.nan)(torch.ones(2), torch.zeros(2))"),
    ("huber delta 0 bad reduction",
     "out = F.huber_loss(torch.ones(3), torch.zeros(3), delta=0., reduction='x')"),
    ("huber bad delta bad weight",
     "out = F.huber_loss(torch.ones(2), torch.zeros(2), delta=-1., weight=torch.ones(3))"),
    ("huber bad delta weighted bad reduction",
     "out = F.huber_loss(torch.ones(2), torch.zeros(2), delta=-1., weight=torch.ones(2), reduction='x')"),
    ("huber weighted bad reduction",
     "out = F.huber_loss(torch.ones(2), torch.zeros(2), weight=torch.ones(2), reduction='x')"),
    ("huber Long weighted bad reduction",
     "out = F.huber_loss(torch.tensor([1, 2]), torch.tensor([1, 2]), weight=torch.ones(2), reduction='x')"),
    ("smooth_l1 beta -1 bad reduction",
     "out = F.smooth_l1_loss(torch.ones(2), torch.zeros(2), beta=-1., reduction='x')"),
    ("smooth_l1 Long beta -1", "out = F.smooth_l1_loss(torch.tensor([1, 2]), torch.tensor([1, 2]), beta=-1.)"),
    ("mse Long bad reduction", "out = F.mse_loss(torch.tensor([1, 2]), torch.tensor([1, 2]), reduction='x')"),
    ("mse not broadcastable", "out = F.mse_loss(torch.ones(3), torch.ones(4))"),
    # ------------------------------------------------------------------ broadcasting errors
    ("hinge not broadcastable", "out = F.hinge_embedding_loss(torch.zeros(3), torch.ones(4))"),
    ("hinge not broadcastable 2-d", "out = F.hinge_embedding_loss(torch.zeros(2, 3), torch.ones(2, 4))"),
    ("hinge broadcasts",
     "x = torch.tensor([[0.], [3.]], requires_grad=True);"
     "out = F.hinge_embedding_loss(x, torch.tensor([-1., 1., -1.]), margin=1.7, reduction='none'); params = [x]"),
    ("bce weight not broadcastable",
     "out = F.binary_cross_entropy(torch.tensor([0.3, 0.5]), torch.tensor([1., 0.]), weight=torch.ones(3))"),
    ("bce weight not broadcastable 2-d",
     "out = F.binary_cross_entropy(torch.full((2, 3), 0.5), torch.ones(2, 3), weight=torch.ones(5, 3))"),
    # ------------------------------------------------------------------ triplet losses
    ("triplet p tensor",
     "a = torch.tensor([[1., 2.]], requires_grad=True); out = F.triplet_margin_loss(a, a * 0, a * 2, "
     "p=torch.tensor(1.)); params = [a]"),
    ("triplet p tensor 1.5 swap",
     "a = torch.tensor([[1., 2.], [0.5, -1.]], requires_grad=True); out = F.triplet_margin_loss(a, a * 0.1, a * 2, "
     "p=torch.tensor(1.5), swap=True, reduction='none'); params = [a]"),
    ("TripletMarginLoss p tensor",
     "a = torch.tensor([[1., 2.]]); out = nn.TripletMarginLoss(p=torch.tensor(3.))(a, a * 0, a * 2)"),
    ("triplet distance gives a float",
     "out = F.triplet_margin_with_distance_loss(torch.ones(1, 2), torch.ones(1, 2), torch.ones(1, 2), "
     "distance_function=lambda a, b: 1.0)"),
    ("triplet distance gives a float swap",
     "out = F.triplet_margin_with_distance_loss(torch.ones(1, 2), torch.ones(1, 2), torch.ones(1, 2), "
     "distance_function=lambda a, b: 1.0, swap=True)"),
    ("triplet distance gives a float for the swap only",
     "d = lambda a, b: 2 if a is b else (a - b).abs().sum(-1)\n"
     "p = torch.ones(1, 2)\n"
     "out = F.triplet_margin_with_distance_loss(torch.zeros(1, 2), p, p, distance_function=d, swap=True)"),
    ("triplet distance gives a float for the positive",
     "p = torch.ones(1, 2)\n"
     "out = F.triplet_margin_with_distance_loss(torch.zeros(1, 2), p, p * 3, "
     "distance_function=lambda a, b: 0.5 if b is p else (a - b).abs().sum(-1))"),
    ("TripletMarginWithDistanceLoss default distance",
     "a = torch.tensor([[1., 2.], [0., 1.]], requires_grad=True);"
     "out = nn.TripletMarginWithDistanceLoss()(a, a * 0.5, a * 3); params = [a]"),
    # ------------------------------------------------------------------ messages in the words of PyTorch
    ("HuberLoss delta tensor", "out = nn.HuberLoss(delta=torch.tensor(1.0))"),
    ("HuberLoss delta str", "out = nn.HuberLoss(delta='1')"),
    ("mse list target", "out = F.mse_loss(torch.ones(2), [0., 1.])"),
    ("l1 float target", "out = F.l1_loss(torch.ones(2), 1.0)"),
    ("huber list target", "out = F.huber_loss(torch.ones(2), [0., 1.])"),
    ("smooth_l1 float target", "out = F.smooth_l1_loss(torch.ones(2), 0.5)"),
    ("gaussian int var", "out = F.gaussian_nll_loss(torch.ones(2), torch.zeros(2), 2)"),
    ("gaussian negative int var", "out = F.gaussian_nll_loss(torch.ones(2), torch.zeros(2), -2)"),
    ("gaussian list var", "out = F.gaussian_nll_loss(torch.ones(2), torch.zeros(2), [1., 2.])"),
    ("gaussian float var",
     "x = torch.tensor([1., 0.5], requires_grad=True); out = F.gaussian_nll_loss(x, torch.zeros(2), 2.0);"
     "params = [x]"),
    # ------------------------------------------------------------------ second derivatives through a division
    ("cosine_embedding zero vectors",
     "a = torch.zeros(2, 3, requires_grad=True); b = torch.zeros(2, 3, requires_grad=True);"
     "out = F.cosine_embedding_loss(a, b, torch.tensor([1., -1.]), margin=-0.5); params = [a, b]"),
    ("gaussian var inf",
     "x = torch.tensor([0.5, 1.], requires_grad=True); v = torch.tensor([math.inf, 1.], requires_grad=True);"
     "out = F.gaussian_nll_loss(x, torch.zeros(2), v, reduction='sum'); params = [x, v]"),
    ("gaussian var large float32",
     "x = torch.tensor([0.5, 1.], requires_grad=True); v = torch.tensor([1e20, 1.], requires_grad=True);"
     "out = F.gaussian_nll_loss(x, torch.zeros(2), v, reduction='sum'); params = [x, v]"),
    # ------------------------------------------------------------------ a bool operand of a subtraction
    ("l1 bool target", "out = F.l1_loss(torch.tensor([1., 2.]), torch.tensor([True, False]))"),
    ("mse bool input", "out = F.mse_loss(torch.tensor([True, False]), torch.tensor([1., 2.]))"),
]

_CASES = {name: code for name, code in CASES}


def _array(t):
    return np.array(t.detach().numpy())


def _record(L, code):
    """What ``code`` does under the library ``L``: its exception, or its value, warnings and gradients."""
    ns = {"torch": L, "F": L.nn.functional, "nn": L.nn, "np": np, "math": math}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, ns)  # noqa: S102  (the case tables above)
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            message = str(e)
            if L is torch:      # npgrad's Tensor class by its public name, where PyTorch names torch.Tensor
                message = message.replace("<class 'torch.Tensor'>", "<class 'npgrad.Tensor'>")
            return {"error": [type(e).__name__, message]}
    record = {"warnings": [[w.category.__name__, str(w.message)] for w in caught
                           if not issubclass(w.category, RuntimeWarning)]}
    out = ns["out"]
    if not isinstance(out, L.Tensor):
        record["object"] = type(out).__name__
        return record
    record["dtype"] = str(out.dtype).split(".")[-1]
    record["value"] = _array(out)
    params = ns.get("params", [])
    if params:
        grads = L.autograd.grad(out.sum(), params, create_graph=True, allow_unused=True)
        record["grads"] = [_array(g) if g is not None else "none" for g in grads]
        live = [g for g in grads if g is not None and g.requires_grad]
        if live:
            second = L.autograd.grad(sum(g.sum() for g in live), params, allow_unused=True)
            record["double"] = [_array(g) if g is not None else "none" for g in second]
        else:
            record["double"] = "no graph"
    return record


def _assert_close(actual, expected, key):
    if isinstance(expected, str) or isinstance(actual, str):
        assert str(actual) == str(expected), key
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (key, actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (key, actual.dtype, expected.dtype)
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=key)
        return
    rtol, atol = {8: (1e-7, 1e-12), 4: (2e-5, 1e-7), 2: (2e-3, 1e-4)}[expected.dtype.itemsize]
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=key)


@pytest.mark.parametrize("name", list(_CASES))
def test_loss_edge_as_torch(name):
    code = _CASES[name]
    expected = golden(f"case/{name}", lambda: _record(torch, code))
    actual = _record(npgrad, code)
    if "error" in expected:
        assert "error" in actual, (name, actual)
        assert [str(s) for s in actual["error"]] == [str(s) for s in expected["error"]], name
        return
    assert "error" not in actual, (name, actual["error"])
    assert [[str(s) for s in w] for w in actual["warnings"]] == [[str(s) for s in w] for w in expected["warnings"]]
    if "object" in expected:
        assert actual.get("object") == str(expected["object"]), name
        return
    assert actual["dtype"] == str(expected["dtype"]), name
    _assert_close(actual["value"], expected["value"], f"{name}: value")
    for key in ("grads", "double"):
        if key not in expected:
            assert key not in actual, name
            continue
        exp, act = expected[key], actual[key]
        if key == "double" and str(exp) == "no graph" and not isinstance(act, str):
            # piecewise-linear losses: PyTorch's clamp_min records no graph for its gradient, npgrad's does (the
            # op's, not the losses'); its double backward is zero
            assert all(isinstance(a, str) or not np.any(a) for a in act), (name, act)
            continue
        if isinstance(exp, str) or isinstance(act, str):
            assert str(act) == str(exp), (name, key, act)
            continue
        assert len(act) == len(exp), (name, key)
        for i, (a, e) in enumerate(zip(act, exp)):
            _assert_close(a, e, f"{name}: {key}[{i}]")


# --------------------------------------------------------------------------- where the size-mismatch warning points
def _warning_places(L):
    """(file name, line relative to this function, or -1 in the library) of each size-mismatch warning, for the
    functional losses (decorated with a grad_fn name or not) and for their modules."""
    F, nn = L.nn.functional, L.nn
    x, y = L.ones(3, 1), L.ones(3)
    first = _warning_places.__code__.co_firstlineno
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.mse_loss(x, y)
        F.huber_loss(x, y)
        F.smooth_l1_loss(x, y)
        F.l1_loss(x, y)
        F.huber_loss(x, y, weight=L.ones(3, 1))
        nn.MSELoss()(x, y)
        nn.HuberLoss()(x, y)
        nn.SmoothL1Loss()(x, y)
        nn.L1Loss()(x, y)
    here = os.path.abspath(__file__)
    return [[os.path.basename(w.filename), w.lineno - first if os.path.abspath(w.filename) == here else -1]
            for w in caught if "target size" in str(w.message)]


def test_size_mismatch_warning_points_at_the_call():
    expected = golden.json("warning places", lambda: _warning_places(torch))
    assert _warning_places(npgrad) == expected


def test_size_mismatch_warning_once_per_call_site():
    """Under Python's default filter each call site warns once: two sites, two warnings (PyTorch's count)."""
    def count(L):
        F = L.nn.functional
        x, y = L.ones(3, 1), L.ones(3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            warnings.simplefilter("default")
            for _ in range(2):
                F.mse_loss(x, y)
            F.mse_loss(x, y)
        return len([w for w in caught if "target size" in str(w.message)])

    # the records of earlier runs would hide a warning: the module's registry is cleared first
    globals().pop("__warningregistry__", None)
    expected = int(golden("warnings once per site", lambda: count(torch)))
    globals().pop("__warningregistry__", None)
    assert count(npgrad) == expected


# --------------------------------------------------------------------------- module shells
_LOSS_MODULES = ["L1Loss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss",
                 "BCELoss", "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss", "SmoothL1Loss",
                 "HuberLoss", "SoftMarginLoss", "CrossEntropyLoss", "LinearCrossEntropyLoss",
                 "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "MultiMarginLoss",
                 "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss"]


def _constants(L):
    return {name: getattr(getattr(L.nn, name), "__constants__", None) for name in _LOSS_MODULES}


def test_loss_module_constants_as_torch():
    assert _constants(npgrad) == golden.json("constants", lambda: _constants(torch))


def _distance_module(L):
    m = L.nn.TripletMarginWithDistanceLoss()
    explicit = L.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: (a - b).abs().sum(-1), margin=2.0)
    return {"repr": repr(m), "children": [n for n, _ in m.named_children()],
            "is_module": isinstance(m.distance_function, L.nn.Module),
            "type": type(m.distance_function).__name__, "in_vars": "distance_function" in vars(m),
            "explicit_repr": repr(explicit), "explicit_in_vars": "distance_function" in vars(explicit)}


def test_triplet_with_distance_default_is_a_pairwise_distance_module():
    assert _distance_module(npgrad) == golden.json("distance module", lambda: _distance_module(torch))
