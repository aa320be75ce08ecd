"""Paying out: which payments are due, TARGET2 days, SEPA text and the pain.001 file (pure)."""
