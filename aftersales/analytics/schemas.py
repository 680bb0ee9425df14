"""API shapes of analytics: analyses as tables, targets and alerts."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aftersales.analytics.results import Analysis


class TableRead(BaseModel):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


class AnalysisRead(BaseModel):
    key: str
    title: str
    tables: list[TableRead]
    findings: list[str]
    missing: list[str] = Field(description="inputs this analysis could not find, in Chinese")
    causes: list[str] = Field(default_factory=list, description="归因: the main causes found in the data")
    action: str = Field(default="", description="提升: the proposed action, as the lead last edited it")

    @classmethod
    def of(cls, analysis: Analysis) -> "AnalysisRead":
        return cls(
            key=analysis.key,
            title=analysis.title,
            tables=[
                TableRead(key=t.key, title=t.title, columns=t.columns, rows=t.rows, note=t.note)
                for t in analysis.tables
            ],
            findings=analysis.findings,
            missing=analysis.missing,
            causes=analysis.causes,
            action=analysis.action,
        )


class TargetIn(BaseModel):
    metric: str = Field(max_length=32, description="e.g. satisfaction_rate, first_response")
    level: str = Field(pattern="^(agent|group|shop|platform)$")
    subject: str = Field(default="", max_length=128, description='"" for every subject of the level')
    value: float


class TargetRead(TargetIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class AlertCheckIn(BaseModel):
    start: date
    end: date
    level: str = Field(default="agent", pattern="^(agent|group|shop|platform)$")


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    metric: str
    level: str
    subject: str
    period_start: date
    period_end: date
    actual: float
    target: float
    sample: int
    agent_id: int | None
    notified: bool
    created_at: datetime
