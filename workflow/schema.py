"""Every table, so migrations, replay and tests see the whole schema from one import."""

from sqlmodel import SQLModel

from workflow.eventlog import models as _eventlog_models  # noqa: F401
from workflow.org import models as _org_models, service as _org_service  # noqa: F401
from workflow.posts import models as _posts_models, service as _posts_service  # noqa: F401

metadata = SQLModel.metadata

# Tables that are not rebuilt from the log by replay.
NOT_PROJECTIONS = {"event"}
