"""The parts every interactive payload carries (who, which workspace) and the opaque ids in them."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What an id we put in a button value or a dialog's metadata looks like."""


class Id(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
