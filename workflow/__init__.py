"""The domain: org tree, posts, visits, exits, obligations, the event log and replay.

Never imports FastAPI; reads rules through the `rules` package.
"""
