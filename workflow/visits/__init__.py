"""Field visits (走访) by officials to townships, villages and households."""
