"""Every projection of the event log, in the order each event is applied to them.

The log loads this declaration by name (`eventlog.projection.DECLARATION`) before it applies
its first event, so every process that writes keeps every projection, whatever it imported.
A projection later in the list may read what the ones before it wrote for the same event:
the obligations projection reads the visits, posts, pairings and links kept before it, the
pairing cover the households, spells and pairings.
"""

from workflow.accounts.service import ACCOUNTS
from workflow.exits.service import EXITS
from workflow.imports.onboarding import ONBOARDING
from workflow.imports.visits import IMPORTS
from workflow.obligations.poor_counts import POOR_COUNTS
from workflow.obligations.projection import OBLIGATIONS
from workflow.org.service import ORG
from workflow.pairings.cover import PAIRING_COVER
from workflow.pairings.service import PAIRINGS
from workflow.plans.service import PLANS
from workflow.posts.service import POSTS
from workflow.teams.service import TEAMS
from workflow.visits.service import VISITS

DECLARED = (ORG, POSTS, PAIRINGS, TEAMS, PLANS, ACCOUNTS, EXITS, VISITS, IMPORTS, ONBOARDING, OBLIGATIONS, PAIRING_COVER, POOR_COUNTS)
