"""Plainly labelled fictitious demo data, and the one-step set-up used by `make run`."""
