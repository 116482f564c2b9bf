"""Set-up from nothing: the top unit of the tree and the first admin account, in one go."""

from __future__ import annotations

from sqlmodel import Session

from workflow.accounts import service as accounts
from workflow.accounts.models import Account
from workflow.eventlog import Actor
from workflow.org import service as org
from workflow.org.models import OrgUnit


def set_up(
    session: Session,
    *,
    actor: Actor,
    level: str,
    code: str,
    name: str,
    admin_name: str,
    name_en: str | None = None,
) -> tuple[OrgUnit, Account, str]:
    """The new top unit, an admin account over it and that account's token (shown once).

    Both are events like every other write; refused (`already_set_up`) once the tree has a top.
    """
    unit = org.add_top_unit(session, actor=actor, code=code, name=name, level=level, name_en=name_en)
    account, token = accounts.create_account(session, actor=actor, name=admin_name, roles=["admin"], scope_code=unit.code)
    return unit, account, token
