"""Whose survey it is: coats of arms of municipalities (uploaded by an admin)."""
