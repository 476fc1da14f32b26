"""sundhedsgraf: the Danish digital-health strategy portfolio as linked open data."""

from importlib.metadata import version

__version__ = version("sundhedsgraf")
