"""Import every model so metadata (and Alembic) sees the whole schema."""

from surveyapp.accounts.models import StaffSession, ThrottleCounter, User, user_municipality
from surveyapp.api.models import ApiToken, ApiTokenUse, Publication, PublishedCount
from surveyapp.audit.models import AuditEntry
from surveyapp.branding.models import CoatOfArms
from surveyapp.channels.models import EmailRecipient, EmailSendLog, KioskDevice, PaperKeying
from surveyapp.jobs.models import Job
from surveyapp.municipalities.contacts import MunicipalityContact
from surveyapp.municipalities.models import Municipality, MunicipalityChange, MunicipalityPeriod
from surveyapp.questionnaires.models import QuestionFingerprint, Questionnaire
from surveyapp.results.models import PeerGroup, PeerValue, peer_group_member
from surveyapp.servicetest.evidence_models import ContactAttachment, ContactEvidence
from surveyapp.servicetest.models import (
    TestAssignment,
    TestResult,
    TestRound,
    test_round_municipality,
)
from surveyapp.surveys.models import (
    Answer,
    Invitation,
    Response,
    SurveyRound,
    round_municipality,
)

__all__ = [
    "Answer",
    "ApiToken",
    "ApiTokenUse",
    "AuditEntry",
    "CoatOfArms",
    "EmailRecipient",
    "EmailSendLog",
    "ContactAttachment",
    "ContactEvidence",
    "Invitation",
    "Job",
    "KioskDevice",
    "Municipality",
    "MunicipalityChange",
    "MunicipalityPeriod",
    "MunicipalityContact",
    "PeerGroup",
    "PaperKeying",
    "PeerValue",
    "Publication",
    "PublishedCount",
    "QuestionFingerprint",
    "Questionnaire",
    "Response",
    "StaffSession",
    "SurveyRound",
    "TestAssignment",
    "TestResult",
    "TestRound",
    "ThrottleCounter",
    "User",
    "peer_group_member",
    "round_municipality",
    "test_round_municipality",
    "user_municipality",
]
