"""``python -m qfund_rules``: the same as the ``qfund`` command."""

from .cli import main

main()
