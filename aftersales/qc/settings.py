"""Per-shop QC configuration: the pass mark, alert groups and checkpoint weights and thresholds."""

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.qc.checkpoints import BY_CODE, CHECKPOINTS, Configured
from aftersales.qc.errors import UnknownCheckpointError
from aftersales.qc.models import QcCheckpointSetting, QcShopSetting


def shop_setting(session: Session, shop_id: int) -> QcShopSetting:
    """The shop's settings row, created with defaults on first use: ``INSERT … ON CONFLICT DO
    NOTHING``, since two workers inspecting the shop's first chats at once both find none."""
    setting = session.get(QcShopSetting, shop_id)
    if setting is None:
        defaults = {"shop_id": shop_id, "pass_score": 80, "alert_group_code": "aftersales"}
        defaults |= {"high_alert_group_code": "supervisors", "updated_at": utcnow()}
        insert_ignore(session, QcShopSetting, [defaults], conflict_columns=["shop_id"])
        setting = session.get_one(QcShopSetting, shop_id)
    return setting


_OVERRIDES = select(QcCheckpointSetting).where(QcCheckpointSetting.shop_id == bindparam("shop_id"))


def configured_checkpoints(session: Session, shop_id: int) -> list[Configured]:
    """Built-in checkpoints with the shop's overrides applied; disabled ones are left out (the
    statement built once: every chat message inspected reads it)."""
    overrides = {row.code: row for row in session.scalars(_OVERRIDES, {"shop_id": shop_id})}
    result = []
    for checkpoint in CHECKPOINTS:
        override = overrides.get(checkpoint.code)
        if override is None:
            result.append(Configured(checkpoint, checkpoint.weight, dict(checkpoint.params)))
        elif override.enabled:
            result.append(Configured(checkpoint, override.weight, {**checkpoint.params, **override.params}))
    return result


def configure_checkpoint(
    session: Session,
    *,
    shop_id: int,
    code: str,
    weight: int | None = None,
    enabled: bool | None = None,
    params: dict[str, Any] | None = None,
) -> QcCheckpointSetting:
    """Change one checkpoint for one shop; thresholds must be known parameters with positive values."""
    checkpoint = BY_CODE.get(code)
    if checkpoint is None:
        raise UnknownCheckpointError(code)
    for key, value in (params or {}).items():
        if key not in checkpoint.params:
            raise InvalidInputError(f"params.{key}", "该质检点没有这个参数")
        if not isinstance(value, int) or value <= 0:
            raise InvalidInputError(f"params.{key}", "必须是正整数")
    row = session.scalar(
        select(QcCheckpointSetting).where(
            QcCheckpointSetting.shop_id == shop_id, QcCheckpointSetting.code == code
        )
    )
    if row is None:
        row = QcCheckpointSetting(
            shop_id=shop_id, code=code, weight=checkpoint.weight, enabled=True, params={}
        )
        session.add(row)
    if weight is not None:
        row.weight = weight
    if enabled is not None:
        row.enabled = enabled
    if params:
        row.params = {**row.params, **params}
    session.flush()
    return row


def update_shop_setting(
    session: Session,
    *,
    shop_id: int,
    pass_score: int | None = None,
    alert_group_code: str | None = None,
    high_alert_group_code: str | None = None,
) -> QcShopSetting:
    require_refs(session, {"shop_id": (Shop, shop_id)})
    setting = shop_setting(session, shop_id)
    if pass_score is not None:
        setting.pass_score = pass_score
    if alert_group_code is not None:
        setting.alert_group_code = alert_group_code
    if high_alert_group_code is not None:
        setting.high_alert_group_code = high_alert_group_code or None
    session.flush()
    return setting
