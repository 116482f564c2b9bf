"""Posts (任职), pairings of cadres with households (结对帮扶) and unit links (联系村)."""
