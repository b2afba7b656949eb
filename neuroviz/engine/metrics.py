"""Metrics: accuracy for classification, RMSE and R² for regression (NumPy)."""

from __future__ import annotations

import numpy as np


def predicted_labels(pred: np.ndarray, loss: str) -> np.ndarray:
    """Class labels from network outputs: argmax for several outputs, p ≥ 0.5 for one."""
    if pred.shape[1] > 1 and loss == "softmax_ce":
        return np.argmax(pred, axis=1)
    return (pred >= 0.5).astype(np.int64)


def true_labels(Y: np.ndarray, loss: str) -> np.ndarray:
    if Y.shape[1] > 1 and loss == "softmax_ce":
        return np.argmax(Y, axis=1)
    return (Y >= 0.5).astype(np.int64)


def accuracy(pred: np.ndarray, Y: np.ndarray, loss: str) -> float:
    """Fraction of correct labels (element-wise for several independent sigmoid outputs)."""
    return float(np.mean(predicted_labels(pred, loss) == true_labels(Y, loss)))


def rmse(pred: np.ndarray, Y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - Y) ** 2)))


def r2(pred: np.ndarray, Y: np.ndarray) -> float:
    """Coefficient of determination, 1 − SS_res / SS_tot (pooled over outputs)."""
    ss_res = float(np.sum((pred - Y) ** 2))
    ss_tot = float(np.sum((Y - Y.mean(axis=0)) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot
