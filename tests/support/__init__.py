"""Test support: real fault injection (FaultyFS) and real mounts; see docs/reliability.md."""
