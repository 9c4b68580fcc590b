"""Tools for the people who type an edition's figures (not part of the build)."""
