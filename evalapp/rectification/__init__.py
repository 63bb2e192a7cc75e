"""The rectification list (整改清单): problems and the measures taken against them."""
