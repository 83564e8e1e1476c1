"""The audit trail of staff changes."""
