"""Renderers of a finished offload: JSON job report, per-file CSV, terminal summary; and the
JSON-lines event stream for other programs."""
