"""The look-back (回头看): two closed campaigns compared, unit by unit and item by item."""
