"""S3 object storage over moto's server: the stored object's headers, overwriting, the SigV4 download
links, and how an outage shows. What every storage does is in the storage contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from billtrack.adapters.aws.clients import AwsConnection, s3_client
from billtrack.adapters.aws.s3_storage import S3ObjectStorage, attachment_disposition
from billtrack.ports.errors import DependencyUnavailable, ObjectMissing
from billtrack.ports.storage import ObjectStorage
from tests.support.moto_server import (
    REGION,
    MotoAws,
    closed_endpoint,
    presigned_url_expiry,
    unavailable_endpoint,
)

KEY = "invoices/2024/2024-000001/3f2b8c1e-9a4d-4e57-8b0a-5c6d7e8f9a01-r1.pdf"
FILE_NAME = "3f2b8c1e-9a4d-4e57-8b0a-5c6d7e8f9a01-r1.pdf"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n%%EOF\n"


@pytest.fixture
def storage(aws: MotoAws, s3_bucket: str) -> S3ObjectStorage:
    return S3ObjectStorage(s3_bucket, aws.s3)


def test_the_storage_fits_the_port(storage: S3ObjectStorage) -> None:
    port: ObjectStorage = storage
    port.put(KEY, PDF, "application/pdf")
    assert port.get(KEY) == PDF


def test_an_object_is_stored_as_a_download_named_for_its_key(
    aws: MotoAws, storage: S3ObjectStorage
) -> None:
    storage.put(KEY, PDF, "application/pdf")

    head = aws.s3.head_object(Bucket=storage.bucket, Key=KEY)
    assert head["ContentType"] == "application/pdf"
    assert head["ContentDisposition"] == f'attachment; filename="{FILE_NAME}"'
    assert head["ContentLength"] == len(PDF)


def test_the_download_name_can_be_chosen(aws: MotoAws, s3_bucket: str) -> None:
    storage = S3ObjectStorage(s3_bucket, aws.s3, download_name=lambda key: "2024-000001.pdf")
    storage.put(KEY, PDF, "application/pdf")

    head = aws.s3.head_object(Bucket=s3_bucket, Key=KEY)
    assert head["ContentDisposition"] == 'attachment; filename="2024-000001.pdf"'


def test_a_second_put_overwrites_the_one_object(aws: MotoAws, storage: S3ObjectStorage) -> None:
    storage.put(KEY, b"first", "application/pdf")
    storage.put(KEY, PDF, "application/pdf")

    listing = aws.s3.list_objects_v2(Bucket=storage.bucket)
    assert [item["Key"] for item in listing["Contents"]] == [KEY]
    assert storage.get(KEY) == PDF


def test_missing_objects(storage: S3ObjectStorage) -> None:
    assert not storage.exists(KEY)
    with pytest.raises(ObjectMissing, match=r"-r1\.pdf"):
        storage.get(KEY)
    storage.put(KEY, PDF, "application/pdf")
    assert storage.exists(KEY)


def test_a_download_url_is_sigv4_presigned_for_its_lifetime(storage: S3ObjectStorage) -> None:
    storage.put(KEY, PDF, "application/pdf")
    before = datetime.now(UTC).replace(microsecond=0)

    url = storage.download_url(KEY, timedelta(minutes=15))

    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-Credential"][0].endswith(f"/{REGION}/s3/aws4_request")
    assert query["X-Amz-SignedHeaders"] == ["host"]
    # moto does not enforce the expiry of pre-signed URLs, so the values S3 checks are checked here.
    expiry = presigned_url_expiry(url)
    assert before + timedelta(minutes=15) <= expiry <= datetime.now(UTC) + timedelta(minutes=15)


def test_a_download_url_downloads_the_pdf_as_an_attachment(storage: S3ObjectStorage) -> None:
    key = "invoices/2024/2024-000001/Ärger & co.pdf"
    storage.put(key, PDF, "application/pdf")

    response = httpx.get(storage.download_url(key, timedelta(minutes=15)), timeout=10)

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Arger & co.pdf\"; filename*=UTF-8''%C3%84rger%20%26%20co.pdf"
    )


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(days=7, seconds=1)])
def test_a_download_url_lives_one_second_to_seven_days(
    storage: S3ObjectStorage, lifetime: timedelta
) -> None:
    with pytest.raises(ValueError, match="7 days"):
        storage.download_url(KEY, lifetime)


@pytest.mark.parametrize(
    ("file_name", "disposition"),
    [
        ("a.pdf", 'attachment; filename="a.pdf"'),
        (
            'say "hi".pdf',
            "attachment; filename=\"say _hi_.pdf\"; filename*=UTF-8''say%20%22hi%22.pdf",
        ),
        ("ü.pdf", "attachment; filename=\"u.pdf\"; filename*=UTF-8''%C3%BC.pdf"),
        ("日本.pdf", "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf"),
    ],
)
def test_the_content_disposition_is_ascii_with_the_utf8_name_beside(
    file_name: str, disposition: str
) -> None:
    assert attachment_disposition(file_name) == disposition


def test_the_probe_answers_for_the_bucket(aws: MotoAws, storage: S3ObjectStorage) -> None:
    storage.probe()
    with pytest.raises(DependencyUnavailable, match="no-such-bucket-here"):
        S3ObjectStorage("no-such-bucket-here", aws.s3).probe()


def storage_at(endpoint: str, *, attempts: int = 3) -> S3ObjectStorage:
    connection = AwsConnection(endpoint_url=endpoint, total_attempts=attempts)
    return S3ObjectStorage("billtrack-pdfs", s3_client(connection))


# The timeouts only keep a regression from hanging the run; they are no claim about speed.
@pytest.mark.timeout(60)
@pytest.mark.usefixtures("aws_environment")
def test_a_storage_nobody_answers_for_is_unavailable() -> None:
    storage = storage_at(closed_endpoint())
    for attempt in (
        lambda: storage.put(KEY, PDF, "application/pdf"),
        lambda: storage.get(KEY),
        lambda: storage.exists(KEY),
        storage.probe,
    ):
        with pytest.raises(DependencyUnavailable, match="billtrack-pdfs") as unavailable:
            attempt()
        assert "EndpointConnectionError" in str(unavailable.value)


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("aws_environment")
def test_a_storage_answering_503_is_unavailable() -> None:
    with unavailable_endpoint() as endpoint:
        # Retrying a 503 is botocore's business; what matters here is what the last one becomes.
        storage = storage_at(endpoint, attempts=1)
        for attempt in (
            lambda: storage.put(KEY, PDF, "application/pdf"),
            lambda: storage.get(KEY),
            lambda: storage.exists(KEY),
        ):
            with pytest.raises(DependencyUnavailable, match="billtrack-pdfs"):
                attempt()
