"""Trillet's response models, field for field as its docs print them. These
serve the responses and generate openapi/trillet.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

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


# --- Active calls: list, insights, end-call, remove-agent -----------------


class ListParticipant(_Model):
    identity: str
    isAgent: bool
    joinedAt: DateTime


class ActiveCallItem(_Model):
    id: str = Field(description="Unique identifier for the active call.")
    roomName: str = Field(description="The LiveKit room name.")
    customerPhone: str = Field(description="Customer's phone number.")
    customerName: str | None = Field(description="Customer's name if available.")
    aiAgentName: str = Field(description="Name of the AI agent handling the call.")
    duration: int = Field(ge=0, description="Current call duration in seconds.")
    status: Literal["active"] = Field(description="Call status (always active on this endpoint).")
    sentiment: Sentiment = Field(description="Current detected sentiment.")
    lastMessage: str = Field(description="The most recent message in the conversation (empty before anyone spoke).")
    transferRequested: bool = Field(description="Whether a handoff to a human was requested.")
    type: Literal["phone", "web"] = Field(description="Call type.")
    participants: list[ListParticipant] = Field(description="Participants in the room.")


class ActiveCallList(_Model):
    data: list[ActiveCallItem] = Field(description="Array of active call objects.")
    count: int = Field(ge=0, description="Total number of active calls.")
    timestamp: DateTime = Field(description="Server time of the response.")


class CallInsights(_Model):
    sentiment: Sentiment = Field(description="Overall sentiment of the conversation so far.")
    topics: list[str] = Field(description="Key topics discussed so far.")
    summary: str = Field(description="Summary of the conversation so far.")
    suggestions: list[str] = Field(description="Suggestions for the agent.")


class EndCallResponse(_Model):
    success: bool
    message: str
    roomName: str
    endTime: DateTime = Field(description="When the call was ended.")


class _Request(BaseModel):
    """Request bodies: unknown fields are ignored, as most APIs do."""


class RemoveAgentRequest(_Request):
    participantIdentity: str = Field(min_length=1, description="Identity of the AI agent participant to mute.")


class RemoveAgentResponse(_Model):
    success: bool
    message: str
    roomName: str
    mutedTracks: list[str] = Field(description="LiveKit track SIDs that were muted (TR_...).")


# --- Outbound call ---------------------------------------------------------

E164 = r"^\+[1-9]\d{1,14}$"
CALLBACK_URL = r"^https?://[^\s/?#]+\S*$"
VariableValue = str | int | float | bool


class OutboundCallRequest(_Request):
    to: str = Field(pattern=E164, description="Destination phone number in E.164 format.", examples=["+14155551234"])
    call_agent_id: str = Field(min_length=1, description="The agent that places the call.", examples=["a1b2c3d4e5f6a7b8c9d0e1f2"])
    callback_url: str | None = Field(
        None, pattern=CALLBACK_URL, description="Absolute http(s) URL that receives webhook events for this call.", examples=["https://example.com/hooks/trillet"]
    )
    dynamic_variables: dict[str, VariableValue] | None = Field(
        None, description="Values injected into the agent's script, e.g. firstName, lastName, email."
    )
    metadata: dict[str, Any] | None = Field(None, description="Passed to the agent's webhook; not given to the LLM.")


class OutboundCallResponse(_Model):
    status: str
    message: str
    callId: str
    roomName: str = Field(description="LiveKit room name; usable with the active-calls endpoints once the call is live.")
    jobId: str = Field(description="Background job id.")


# --- Call history ----------------------------------------------------------

HistoryStatus = Literal["scheduled", "queued", "ringing", "active", "completed", "failed", "cancelled", "no-answer", "busy"]


class HistoryTranscriptEntry(_Model):
    role: Literal["agent", "customer", "human"]
    content: str


class CallHistoryItem(_Model):
    id_: str = Field(alias="_id", description="Call history record id (the callHistoryId).")
    timestamp: float = Field(description="When the call was made, Unix seconds.")
    callId: str = Field(description="Call id (the LiveKit room name).")
    fromPhoneNumber: str
    toPhoneNumber: str
    direction: Literal["inbound", "outbound", "bidirectional"]
    duration: int | None = Field(None, ge=0, description="Seconds; present once the call has ended.", exclude_if=lambda v: v is None)
    agent: str = Field(description="Agent name.")
    status: HistoryStatus
    callFlowName: str
    cost: float
    recordingUrl: str | None
    summary: str
    analyzedData: dict[str, Any]
    variables: dict[str, Any]
    transcript: list[HistoryTranscriptEntry]

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class CallHistoryList(RootModel[list[CallHistoryItem]]):
    pass


class Cost(_Model):
    customer_charge: float


class CallHistoryDetail(_Model):
    id_: str = Field(alias="_id")
    workspaceId: str
    agentId: str
    callFlowId: str
    roomName: str
    direction: Literal["inbound", "outbound", "bidirectional"]
    fromPhoneNumber: str
    toPhoneNumber: str
    status: HistoryStatus
    startTime: int | None = Field(description="Unix seconds; null until the call starts.")
    endTime: int | None = Field(description="Unix seconds; null until the call ends.")
    cost: Cost
    metadata: dict[str, Any]
    functionCalls: list[dict[str, Any]]
    summary: str
    analyzedData: dict[str, Any]
    createdAt: str = Field(json_schema_extra={"format": "date-time"}, examples=["2025-01-01T10:00:00Z"])
    updatedAt: str = Field(json_schema_extra={"format": "date-time"}, examples=["2025-01-01T10:05:00Z"])

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


# --- Web calls -------------------------------------------------------------


class WebConnectRequest(_Request):
    agentId: str = Field(min_length=1, description="The agent to talk to.", examples=["a1b2c3d4e5f6a7b8c9d0e1f2"])
    mode: Literal["voice", "text"] = Field("voice", description="voice (default) or text, as the web SDK sends.")
    dynamic_variables: dict[str, VariableValue] | None = Field(None, description="Values injected into the agent's script.")
    callback_url: str | None = Field(None, pattern=CALLBACK_URL, description="Absolute http(s) URL for this call's events.")


class PublicWebCallRequest(_Request):
    call_agent_id: str = Field(min_length=1, description="The public agent to talk to.", examples=["64f8e3b1c12d8e9a4f3c2d1e"])
    mode: Literal["voice", "text"] = Field("voice", description="voice (default) or text.")
    dynamic_variables: dict[str, VariableValue] | None = Field(None, description="Values injected into the agent's script.")
    callback_url: str | None = Field(None, pattern=CALLBACK_URL, description="Absolute http(s) URL for this call's events.")


class WebCallVoice(_Model):
    provider: str
    voiceId: str
    language: str


class WebCallAgent(_Model):
    id: str
    name: str
    model: str
    voice: WebCallVoice


class WebConnectResponse(_Model):
    status: str
    callId: str
    roomName: str = Field(description="The LiveKit room of the call.")
    token: str = Field(description="LiveKit access token to join roomName (HS256, signed with the workspace's LiveKit key).")
    agent: WebCallAgent


class WebDisconnectRequest(_Request):
    roomName: str = Field(min_length=1, description="The web call's room.", examples=["web-a1b2c3d4e5f6a7b8c9d0e1f2-k3m9x2p7q1"])


class WebDisconnectResponse(_Model):
    status: str
    message: str
