"""Names a lesson may use, taken from the engine and the data package.

The engine and the data package are the authorities; the fallbacks below (copied from the
team API contract) only keep the validator usable in a checkout where one of them is missing.
"""

from __future__ import annotations

from functools import lru_cache

_FALLBACK_ACTIVATIONS = (
    "linear", "relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "swish", "gelu",
    "sine", "gaussian",
)
_FALLBACK_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
_FALLBACK_DATASETS = (
    "circle", "xor", "gauss", "spiral", "moons", "checkerboard", "spiral3", "plane", "multigauss",
    "penguins", "boxoffice", "boxoffice_budget", "digits",
)
_FALLBACK_FEATURES_2D = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2")
_FALLBACK_LAYER_KINDS = ("dense", "dropout", "layernorm", "residual")


@lru_cache(maxsize=1)
def activations() -> tuple[str, ...]:
    """Activations a hidden layer may use."""
    try:
        from neuroviz.engine import ACTIVATIONS
    except ImportError:
        return _FALLBACK_ACTIVATIONS
    return tuple(ACTIVATIONS)


@lru_cache(maxsize=1)
def optimizers() -> tuple[str, ...]:
    try:
        from neuroviz.engine import OPTIMIZERS
    except ImportError:
        return _FALLBACK_OPTIMIZERS
    return tuple(OPTIMIZERS)


@lru_cache(maxsize=1)
def datasets() -> tuple[str, ...]:
    try:
        from neuroviz.data import DATASETS
    except ImportError:
        return _FALLBACK_DATASETS
    return tuple(DATASETS)


@lru_cache(maxsize=1)
def features_2d() -> tuple[str, ...]:
    try:
        from neuroviz.data import FEATURES_2D
    except ImportError:
        return _FALLBACK_FEATURES_2D
    return tuple(FEATURES_2D)


@lru_cache(maxsize=1)
def layer_kinds() -> tuple[str, ...]:
    """Layer kinds a network spec (and a structure goal) may name: the engine's registry."""
    try:
        from neuroviz.engine.kinds import LAYER_KINDS
    except ImportError:
        return _FALLBACK_LAYER_KINDS
    return tuple(LAYER_KINDS)


def engine_available() -> bool:
    try:
        from neuroviz.engine import Network  # noqa: F401
    except ImportError:
        return False
    return True


def data_available() -> bool:
    try:
        from neuroviz.data import load_dataset  # noqa: F401
    except ImportError:
        return False
    return True
