"""What an account may do: the roles' permissions, and who may sign for whom.

What an account may *see* is scope.py's business; this module answers "may it act?".
An action outside the account's scope is refused as not found (scope.py), so a caller
cannot even learn that the record exists; an action inside the scope that the account's
roles do not allow is refused as forbidden (403), naming the role that would be needed.
"""

from __future__ import annotations

import dataclasses

from workflow.accounts.models import Account
from workflow.accounts.service import ROLES_ZH
from workflow import errors
from workflow.errors import AccessDenied, NotAuthenticated  # noqa: F401  (their home was here)
from workflow.eventlog import Actor
from workflow.org.models import OrgUnit


@dataclasses.dataclass(frozen=True)
class Caller:
    """The authenticated account making a request, with its scope unit resolved."""

    account_id: str
    name: str
    roles: frozenset[str]
    scope_code: str
    scope_path: str
    person_id: str | None

    @classmethod
    def of(cls, account: Account, scope: OrgUnit) -> Caller:
        return cls(account.id, account.name, account.role_set, scope.code, scope.path, account.person_id)

    def actor(self, *, on_behalf_of: str | None = None) -> Actor:
        return Actor(account=self.account_id, on_behalf_of=on_behalf_of)


# What each role may do beyond reading within its scope (every role reads).
REGISTRY = "manage the registry (org units, people, households, posts, pairings, links)"
RECORD = "record visits and exit-case steps"
AUDIT = "read the event log"
INSPECT = "read the irregularity report"
ACCOUNTS = "manage accounts (create, reset a password, revoke)"
_GRANTS = {
    ACCOUNTS: ({"admin"}, "管理账号(创建、重置密码、注销)"),
    INSPECT: ({"auditor", "admin", "supervisor"}, "查阅异常情况报表"),
    REGISTRY: ({"admin"}, "管理基础档案(组织、人员、贫困户、任职、结对、联系村)"),
    RECORD: ({"recorder"}, "录入走访和退出流程"),
    AUDIT: ({"auditor", "admin"}, "查阅事件日志"),
}


def require(caller: Caller, action: str) -> None:
    """Refuse (403) unless one of the caller's roles grants `action`."""
    roles, action_zh = _GRANTS[action]
    if caller.roles & roles:
        return
    raise errors.RoleNotAllowed(
        required_roles=sorted(roles),
        required_roles_zh=[ROLES_ZH[r] for r in sorted(roles)],
        action=action,
        action_zh=action_zh,
        roles=sorted(caller.roles),
        roles_zh=[ROLES_ZH[r] for r in sorted(caller.roles)],
    )


def signing_actor(caller: Caller, signer_id: str) -> Actor:
    """The Actor a signature by `signer_id` is recorded under, if this caller may record it.

    A person signs as themselves through an account linked to them (any role but auditor);
    a recorder may enter a paper signature on anyone's behalf, and the log keeps both the
    signer (`on_behalf_of`) and the recording account. Nobody else signs for anybody.
    """
    if signer_id == caller.person_id and caller.roles - {"auditor"}:
        return caller.actor()
    if "recorder" in caller.roles:
        return caller.actor(on_behalf_of=signer_id)
    raise errors.CannotSignForOthers()
