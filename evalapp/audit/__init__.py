"""The audit log of what staff did. Ballots never appear in it."""
