"""Accounts (账号): who may call the API, with which roles, over which part of the org tree.

models.py holds the account projection, its token hashes and the idempotency records;
service.py creates and revokes accounts (as events) and resolves a bearer token;
access.py decides what an account may do; scope.py decides what it may see.
"""
