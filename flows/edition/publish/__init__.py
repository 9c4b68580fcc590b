"""Stage 6, publish: revisions, their records and errata, and the files written into outputs/."""
