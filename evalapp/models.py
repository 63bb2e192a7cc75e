"""Every model, imported in one place so that Alembic and the app see the whole schema.

The models themselves live with their features.
"""

from evalapp.api.models import ApiToken
from evalapp.audit.models import AuditChain, AuditEntry
from evalapp.auth.models import Role, User
from evalapp.ballotbox.models import BoxKey, BoxOpening, CustodyKey, CustodyShare, SealedBallot
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import (
    Campaign,
    CampaignStatus,
    CommonItem,
    IndividualItem,
    Level,
    Membership,
    Office,
    ProblemEntry,
    RaterGroup,
    ReportFile,
    Satisfaction,
    Section,
    Subject,
)
from evalapp.rectification.models import (
    MeasureStatus,
    ProblemSource,
    RectificationMeasure,
    RectificationProblem,
)
from evalapp.results.models import ResultOutput
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw
from evalapp.rounds.models import Round
from evalapp.sampling.models import DrawSecret
from evalapp.tickets.models import Ticket, TicketBatch
from evalapp.units.models import OrgUnit, UnitKind
from evalapp.uploads import KeptUpload

__all__ = [
    "ApiToken",
    "AuditChain",
    "AuditEntry",
    "Ballot",
    "BoxKey",
    "BoxOpening",
    "Campaign",
    "CampaignStatus",
    "CommonItem",
    "CustodyKey",
    "CustodyShare",
    "DrawSecret",
    "DrawnPerson",
    "IndividualItem",
    "KeptUpload",
    "Level",
    "MeasureStatus",
    "Membership",
    "Office",
    "OrgUnit",
    "ProblemEntry",
    "ProblemSource",
    "RaterGroup",
    "RectificationMeasure",
    "RectificationProblem",
    "ReportFile",
    "ResultOutput",
    "Role",
    "RosterEntry",
    "Round",
    "SampleDraw",
    "Satisfaction",
    "SealedBallot",
    "Section",
    "Subject",
    "Ticket",
    "TicketBatch",
    "UnitKind",
    "User",
]
