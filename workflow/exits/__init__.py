"""Exit cases (退出): a household, village or county leaving the poverty registry.

machines.py draws each level's procedure as a state machine and holds its rules;
service.py gathers the facts, runs the machine and records every transition as an event;
models.py holds the projections (cases, signatures, objections); reports.py the
missing-signatures report.
"""
