"""``torch.nn.modules.dropout``: the dropout modules and their base ``_DropoutNd``."""
from ..layers.dropout import (AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout,
                              _DropoutNd)

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
# the private names scripts import or subclass are exported too
__all__ += ["_DropoutNd"]
