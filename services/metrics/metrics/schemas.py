"""Validation of the metrics API's query parameters (pydantic): 422 with one reason per field."""
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .domain import IST, parse_week
from .exceptions import InvalidRange

MAX_REPORT_DAYS = 366
Level = Literal["office", "department", "district"]
Format = Literal["json", "csv"]


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


def _week(value):
    if value is None:
        return None
    return parse_week(value)


class WeekQuery(Query):
    week: str | None = Field(None, description="ISO week in IST, e.g. 2026-W47; the current week if absent")

    @field_validator("week")
    @classmethod
    def iso_week(cls, value):
        _week(value)
        return value

    @property
    def week_number(self):
        return _week(self.week)


class ScoreboardQuery(WeekQuery):
    level: Level = "district"
    district: str | None = Field(None, max_length=16)
    format: Format = "json"


class PageQuery(WeekQuery):
    level: Level = "district"


class ReportQuery(Query):
    office: str | None = Field(None, max_length=32)
    district: str | None = Field(None, max_length=16)
    department: str | None = Field(None, max_length=16)
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")
    format: Format = "json"

    @model_validator(mode="after")
    def one_scope(self):
        if sum(x is not None for x in (self.office, self.district, self.department)) > 1:
            raise ValueError("choose at most one of office, district and department")
        return self

    def period(self, today, default_days=30):
        """(first day, last day), both included, in IST; checked for order and length."""
        last = self.date_to or today
        first = self.date_from or (last - timedelta(days=default_days - 1))
        if first > last:
            raise InvalidRange("from is after to", fields={"from": "after to"})
        if (last - first).days >= MAX_REPORT_DAYS:
            raise InvalidRange(f"a report covers at most {MAX_REPORT_DAYS} days", fields={"to": "period too long"})
        return first, last


class DispatchQuery(ReportQuery):
    """The dispatch report's rows are per issuing office, or its file's section, its department or district."""

    by: Literal["office", "section", "department", "district"] = "office"


class RegisterQuery(ReportQuery):
    """A register is read a page at a time (its CSV is the whole period)."""

    page: int = Field(1, ge=1)
    per_page: int = Field(100, ge=1, le=1000)


def today_ist(now):
    return now.astimezone(IST).date()
