"""``npgrad.nn.functional``: the math of every layer and loss, as plain functions."""
from .basic import *  # noqa: F401,F403
