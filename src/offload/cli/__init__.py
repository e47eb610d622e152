"""Command-line clients of the library: parse, call, render, map to an exit code."""
