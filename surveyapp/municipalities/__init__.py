"""The municipality register."""
