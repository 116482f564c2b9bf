"""The small Huaihua-shaped sample data set, and the generator of Huaihua-scale ones."""
