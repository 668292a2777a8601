"""Trillet's response models, field for field as its docs print them. These
serve the responses and generate openapi/trillet.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2024-06-01T10:00:00.000Z"])]
Sentiment = Literal["positive", "neutral", "negative"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TranscriptEntry(_Model):
    role: Literal["agent", "customer", "human"]
    content: str


class Participant(_Model):
    identity: str
    isAgent: bool
    metadata: dict[str, Any]
    joinedAt: DateTime


class ActiveCallDetail(_Model):
    id: str = Field(description="Unique identifier for the active call.")
    roomName: str = Field(description="The LiveKit room name.")
    customerPhone: str = Field(description="Customer's phone number.")
    customerName: str | None = Field(description="Customer's name if available.")
    aiAgentName: str = Field(description="Name of the AI agent handling the call.")
    duration: int = Field(ge=0, description="Current call duration in seconds.")
    sentiment: Sentiment = Field(description="Current detected sentiment.")
    transcript: list[TranscriptEntry] = Field(description="Live transcript of the conversation.")
    participants: list[Participant] = Field(description="Array of call participants with metadata.")


class ErrorResponse(_Model):
    """Flat, as the official SDK reads it (`message || error`)."""

    error: str
    message: str
