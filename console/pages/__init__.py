"""One module per page group; each exports ROUTES (paths relative to /console)."""
