r"""Adaptive softmax (E. Grave, A. Joulin, M. Cissé, D. Grangier, H. Jégou, "Efficient softmax approximation for
GPUs", 2017): a softmax over many classes sorted by frequency, cheap for the frequent ones.

``cutoffs`` :math:`c_0 < c_1 < \dots < c_n = \text{n\_classes}` split the classes into a shortlist
:math:`[0, c_0)` and clusters :math:`C_i = [c_{i-1}, c_i)`. The head scores the shortlist and one entry per
cluster, :math:`h(x) = W_h x\,(+\, b_h) \in \mathbb{R}^{c_0 + n}`; cluster :math:`i` scores its own classes
through a bottleneck of :math:`\lfloor d / \text{div\_value}^i \rfloor` features,
:math:`t_i(x) = W_{i,2} W_{i,1} x \in \mathbb{R}^{|C_i|}`. Then

.. math::
    \log p(y \mid x) = \begin{cases}
        \log\operatorname{softmax}(h(x))_y & y < c_0 \\
        \log\operatorname{softmax}(h(x))_{c_0 + i - 1} + \log\operatorname{softmax}(t_i(x))_{y - c_{i-1}}
            & y \in C_i
    \end{cases}

(the probability of the cluster times the class's probability within it), and the loss is the mean of
:math:`-\log p(y \mid x)` over the batch. Training evaluates each cluster only on the rows whose target lies in it.
"""
from __future__ import annotations

import itertools
from collections import namedtuple

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, cat, check_device
from .. import functional as F
from ..module import Module, ModuleList, Sequential
from .linear import Linear

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _show_size(shape):
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


class AdaptiveLogSoftmaxWithLoss(Module):
    r"""Adaptive softmax over ``n_classes`` classes (sorted from the most to the least frequent), with its
    negative log-likelihood loss: :math:`\log p(y \mid x)` as in the module docstring.

    ``head`` is ``Linear(in_features, cutoffs[0] + n_clusters, bias=head_bias)``; ``tail[i]`` is
    ``Sequential(Linear(in_features, hsz, bias=False), Linear(hsz, osz, bias=False))`` with
    :math:`hsz = \lfloor \text{in\_features} / \text{div\_value}^{i+1} \rfloor` and :math:`osz` the size of
    cluster :math:`i + 1`. ``forward(input, target)`` returns ``(output, loss)``: each row's target
    log-probability and their negated mean.

    Example:
        >>> import npgrad
        >>> asm = npgrad.nn.AdaptiveLogSoftmaxWithLoss(16, 100, cutoffs=[10, 40])
        >>> out = asm(npgrad.randn(8, 16), npgrad.tensor([0, 3, 12, 55, 99, 9, 39, 40]))
        >>> out.output.shape, out.loss.shape
        (npgrad.Size([8]), npgrad.Size([]))
        >>> asm.log_prob(npgrad.randn(2, 16)).exp().sum(1).allclose(npgrad.ones(2))
        True
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        check_device(device)
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if ((cutoffs != sorted(cutoffs)) or (min(cutoffs) <= 0) or (max(cutoffs) > (n_classes - 1))
                or (len(set(cutoffs)) != len(cutoffs)) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias

        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters

        self.head = Linear(self.in_features, self.head_size, bias=self.head_bias, **factory_kwargs)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(self.in_features // (self.div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(self.in_features, hsz, bias=False, **factory_kwargs),
                                        Linear(hsz, osz, bias=False, **factory_kwargs)))

    def reset_parameters(self):
        """Draws every weight again as at construction."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        """``(output, loss)``: each row's :math:`\\log p(\\text{target} \\mid \\text{input})` and the mean of their
        negatives. ``input`` is :math:`(N, \\text{in\\_features})` with an :math:`(N)` target, or
        :math:`(\\text{in\\_features})` with a 0-dim target."""
        targ_dim = target_.dim()
        if targ_dim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{_show_size(input_.shape)}")
        elif targ_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{_show_size(input_.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")

        is_batched = targ_dim > 0
        input = input_ if is_batched else input_.unsqueeze(0)
        target = target_ if is_batched else target_.unsqueeze(0)
        y = target.detach().numpy()
        # cluster of each target: 0 for the shortlist, i for C_i; n_clusters + 1 above the last class
        cluster = np.searchsorted(np.asarray(self.cutoffs), y, side="right")
        in_range = (y >= 0) & (y < self.n_classes)
        integer = y.dtype in (np.int32, np.int64)
        if not integer and (in_range & (cluster > 0)).any():
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")  # met first at a cluster
        if not in_range.all():
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min().item()}, {target.max().item()}] were found. ")
        if not integer:
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        y = y.astype(np.int64)

        # head: log-probability of the target's shortlist class or of its cluster
        head_logprob = F.log_softmax(self.head(input), dim=1)
        head_index = np.where(cluster == 0, y, self.shortlist_size + cluster - 1)
        output = head_logprob.gather(1, Tensor._wrap(head_index[:, None])).squeeze(1)
        # clusters: the target's log-probability within its cluster, for the rows whose target lies there
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == i)
            if rows.size == 0:
                continue
            rows_t = Tensor._wrap(rows)
            cluster_logprob = F.log_softmax(self.tail[i - 1](input.index_select(0, rows_t)), dim=1)
            relative = Tensor._wrap((y[rows] - self.cutoffs[i - 1])[:, None])
            output = output.index_add(0, rows_t, cluster_logprob.gather(1, relative).squeeze(1))
        loss = (-output).mean()
        if not is_batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        """:math:`\\log p(c \\mid x)` of every class, from the input and the head's output."""
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, (start_idx, stop_idx) in enumerate(itertools.pairwise(self.cutoffs)):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, dim=1)

    def log_prob(self, input):
        """Log-probabilities of all ``n_classes`` classes, :math:`(N, \\text{n\\_classes})`, for an
        :math:`(N, \\text{in\\_features})` input."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class of each row, ``log_prob(input).argmax(1)``, evaluating the clusters only
        for the rows whose best head entry is a cluster."""
        with no_grad():
            head_output = self.head(input)
            output = head_output.argmax(dim=1)
            not_in_shortlist = output >= self.shortlist_size
            if not not_in_shortlist.any():
                return output
            if not_in_shortlist.all():
                return self._get_full_log_prob(input, head_output).argmax(dim=1)
            log_prob = self._get_full_log_prob(input[not_in_shortlist], head_output[not_in_shortlist])
            output[not_in_shortlist] = log_prob.argmax(dim=1)
            return output
