"""The org tree (province → village, and city-direct units), people and poor households."""
