"""offload-ai: verified multi-destination offload of camera media."""

__version__ = "0.1.0"
