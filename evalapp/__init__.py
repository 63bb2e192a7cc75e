"""evalapp: debriefing evaluation (述职评议考核) and anonymous democratic rating (民主测评)."""

from evalapp.app import create_app

__all__ = ["create_app"]
