"""Every table, so migrations, replay and tests see the whole schema from one import."""

from sqlmodel import SQLModel

from workflow.eventlog import models as _eventlog_models  # noqa: F401
from workflow.org import models as _org_models  # noqa: F401
from workflow.posts import models as _posts_models  # noqa: F401
from workflow.pairings import models as _pairing_models  # noqa: F401
from workflow.teams import models as _team_models  # noqa: F401
from workflow.plans import models as _plan_models  # noqa: F401
from workflow.accounts import models as _account_models  # noqa: F401
from workflow.exits import models as _exit_models  # noqa: F401
from workflow.visits import models as _visit_models  # noqa: F401
from workflow.obligations import models as _obligation_models  # noqa: F401
from workflow.imports import models as _import_models  # noqa: F401
from workflow.audit import models as _audit_models  # noqa: F401
from workflow.notices import models as _notice_models  # noqa: F401

metadata = SQLModel.metadata

# Tables that are not rebuilt from the log by replay.
# account_password and web_session: a password's hash and a browser's session are kept beside
# the log (account.password_set records that a password was set, not its hash).
# public_attempt: recent submissions of the public objection form per address (flood control).
# sign_in_attempt: an operational record of sign-ins (for slowing guessers), added to, never edited.
NOT_PROJECTIONS = {"account_password", "web_session", "sign_in_attempt", "idempotent_request", "event", "audit_checkpoint", "public_attempt"}
