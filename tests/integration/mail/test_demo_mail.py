"""`billtrack demo` with a mail server set: one mail per invoice reaches the server, once.

(Without one it leaves one `.eml` per invoice in the data folder: tests/e2e/test_demo_command.py.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from billtrack.entrypoints.cli.demo_company import EMPLOYEES
from tests.support.smtp_server import SmtpTestServer


def run_demo(data_dir: Path, server: SmtpTestServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "billtrack", "demo", "--no-serve", "--month", "2024-10"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "BILLTRACK_DATA_DIR": str(data_dir),
            "BILLTRACK_SMTP_HOST": server.host,
            "BILLTRACK_SMTP_PORT": str(server.port),
            "BILLTRACK_SMTP_SECURITY": "none",
            "BILLTRACK_MAIL_FROM": "Demo Billing <billing@demo.test>",
            "BILLTRACK_PDF_RENDERER": "builtin",
        },
    )


def test_the_demo_mails_each_invoice_once_through_the_smtp_server(
    tmp_path: Path, smtp_server: SmtpTestServer
) -> None:
    data_dir = tmp_path / "data"

    first = run_demo(data_dir, smtp_server)

    assert first.returncode == 0, first.stderr
    assert "12 invoices for 2024-10, 12 PDFs rendered now" in first.stdout
    received = smtp_server.received
    assert len(received) == len(EMPLOYEES) == 12
    assert sorted(r.rcpt_tos for r in received) == sorted(
        (f"{mailbox}@example.com",) for *_, mailbox in EMPLOYEES
    )
    assert {r.mail_from for r in received} == {"billing@demo.test"}
    messages = smtp_server.messages()
    # Numbered in the year they are issued (today's), for October 2024.
    numbers = sorted(m["Subject"].split()[1] for m in messages)
    year = numbers[0][:4]
    assert numbers == [f"{year}-{n:06d}" for n in range(1, 13)]
    assert all(" for October 2024" in m["Subject"] for m in messages)
    assert len({m["Message-ID"] for m in messages}) == 12
    assert all(m["Message-ID"].endswith("-r1-s1@billtrack>") for m in messages)
    for message in messages:
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == f"invoice-{message['Subject'].split()[1]}.pdf"
        assert attachment.get_content().startswith(b"%PDF-")
    texts = [m.get_body(preferencelist=("plain",)) for m in messages]
    names = " ".join(text.get_content() for text in texts if text is not None)
    assert "Дмитро Шевченко" in names
    assert "Γιώργος Παπαδόπουλος" in names
    assert not (data_dir / "mail").exists() or not list((data_dir / "mail").glob("*.eml"))

    # Run again on the same folder: the invoices are found, and mailed no second time.
    again = run_demo(data_dir, smtp_server)
    assert again.returncode == 0, again.stderr
    assert "0 PDFs rendered now" in again.stdout
    assert len(smtp_server.received) == 12
