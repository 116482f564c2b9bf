"""Every table, so migrations, replay and tests see the whole schema from one import."""

from sqlmodel import SQLModel

from workflow.eventlog import models as _eventlog_models  # noqa: F401
from workflow.org import models as _org_models, service as _org_service  # noqa: F401
from workflow.posts import models as _posts_models, service as _posts_service  # noqa: F401
from workflow.accounts import models as _account_models, service as _account_service  # noqa: F401
from workflow.exits import models as _exit_models, service as _exit_service  # noqa: F401
from workflow.visits import models as _visit_models, service as _visit_service  # noqa: F401
from workflow.visits import batch as _visit_batch  # noqa: F401  (the batch projector replays and imports use)
from workflow.obligations import models as _obligation_models, instances as _obligation_instances  # noqa: F401
from workflow.imports import models as _import_models, visits as _visit_imports  # noqa: F401
from workflow.audit import models as _audit_models  # noqa: F401

metadata = SQLModel.metadata

# Tables that are not rebuilt from the log by replay.
NOT_PROJECTIONS = {"account_token", "idempotent_request", "event", "audit_checkpoint"}
