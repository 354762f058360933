"""Query parameters of a search."""
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DocumentType = Literal["receipt", "file", "note", "draft", "document"]


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=500)
    # Comma-separated: receipt, file, note, draft, document (attached to a file).
    type: list[DocumentType] | None = None
    office: str | None = Field(None, max_length=32)
    classification: Literal["normal", "confidential", "secret", "top_secret"] | None = None
    date_from: date | None = None
    date_to: date | None = None
    number: str | None = Field(None, max_length=128)
    page: int = Field(1, ge=1, le=500)
    per_page: int = Field(20, ge=1, le=100)

    @field_validator("type", mode="before")
    @classmethod
    def split_types(cls, value):
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value
