"""Service test (mystery-shopper) rounds: working days, scoring, scheduling."""
