"""Every OS call with a quirk lives here: cache bypass, durable renames, direct I/O."""
