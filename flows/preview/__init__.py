"""`fir preview`: the edition in a browser, laid out again each time an input file is saved.

No Prefect and nothing written: the preview is not a revision. It calls the build's pure functions
(snapshot, prepare, charts, HTML, paginate) and memoises charts on their data and page groups on their
document, so a save lays out again only the groups it changed.
"""
