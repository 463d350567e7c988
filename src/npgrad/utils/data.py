"""``torch.utils.data`` names, served by ``npgrad.data``.

The submodules ``npgrad.utils.data.dataset``, ``.sampler`` and ``.dataloader`` are
``npgrad.data``'s own, so ``from npgrad.utils.data.dataloader import default_collate``
works as it does in PyTorch.
"""
import sys

from ..data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,  # noqa: F401
                    IterableDataset, RandomSampler, Sampler, SequentialSampler, StackDataset, Subset,
                    SubsetRandomSampler, TensorDataset, WeightedRandomSampler, dataloader, dataset,
                    default_collate, default_convert, get_worker_info, random_split, sampler)

for _module in (dataset, sampler, dataloader):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
del _module
