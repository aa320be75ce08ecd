"""Imported statements (bankafschriften) of the municipal account and their transactions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Cents, Timestamp, utcnow

# What the queue's text filter searches: the text and references in lower case (migration 0003).
SEARCH_TEXT_SQL = ("lower(coalesce(description, '') || ' ' || coalesce(structured_reference, '')"
                   " || ' ' || coalesce(end_to_end_id, ''))")


class ImportedFile(Base):
    """One file a clerk imported, with the result shown to them (history of imports)."""

    __tablename__ = "imported_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(260))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(20))  # camt.053.001.02, mt940, csv-ing …
    imported_by: Mapped[str] = mapped_column(String(63))
    imported_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    result: Mapped[str | None] = mapped_column(Text)  # JSON summary shown on the result card


class Statement(Base):
    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("imported_files.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"), index=True)
    bank_statement_id: Mapped[str | None] = mapped_column(String(100))  # Stmt/Id, :20:/:28C:
    period_from: Mapped[date | None]
    period_through: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # Null for bank CSV exports, which carry no balances.
    opening_balance_cents: Mapped[int | None] = mapped_column(Cents)
    opening_date: Mapped[date | None]
    closing_balance_cents: Mapped[int | None] = mapped_column(Cents)
    closing_date: Mapped[date | None]
    warning: Mapped[str | None] = mapped_column(Text)  # e.g. stored with --force
    imported_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

    transactions: Mapped[list[BankTransaction]] = relationship(back_populates="statement")


class BankTransaction(Base):
    """One entry (or one detail of a batch entry) on the municipal account."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        # Each entry stored once across files: the bank's reference or a fingerprint.
        UniqueConstraint("account_id", "dedup_key", name="uq_bank_transactions_dedup"),
        Index("ix_bank_transactions_open", "is_open", "booking_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    booking_date: Mapped[date]
    value_date: Mapped[date | None]
    amount_cents: Mapped[int] = mapped_column(Cents)  # signed: + credit (in), - debit (out)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    reversal: Mapped[bool] = mapped_column(default=False)
    bank_reference: Mapped[str | None] = mapped_column(String(100))  # AcctSvcrRef
    entry_reference: Mapped[str | None] = mapped_column(String(100))  # NtryRef
    end_to_end_id: Mapped[str | None] = mapped_column(String(100), index=True)
    mandate_id: Mapped[str | None] = mapped_column(String(100))
    transaction_code: Mapped[str | None] = mapped_column(String(40))  # BkTxCd / TRTP
    counterparty_name: Mapped[str | None] = mapped_column(String(200))
    counterparty_iban: Mapped[str | None] = mapped_column(String(34), index=True)
    counterparty_bic: Mapped[str | None] = mapped_column(String(11))
    description: Mapped[str | None] = mapped_column(Text)
    structured_reference: Mapped[str | None] = mapped_column(String(40))  # betalingskenmerk
    batch_info: Mapped[str | None] = mapped_column(Text)
    # Kept by the database (stored on PostgreSQL, computed on read on SQLite): one plain LIKE
    # instead of ILIKE over three columns, five times faster on PostgreSQL.
    search_text: Mapped[str | None] = mapped_column(
        Text, Computed(SEARCH_TEXT_SQL, persisted=True), deferred=True)
    return_reason: Mapped[str | None] = mapped_column(String(40))  # RtrInf, /RTRN/
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    # Kept by the booking services: the transaction is in the queue exactly while not fully
    # booked. ``version`` makes two clerks booking one transaction collide visibly.
    booked_cents: Mapped[int] = mapped_column(Cents, default=0)
    is_open: Mapped[bool] = mapped_column(default=True)
    # A clerk undid an automatic link: the matcher may still suggest, never link it again.
    manual_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    statement: Mapped[Statement] = relationship(back_populates="transactions")
