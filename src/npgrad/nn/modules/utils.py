"""``torch.nn.modules.utils``: the argument parsers ``_single``, ``_pair``, ``_triple``, ``_quadruple``
(``_ntuple``) and ``consume_prefix_in_state_dict_if_present``.

Example:
    >>> _pair(3), _pair((1, 2)), _triple(0)
    ((3, 3), (1, 2), (0, 0, 0))
"""
import collections.abc
from itertools import repeat

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """A parser: an iterable becomes a tuple as it is, anything else is repeated ``n`` times."""

    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """``t`` reversed with each entry repeated ``n`` times: a conv padding ``(ph, pw)`` as ``F.pad``'s
    ``(pw, pw, ph, ph)``."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """An adaptive pool's ``output_size`` with each ``None`` taken from the input's trailing sizes."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys of ``state_dict`` (and of its ``_metadata``) in place.

    A state dict saved from a wrapped model (keys ``"module.fc.weight"``) then loads into the
    bare model.

    Example:
        >>> from collections import OrderedDict
        >>> sd = OrderedDict([("module.fc.weight", 1), ("module.fc.bias", 2)])
        >>> consume_prefix_in_state_dict_if_present(sd, "module.")
        >>> list(sd)
        ['fc.weight', 'fc.bias']
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            # '' is the wrapper's own entry; 'module' and 'module.xx' are the wrapped model's
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                metadata[key[len(prefix):]] = metadata.pop(key)
