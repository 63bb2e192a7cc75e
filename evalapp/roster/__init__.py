"""Rater groups (strata) and the roster of people a sample is drawn from."""
