"""The rater's side: entering with a ticket, the questionnaire, submitting, receipts."""
