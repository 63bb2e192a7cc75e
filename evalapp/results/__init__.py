"""A campaign's results, computed from its ballots through the `analysis` package."""
