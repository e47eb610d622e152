"""The version, in a module of its own: importing it runs none of the package."""

__version__ = "0.1.0"
