"""``python -m offload``: the ``offload`` command (see ``offload.cli.entry``)."""

from offload.cli.entry import entry_point

entry_point()
