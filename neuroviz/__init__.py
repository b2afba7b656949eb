"""neuroviz: see deep learning happen.

Packages, imported in one direction only::

    engine/   NumPy + Numba: layers, losses, optimizers, network, trainer, snapshots
    data/     dataset generators and loaders (NumPy only)
    lessons/  lesson schema, loader, validator and goal checker (no Qt)
    app/      everything Qt
"""

__version__ = "0.1.0"
