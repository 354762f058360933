"""JSON text as every service answers it: dates in ISO 8601, text as itself (not \\u escapes)."""
import json
from datetime import date, datetime


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(payload):
    return json.dumps(payload, ensure_ascii=False, default=_json_default)
