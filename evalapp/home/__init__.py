"""The front page: where raters type a ticket code and staff find the log-in."""
