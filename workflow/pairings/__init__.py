"""Pairing coverage (结对帮扶全覆盖): unpaired poor households, coverage, deep-poverty advisories."""
