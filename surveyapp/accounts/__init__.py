"""Staff accounts, roles, log-in and access rules."""
