"""``python -m duban`` is the ``duban`` command."""

from duban.cli import main

main()
