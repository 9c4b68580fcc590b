"""The build's steps declared once (graph.py) and what runs them: the Prefect flow's tasks (tasks.py), the
preview's memos, `fir check`; the worker processes they share (workers.py)."""
