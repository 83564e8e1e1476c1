"""Citizen surveys: rounds, invitations, responses."""
