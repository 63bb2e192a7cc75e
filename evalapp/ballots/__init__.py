"""Anonymous ballots and their answers."""
