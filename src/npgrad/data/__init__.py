"""Datasets and data loading, as ``torch.utils.data``, plus offline built-in tables."""
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .dataloader import DataLoader, default_collate, default_convert, get_worker_info
from .datasets import (DataError, Standardizer, TabularData, load_breast_cancer, load_builtin, load_csv,
                       load_digits, load_iris, load_wine)
