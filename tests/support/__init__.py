"""Helpers the tests share: factories, ways to log in, rate and organise as people do."""
