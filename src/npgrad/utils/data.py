"""``torch.utils.data`` names, served by ``npgrad.data``."""
from ..data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,  # noqa: F401
                    Sampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                    default_collate, default_convert, random_split)
