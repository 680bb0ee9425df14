"""The electronic invoices (电子发票) issued for portal invoice registrations.

One row per invoice number. A re-issue (红冲/重开) never edits a row: the old one is marked
``voided`` with the time and the row that replaced it, and a new row carries the new number, so
what the buyer once received can always be shown again. The PDF is kept in the row: it is written
in the same transaction as the number, so a rolled-back issue leaves neither behind.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class InvoiceStatus(enum.StrEnum):
    ISSUED = "issued"
    VOIDED = "voided"

    @property
    def label(self) -> str:
        return INVOICE_STATUS_LABELS[self]


INVOICE_STATUS_LABELS = {InvoiceStatus.ISSUED: "已开具", InvoiceStatus.VOIDED: "已红冲"}


class Invoice(Base):
    """An issued invoice: the buyer's title and tax id as printed, the lines and total in fen."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_request_id_status", "request_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("portal_requests.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    number: Mapped[str] = mapped_column(String(32), unique=True, comment="the provider's invoice number")
    provider: Mapped[str] = mapped_column(String(32))
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(
            InvoiceStatus,
            name="invoice_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=InvoiceStatus.ISSUED,
    )
    invoice_type: Mapped[str] = mapped_column(String(16), comment="personal or company")
    title: Mapped[str] = mapped_column(String(128), comment="购买方名称")
    tax_id: Mapped[str | None] = mapped_column(String(20), comment="购买方纳税人识别号")
    amount_fen: Mapped[int] = mapped_column(Integer, comment="价税合计")
    lines: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, comment="title, quantity, unit and amount fen"
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    issued_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), comment="NULL: the buyer or a completed ticket"
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
