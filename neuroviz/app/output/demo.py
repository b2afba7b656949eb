"""The output view on its own, trained live: ``python -m neuroviz.app.output.demo [dataset]``.

The rig that trains and publishes snapshots is shared with the network view's demo
(:mod:`neuroviz.app.network.demo`).
"""

from neuroviz.app.network.demo import main

if __name__ == "__main__":
    raise SystemExit(main(network=False, output=True))
