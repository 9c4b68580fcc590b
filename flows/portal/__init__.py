"""The agency's portal: staff accounts created and changed, logins and sessions, sign-off, and its web pages
(public downloads, staff review), whose app `fir serve` runs (web.py). The audit log, the outbox and the
notifications it writes are flows/notices', which the flow and the commands use too."""
