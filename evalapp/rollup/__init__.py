"""A round's roll-up for the leadership above its campaigns (issue 27, part 2)."""
