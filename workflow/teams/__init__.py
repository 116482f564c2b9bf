"""Resident work teams (驻村工作队), township work groups, helping units and first secretaries (第一书记)."""
