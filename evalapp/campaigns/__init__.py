"""Campaigns: their life cycle, scoring settings, questionnaire and subjects."""
