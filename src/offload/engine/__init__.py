"""The copy engine: one reader, one writer per destination, bounded queues, read-back."""
