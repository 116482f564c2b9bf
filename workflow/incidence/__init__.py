"""Poverty incidence (贫困发生率): registered poor population ÷ rural population, per unit over time."""
