"""The mailer Lambda with a real SMTP server: a message really received from the SQS mail queue
(moto's server) is mailed once, however often Lambda hands it over."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from billtrack.domain.model.invoice import MailStatus
from billtrack.entrypoints.aws import container, mailer
from tests.integration.mail.test_smtp_delivery import EMPLOYEE_EMAIL, issue_invoice
from tests.support.moto_server import (
    MotoAws,
    lambda_record,
    moto_endpoint_or_skip,
    use_fake_aws_environment,
)
from tests.support.smtp_server import SmtpTestServer


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    yield from moto_endpoint_or_skip()


def test_the_mailer_lambda_mails_a_job_of_the_sqs_mail_queue_once(
    moto_endpoint: str,
    smtp_server: SmtpTestServer,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_fake_aws_environment(monkeypatch)
    aws = MotoAws(moto_endpoint)
    queues = aws.create_render_and_mail_queues(max_receive_count=3)
    shutil.copyfile(sqlite_template, tmp_path / "billtrack.sqlite3")
    environment = {
        "DATA_DIR": str(tmp_path),
        "JWT_SECRET": "x" * 40,
        "QUEUE": "sqs",
        "SQS_QUEUE_URL": queues.render.url,
        "SQS_MAIL_QUEUE_URL": queues.mail.url,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_SECURITY": "none",
        "PDF_RENDERER": "builtin",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"BILLTRACK_{name}", value)
    container.application.cache_clear()
    app = container.application()  # the container's, as the handler will find it
    try:
        view = issue_invoice(app)
        (render,) = app.render_queue.receive(1, wait_seconds=1)
        app.handle(render.job)
        app.render_queue.acknowledge(render)
        (message,) = aws.receive_raw(queues.mail.url)
        record = lambda_record(message, queues.mail.arn)

        # Lambda may hand a message over twice (at-least-once): one mail still.
        assert mailer.handler({"Records": [record]}, None) == {"batchItemFailures": []}
        assert mailer.handler({"Records": [record]}, None) == {"batchItemFailures": []}

        (received,) = smtp_server.received
        assert received.rcpt_tos == (EMPLOYEE_EMAIL,)
        assert received.message()["Message-ID"] == f"<invoice-{view.invoice.id}-r1-s1@billtrack>"
        assert app.get_invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT
    finally:
        app.close()
        container.application.cache_clear()
