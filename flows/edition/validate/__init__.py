"""Stage 2, validate: references between tables and texts, declared totals against their lines."""
