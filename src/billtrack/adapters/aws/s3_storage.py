"""Object storage in one S3 bucket, with SigV4 pre-signed download URLs.

Objects are stored with their content type and `Content-Disposition: attachment` naming the file,
so a browser that follows a download link saves the PDF under its name. Keys are derived from the
invoice, so a redelivered render overwrites its object and never adds one.

Encryption at rest is the bucket's business (its default encryption and a policy that requires
it), so `put` sends no server-side encryption header. The role needs `s3:GetObject`,
`s3:PutObject` and `s3:ListBucket`: without the last, S3 answers a missing key with 403, not 404.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError  # type: ignore[import-untyped]  # no stubs

from billtrack.adapters.aws.outages import describe, error_code, outages_as_unavailable, status_code
from billtrack.ports.errors import DependencyUnavailable, ObjectMissing

PRESIGNED_URL_LIMIT = timedelta(days=7)
"""The longest a SigV4 pre-signed URL can be valid."""


def file_name_of_key(key: str) -> str:
    """The last part of a key: `invoices/2024/2024-000001/<id>-r1.pdf` is `<id>-r1.pdf`."""
    return key.rstrip("/").rsplit("/", 1)[-1]


def attachment_disposition(file_name: str) -> str:
    """A `Content-Disposition` that downloads as `file_name` (RFC 6266): an ASCII `filename`
    for every client and, when the name is not plain ASCII, its UTF-8 form as `filename*`."""
    folded = unicodedata.normalize("NFKD", file_name)
    ascii_name = "".join(
        "_" if not char.isascii() or not char.isprintable() or char in '"\\' else char
        for char in folded
        if not unicodedata.combining(char)
    )
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != file_name:
        disposition += f"; filename*=UTF-8''{quote(file_name, safe='')}"
    return disposition


class S3ObjectStorage:
    """The `ObjectStorage` of one bucket, over a client from `clients.s3_client` (which signs
    with SigV4). `download_name` gives the file name a download is saved under."""

    def __init__(
        self,
        bucket: str,
        client: Any,
        *,
        download_name: Callable[[str], str] = file_name_of_key,
    ) -> None:
        self._bucket = bucket
        self._client = client
        self._download_name = download_name
        self._dependency = f"S3 bucket {bucket}"

    @property
    def bucket(self) -> str:
        return self._bucket

    def put(self, key: str, data: bytes, content_type: str, /) -> None:
        with outages_as_unavailable(self._dependency):
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ContentDisposition=attachment_disposition(self._download_name(key)),
            )

    def get(self, key: str, /) -> bytes:
        with outages_as_unavailable(self._dependency):
            try:
                answer = self._client.get_object(Bucket=self._bucket, Key=key)
            except ClientError as error:
                if error_code(error) in {"NoSuchKey", "404"}:
                    raise ObjectMissing(key) from None
                raise
            body = answer["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

    def exists(self, key: str, /) -> bool:
        with outages_as_unavailable(self._dependency):
            try:
                self._client.head_object(Bucket=self._bucket, Key=key)
            except ClientError as error:
                # HEAD answers carry no body, so no error code: the status is all there is.
                if status_code(error) == 404:
                    return False
                raise
        return True

    def download_url(self, key: str, expires_in: timedelta, /) -> str:
        """A SigV4 pre-signed GET URL of the object, valid for `expires_in` (1 s to 7 days)."""
        if not timedelta(seconds=1) <= expires_in <= PRESIGNED_URL_LIMIT:
            raise ValueError(f"a pre-signed URL is valid for 1 second to 7 days, not {expires_in}")
        with outages_as_unavailable(self._dependency):
            url: str = self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self._bucket, "Key": key},
                ExpiresIn=int(expires_in.total_seconds()),
            )
        return url

    def probe(self) -> None:
        """Raises `DependencyUnavailable` unless the bucket answers (for the readiness route)."""
        try:
            with outages_as_unavailable(self._dependency):
                self._client.head_bucket(Bucket=self._bucket)
        except ClientError as error:
            # A missing bucket or a denied access is not ready either; say which.
            raise DependencyUnavailable(self._dependency, describe(error)) from error
