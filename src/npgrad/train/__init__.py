"""Training: the Trainer, its callbacks, metrics, checkpoints, plots and model specs."""
from .callbacks import (BestCheckpoint, Callback, EarlyStopping, GradientClipping, NonFiniteLossError,
                        StopOnNonFiniteLoss)
from .checkpoint import atomic_write_text, load_checkpoint, save_checkpoint
from .metrics import accuracy, confusion_matrix, macro_f1, mean_absolute_error, root_mean_squared_error
from .models import build_model
from .trainer import Trainer
