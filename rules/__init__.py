"""The rule book: its schema, its loader and the rule-book files (data, not code).

Nothing here touches the database; `workflow` asks this package which book is in
force on a date and reads its rules.
"""

from rules.loader import RuleBookError, RuleBooksRefused, load_rule_book, load_shipped_books
from rules.registry import RuleBooks, default_books, load_configured
from rules.schema import (
    ExitProcedure,
    RoleDefinition,
    RuleBook,
    SignatureStep,
    VisitRule,
)

__all__ = [
    "ExitProcedure",
    "RoleDefinition",
    "RuleBook",
    "RuleBookError",
    "RuleBooksRefused",
    "RuleBooks",
    "SignatureStep",
    "VisitRule",
    "default_books",
    "load_configured",
    "load_rule_book",
    "load_shipped_books",
]
