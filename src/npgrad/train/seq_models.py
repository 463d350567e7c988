"""Sequence classifiers for the training command: a bidirectional GRU with additive attention.

``BiGRUAttention`` reads each flat sample of ``seq_len * n_features`` values as a
sequence of ``seq_len`` steps (an 8x8 digit becomes 8 rows of 8 pixels), runs a
bidirectional GRU, pools the step outputs with additive attention and classifies
the pooled vector:

.. math::

    h_t = [\\overrightarrow{h}_t; \\overleftarrow{h}_t], \\quad
    e_t = v^\\top \\tanh(W h_t + b), \\quad
    \\alpha = \\operatorname{softmax}(e), \\quad
    c = \\sum_t \\alpha_t h_t, \\quad
    \\hat y = W_o\\, c + b_o

Reference: D. Bahdanau, K. Cho and Y. Bengio, *Neural Machine Translation by
Jointly Learning to Align and Translate*, 2015, arXiv:1409.0473; Z. Yang et al.,
*Hierarchical Attention Networks for Document Classification*, 2016.

Example::

    import npgrad
    from npgrad.train.seq_models import BiGRUAttention
    model = BiGRUAttention(n_features=8, seq_len=8, hidden=16, n_classes=10)
    logits = model(npgrad.randn(5, 64))          # (5, 10)
    model.last_attention.shape                   # (5, 8): one weight per row of the image
"""
from __future__ import annotations

import npgrad
from npgrad import nn

__all__ = ["BiGRUAttention"]


class BiGRUAttention(nn.Module):
    """Bidirectional GRU + additive attention over time + linear classifier.

    Args:
        n_features: values per time step (the GRU's input size).
        seq_len: time steps per sample; flat inputs have ``seq_len * n_features`` columns.
        hidden: GRU hidden size per direction.
        n_classes: number of classes (output logits).
        attention_dim: width of the attention scorer (default ``hidden``).
        num_layers: stacked GRU layers.
        dropout: dropout on the pooled vector (and between GRU layers).

    ``forward`` accepts ``(N, seq_len * n_features)`` or ``(N, seq_len, n_features)``
    and returns logits ``(N, n_classes)``; the attention weights of the last call
    are kept in ``last_attention`` ``(N, seq_len)`` (detached) for plotting.
    """

    def __init__(self, n_features=8, seq_len=8, hidden=64, n_classes=10, attention_dim=None,
                 num_layers=1, dropout=0.0):
        super().__init__()
        self.n_features = n_features
        self.seq_len = seq_len
        self.hidden = hidden
        self.n_classes = n_classes
        attention_dim = attention_dim or hidden
        self.gru = nn.GRU(n_features, hidden, num_layers=num_layers, batch_first=True,
                          bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.attention = nn.Linear(2 * hidden, attention_dim)
        self.score = nn.Linear(attention_dim, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden, n_classes)
        self.last_attention = None

    def forward(self, x):
        if x.dim() == 2:
            x = x.reshape(x.shape[0], self.seq_len, self.n_features)
        outputs, _ = self.gru(x)                                        # (N, T, 2H)
        energy = self.score(npgrad.tanh(self.attention(outputs))).squeeze(-1)   # (N, T)
        alpha = npgrad.softmax(energy, dim=1)
        self.last_attention = alpha.detach()
        context = (alpha.unsqueeze(-1) * outputs).sum(dim=1)            # (N, 2H)
        return self.classifier(self.dropout(context))

    def extra_repr(self):
        return f"n_features={self.n_features}, seq_len={self.seq_len}"
