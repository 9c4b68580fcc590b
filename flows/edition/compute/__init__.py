"""Stage 3, compute: shares, variances, execution rates, and the catalogue of named printed figures."""
