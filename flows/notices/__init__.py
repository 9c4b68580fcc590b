"""What the flow, the commands and the portal tell people and keep a trace of: the audit log, the outbox of
messages owed, the notifications, the staff accounts they are addressed to and the words that name people and
changes. Below the flow and the portal, which both use it; it imports neither (pyproject, [tool.importlinter])."""
