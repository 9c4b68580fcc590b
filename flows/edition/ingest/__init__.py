"""Stage 1, ingest: an edition folder read once into an immutable snapshot (the only reader of inputs/)."""
