"""The agency's portal: staff accounts and roles, sign-off, notifications, the audit log, and its web pages
(public downloads, staff review), whose app `fir serve` runs (web.py)."""
