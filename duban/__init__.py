"""duban (督办): from a government report to a supervised task book."""

__version__ = "0.1.0"
