"""Auditor tools: history, replay as of any moment, verification of the chain and projections, checkpoints."""
