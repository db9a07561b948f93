"""The SQS message bodies of the pipeline, and how jobs become bodies and bodies jobs.

The bodies keep the original BillTrack service's wire format, so its producers and consumers can
share the queues during a migration:

- render queue: `{"invoiceId": "<uuid>", "MessageType": "CreatedInvoice", "revision": 2}`; the
  `revision` is billtrack's extension, and a body without it (the original's) asks for the
  invoice's current revision;
- mail queue: `{"fileName", "employeeFullName", "emailTo", "MessageType": "GeneratedInvoice",
  "invoiceId", "revision"}`, the original emailer's fields plus the invoice and its revision.

Every message also carries its type as the String message attribute `MessageType`, so
subscriptions and filters can route on it without reading bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import Delivery, JobT

CREATED_INVOICE: Final = "CreatedInvoice"
GENERATED_INVOICE: Final = "GeneratedInvoice"
MESSAGE_TYPE_ATTRIBUTE: Final = "MessageType"


class MalformedMessage(ValueError):
    """A message body (or a Lambda record) that is not what its queue carries."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _WireModel(BaseModel):
    # Fields added by a later producer are ignored rather than refused: old workers keep working.
    model_config = ConfigDict(frozen=True, extra="ignore")


class CreatedInvoiceBody(_WireModel):
    """A render queue message: render the invoice's PDF."""

    invoice_id: UUID = Field(alias="invoiceId")
    message_type: Literal["CreatedInvoice"] = Field(alias="MessageType")
    revision: StrictInt | None = Field(default=None, ge=1)


class GeneratedInvoiceBody(_WireModel):
    """A mail queue message: mail the stored PDF of the invoice's revision to its employee."""

    file_name: StrictStr = Field(default="", alias="fileName")
    employee_full_name: StrictStr = Field(default="", alias="employeeFullName")
    email_to: StrictStr = Field(default="", alias="emailTo")
    message_type: Literal["GeneratedInvoice"] = Field(alias="MessageType")
    invoice_id: UUID = Field(alias="invoiceId")
    revision: StrictInt = Field(ge=1)
    send: StrictInt = Field(default=1, ge=1)
    """Which send of the revision: 1 after rendering, more for each "send again"."""


def _problems(error: ValidationError) -> str:
    """Each field that is wrong and why, e.g. `invoiceId: Input should be a valid UUID ...`."""
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'body'}: {detail['msg']}"
        for detail in error.errors(include_url=False)
    )


def encode_render_job(job: RenderJob) -> str:
    body = CreatedInvoiceBody(
        invoiceId=job.invoice_id, MessageType=CREATED_INVOICE, revision=job.revision
    )
    # Without a revision the key is left out, so the body is exactly the original's.
    return body.model_dump_json(by_alias=True, exclude_none=True)


def decode_render_job(body: str) -> RenderJob:
    """The job of a render queue body; `MalformedMessage` names what is wrong with it."""
    try:
        message = CreatedInvoiceBody.model_validate_json(body)
    except ValidationError as error:
        raise MalformedMessage(f"not a {CREATED_INVOICE} message: {_problems(error)}") from None
    return RenderJob(message.invoice_id, message.revision)


def encode_mail_job(job: MailJob) -> str:
    body = GeneratedInvoiceBody(
        fileName=job.file_name,
        employeeFullName=job.employee_name,
        emailTo=job.recipient,
        MessageType=GENERATED_INVOICE,
        invoiceId=job.invoice_id,
        revision=job.revision,
        send=job.send,
    )
    return body.model_dump_json(by_alias=True)


def decode_mail_job(body: str) -> MailJob:
    """The job of a mail queue body; `MalformedMessage` names what is wrong with it."""
    try:
        message = GeneratedInvoiceBody.model_validate_json(body)
    except ValidationError as error:
        raise MalformedMessage(f"not a {GENERATED_INVOICE} message: {_problems(error)}") from None
    return MailJob(
        message.invoice_id,
        message.revision,
        send=message.send,
        recipient=message.email_to,
        employee_name=message.employee_full_name,
        file_name=message.file_name,
    )


@dataclass(frozen=True, slots=True)
class JobMessages(Generic[JobT]):
    """How one queue's jobs travel: their `MessageType`, and the body of a job and back."""

    message_type: str
    encode: Callable[[JobT], str]
    decode: Callable[[str], JobT]
    """Raises `MalformedMessage`."""


RENDER_MESSAGES: JobMessages[RenderJob] = JobMessages(
    CREATED_INVOICE, encode_render_job, decode_render_job
)
MAIL_MESSAGES: JobMessages[MailJob] = JobMessages(
    GENERATED_INVOICE, encode_mail_job, decode_mail_job
)


def message_type_attribute(message_type: str) -> dict[str, dict[str, str]]:
    """The `MessageAttributes` of a message sent with SendMessage or SendMessageBatch."""
    return {MESSAGE_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": message_type}}


class LambdaRecordAttributes(_WireModel):
    approximate_receive_count: int = Field(alias="ApproximateReceiveCount", ge=1)


class SqsLambdaRecord(_WireModel):
    """The fields billtrack reads of one record of an SQS event as Lambda receives it."""

    message_id: StrictStr = Field(alias="messageId")
    receipt_handle: StrictStr = Field(alias="receiptHandle")
    body: StrictStr
    attributes: LambdaRecordAttributes


def delivery_from_lambda_record(
    record: Mapping[str, Any], decode: Callable[[str], JobT]
) -> Delivery[JobT]:
    """The delivery that one record of an SQS Lambda event is: the job its body holds (decoded by
    `decode`, e.g. `decode_render_job`), its receipt handle, and its receive count as the attempt.

    Raises `MalformedMessage` naming the message id when the record or its body is not right.
    """
    try:
        parsed = SqsLambdaRecord.model_validate(record)
    except ValidationError as error:
        message_id = record.get("messageId", "?") if isinstance(record, Mapping) else "?"
        raise MalformedMessage(
            f"SQS record {message_id} is malformed: {_problems(error)}"
        ) from None
    try:
        job = decode(parsed.body)
    except MalformedMessage as malformed:
        raise MalformedMessage(f"SQS message {parsed.message_id}: {malformed.problem}") from None
    return Delivery(job, parsed.receipt_handle, parsed.attributes.approximate_receive_count)
