"""The letter's texts as the municipality changed them (issue 17): per language and field of
``app.reports.letter_texts.Texts`` the text that replaces the shipped one. A missing row means
the shipped text (standaardtekst); "terug naar standaardtekst" deletes the row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamp, utcnow


class LetterText(Base):
    __tablename__ = "letter_texts"

    language: Mapped[str] = mapped_column(String(8), primary_key=True)  # 'nl', 'en', …
    # A field of Texts ('saldo_line'), or an entry of one of its dicts ('notices.dubbele
    # betaling', 'footer.Saldo eind van periode').
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(63))
    changed_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
