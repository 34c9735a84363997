"""CoRoT VO: the Virtual Observatory data service of the CoRoT archive."""

__version__ = "0.1.0"

__all__ = ["__version__"]
