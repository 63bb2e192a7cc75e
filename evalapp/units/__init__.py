"""Organisation units: the tree of administration, customs and branches."""
