"""Stage 5, render: template context → HTML → page groups laid out by WeasyPrint → one bound PDF."""
