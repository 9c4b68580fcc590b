"""The agency's portal: staff accounts and roles (and, to come, sign-off, review pages and the service)."""
