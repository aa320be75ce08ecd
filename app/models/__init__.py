"""Typed SQLAlchemy 2.0 models, one module per aggregate. Money is integer cents."""

from app.models.agreement import (
    Agreement,
    Category,
    CategoryKind,
    Direction,
    Frequency,
    LearnedPattern,
    PaymentMethod,
    SearchTerm,
)
from app.models.audit import AuditEntry, AuditHead, Setting
from app.models.base import Base
from app.models.booking import Booking, BookingMethod, Suggestion
from app.models.employee import Employee, Role
from app.models.letter_text import LetterText
from app.models.organisation import BankAccount, Organisation, OrganisationKind
from app.models.participant import (
    DEFAULT_BUFFER_CENTS,
    AllowanceFrequency,
    ContactKind,
    ContactNote,
    DebtSituation,
    OverviewDelivery,
    Participant,
    ParticipantStatus,
    Referral,
    ReferralKind,
    ReferralOutcome,
    SelfReliance,
    StatusChange,
    Variant,
)
from app.models.payout import Payout, PayoutBatch, PayoutBatchStatus, PayoutKind, PayoutStatus
from app.models.repayment import RepaymentKind, RepaymentPlan
from app.models.signal import SYSTEM_ACTOR, Signal, SignalKind, SignalStatus
from app.models.statement import BankTransaction, ImportedFile, Statement

__all__ = [
    "DEFAULT_BUFFER_CENTS", "Agreement", "AllowanceFrequency", "AuditEntry", "AuditHead",
    "BankAccount", "BankTransaction", "Base", "Booking", "BookingMethod", "Category",
    "CategoryKind", "ContactKind", "ContactNote", "DebtSituation", "Direction", "Employee",
    "Frequency", "ImportedFile", "LearnedPattern", "LetterText", "Organisation",
    "OrganisationKind",
    "OverviewDelivery",
    "Participant", "ParticipantStatus", "PaymentMethod", "Payout", "PayoutBatch",
    "PayoutBatchStatus", "PayoutKind", "PayoutStatus",
    "Referral", "ReferralKind", "ReferralOutcome", "RepaymentKind", "RepaymentPlan", "Role",
    "SYSTEM_ACTOR",
    "SearchTerm", "SelfReliance", "Setting", "Signal", "SignalKind", "SignalStatus", "Statement",
    "StatusChange", "Suggestion", "Variant",
]
