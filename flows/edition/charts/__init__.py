"""Stage 4, charts: which charts an edition has, their data, and their drawing (plotnine → SVG)."""
