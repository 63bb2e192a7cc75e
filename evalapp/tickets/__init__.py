"""One-time anonymous tickets (测评票 codes)."""
