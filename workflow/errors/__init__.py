"""Business errors as values users can act on: a stable code, the field, both languages.

Every code is declared once, with its status and both wordings, in catalogue.py; raise
and catch its class: `raise errors.InvalidParent.missing(...)`, `except errors.InvalidParent`.
"""

from __future__ import annotations

from workflow.errors.base import AccessDenied, Conflict, DomainError, NotAuthenticated, NotFound, Text, TooLarge, TooManyRequests, not_found, table
from workflow.errors.catalogue import *  # noqa: F403  (the catalogue is this package's vocabulary)
from workflow.errors.catalogue import CATALOGUE

