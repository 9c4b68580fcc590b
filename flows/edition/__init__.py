"""Pure code of the domain: ingest → validate → compute → charts → render → publish."""
