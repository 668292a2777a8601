"""Heppu's response models, field for field as its docs print them. These
serve the responses and generate openapi/heppu.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2025-12-01T14:00:00Z"])]

CallStatus = Literal[
    "scheduled",
    "queued",
    "initiated",
    "connecting",
    "ringing",
    "active",
    "completed",
    "failed",
    "cancelled",
    "no_answer",
    "busy",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentRef(_Model):
    id: str
    name: str
    type: Literal["voice", "chat"]


class TranscriptMessage(_Model):
    role: Literal["assistant", "user"]
    content: str
    timestamp: DateTime


class LiveParticipant(_Model):
    identity: str
    name: str


class LiveRoomStatus(_Model):
    roomExists: bool
    numParticipants: int = Field(ge=0)
    participants: list[LiveParticipant]


class Call(_Model):
    id: str
    status: CallStatus
    direction: Literal["inbound", "outbound"]
    phoneNumber: str
    duration: int | None = Field(description="Call duration in seconds (null if not completed)")
    startedAt: DateTime | None
    endedAt: DateTime | None
    failureReason: str | None
    agent: AgentRef
    summary: str | None
    transcript: list[TranscriptMessage] | None
    metadata: dict[str, Any]
    roomId: str | None
    jobId: str | None
    sipParticipantId: str | None
    liveRoomStatus: LiveRoomStatus | None = Field(
        description="Real-time LiveKit room status; present while connecting, ringing or active, null otherwise"
    )
    createdAt: DateTime
    updatedAt: DateTime


class CallResponse(_Model):
    data: Call


class ErrorDetail(_Model):
    message: str
    code: int


class ErrorResponse(_Model):
    error: ErrorDetail
