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


# --- List Calls -------------------------------------------------------------


class ListAgent(_Model):
    id: str
    name: str


class Contact(_Model):
    phone: str
    name: str | None
    email: str | None


class CallListItem(_Model):
    id: str
    status: CallStatus
    direction: Literal["inbound", "outbound"]
    scheduledAt: DateTime | None = Field(description="When the call was or is scheduled (null for immediate calls)")
    duration: int | None = Field(description="Call duration in seconds (null until completed)")
    outcome: str | None
    twilioCallSid: str | None
    agent: ListAgent
    contact: Contact
    phoneNumber: str
    createdAt: DateTime


class Pagination(_Model):
    total: int = Field(ge=0)
    limit: int = Field(ge=1, le=100)
    offset: int = Field(ge=0)
    hasMore: bool


class CallList(_Model):
    calls: list[CallListItem]
    pagination: Pagination


class CallListResponse(_Model):
    data: CallList


# --- Cancel Call ------------------------------------------------------------


class CancelledCall(_Model):
    id: str
    status: Literal["cancelled"]


class CancelResponse(_Model):
    data: CancelledCall
    message: str


# --- Schedule Call and Batch Schedule Calls (bodies not documented) ---------


class RetryPlan(_Model):
    maxRetries: int = Field(ge=0, description="Retries after the first attempt")
    retryOn: list[Literal["no_answer", "busy", "failed"]] = Field(description="Outcomes that lead to another attempt")
    retryIntervals: list[str] | None
    retrySchedule: list[DateTime] | None


class ScheduledCall(_Model):
    id: str
    status: CallStatus
    direction: Literal["outbound"]
    agentId: str
    agent: ListAgent
    contact: Contact
    phoneNumber: str
    callerId: str
    scheduledAt: DateTime | None
    priority: int = Field(ge=0, le=10)
    retry: RetryPlan | None
    callMetadata: dict[str, Any] | None
    metadata: dict[str, Any]
    createdAt: DateTime


class ScheduleResponse(_Model):
    data: ScheduledCall
    message: str


class BatchItemResult(_Model):
    index: int = Field(ge=0, description="Position of the call in the request's `calls`")
    status: Literal["scheduled", "failed", "skipped"]
    callId: str | None
    scheduledAt: DateTime | None
    error: str | None


class BatchSummary(_Model):
    total: int = Field(ge=0)
    scheduled: int = Field(ge=0)
    failed: int = Field(ge=0)
    skipped: int = Field(ge=0)


class BatchResult(_Model):
    results: list[BatchItemResult]
    summary: BatchSummary


class BatchResponse(_Model):
    data: BatchResult
    message: str


# --- Outbound Call (the newer, queued version) ------------------------------


class OutboundAgent(_Model):
    id: str
    name: str
    type: Literal["voice"]


class OutboundMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")
    caller_id: str
    from_phone_number: str
    priority: int


class OutboundCall(_Model):
    id: str
    status: CallStatus
    agentId: str
    phoneNumber: str
    callerId: str
    startedAt: DateTime
    agent: OutboundAgent
    metadata: OutboundMetadata


class OutboundResponse(_Model):
    data: OutboundCall
    message: str
