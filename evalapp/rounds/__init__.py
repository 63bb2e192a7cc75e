"""Rounds (测评轮次): a campaign's design made once at a unit and instantiated as one campaign
per unit below it; a change of the design before opening reaches every campaign not opened."""
