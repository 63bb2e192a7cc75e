"""The demo (演示) installation: units, accounts and two campaigns with realistic data."""
