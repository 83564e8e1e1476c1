"""Results: statistics, peer figures and reports."""
