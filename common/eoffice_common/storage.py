"""Documents on S3 through boto3, or in a folder on disk when no S3 endpoint is configured (the
embedded set-up of `make run`): content-addressed (sha256) keys, sniffed types, verified reads."""
import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone

import boto3
from botocore.client import Config as BotoConfig
from botocore.exceptions import ClientError
from eventlet import tpool
from nameko.constants import DEFAULT_MAX_WORKERS, MAX_WORKERS_CONFIG_KEY
from nameko.extensions import DependencyProvider

from .errors import NUL_REFUSED, InvalidInput, NotFound, PayloadTooLarge, ServiceError, UnsupportedMediaType
from .logging import get_logger

log = get_logger(__name__)

# Magic numbers: the type is decided by the bytes, never by a client's Content-Type header.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/tiff": "tif"}


class DocumentCorrupted(ServiceError):
    status = 502
    reason = "document_corrupted"


def sniff_content_type(data):
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


@dataclass(frozen=True)
class StoredDocument:
    key: str
    sha256: str
    size: int
    content_type: str


class Documents:
    """What every document store shares: the checks before storing, the key, the check after reading."""

    def __init__(self, prefix, max_bytes, allowed_types):
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types

    def check(self, data, name="document"):
        """Size and type of an upload, before anything is stored: 413 or 415 on failure (422 if its
        name holds U+0000, which no text column can store)."""
        if "\x00" in name:
            raise InvalidInput("A file name is not valid", fields={"filename": NUL_REFUSED})
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(
                f"{name} is {len(data)} bytes; the limit is {self.max_bytes}", reason="document_too_large"
            )
        content_type = sniff_content_type(data)
        if content_type is None or content_type not in self.allowed_types:
            raise UnsupportedMediaType(
                f"{name} is not one of: {', '.join(sorted(self.allowed_types))}", reason="document_type_not_allowed"
            )
        return content_type

    def put(self, data, name="document"):
        content_type = self.check(data, name)
        digest = hashlib.sha256(data).hexdigest()
        key = f"{self.prefix}{digest}.{EXTENSIONS[content_type]}"
        self._write(key, data, digest, content_type)
        return StoredDocument(key=key, sha256=digest, size=len(data), content_type=content_type)

    def get(self, key):
        """The document's bytes, verified against the sha256 its key carries."""
        body = self._read(key)
        expected = key.rsplit("/", 1)[-1].split(".", 1)[0]
        if hashlib.sha256(body).hexdigest() != expected:
            raise DocumentCorrupted(f"document {key} does not match its checksum")
        return body


def document_not_found(key):
    return NotFound(f"document {key} is not in the store", reason="document_not_found")


class S3Documents(Documents):
    def __init__(self, client, bucket, prefix, max_bytes, allowed_types):
        super().__init__(prefix, max_bytes, allowed_types)
        self.client = client
        self.bucket = bucket
        self.location = f"{client.meta.endpoint_url}/{bucket}"

    def _write(self, key, data, digest, content_type):
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            # S3 rejects the upload if the bytes it received do not match.
            ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode(),
            Metadata={"sha256": digest},
        )

    def copy(self, source, key):
        """The document at `source` stored under `key` too (server-side), or NotFound."""
        try:
            self.client.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": source}, MetadataDirective="COPY")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise document_not_found(source) from exc
            raise

    def _read(self, key):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise document_not_found(key) from exc
            raise

    def unreferenced(self, referenced_keys, older_than):
        """Keys under this store's prefix, older than `older_than`, that nothing references."""
        cutoff = datetime.now(timezone.utc) - older_than
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                if item["Key"] not in referenced_keys and item["LastModified"] < cutoff:
                    yield item["Key"]

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=key)


class FolderDocuments(Documents):
    """Documents as files under `root`, one per key: they outlive the process, as S3's do."""

    def __init__(self, root, prefix, max_bytes, allowed_types):
        super().__init__(prefix, max_bytes, allowed_types)
        self.root = self.location = os.path.abspath(root)

    def _path(self, key):
        parts = key.split("/")
        if any(part in ("", ".", "..") for part in parts):  # a key never leaves the folder
            raise document_not_found(key)
        return os.path.join(self.root, *parts)

    def _write(self, key, data, digest, content_type):
        # fsync waits for the disk: in a thread of its own, so the process's other requests go on.
        tpool.execute(write_durably, self._path(key), data)

    def copy(self, source, key):
        """The document at `source` stored under `key` too, or NotFound."""
        tpool.execute(write_durably, self._path(key), self.get(source))

    def _read(self, key):
        try:
            with open(self._path(key), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise document_not_found(key) from None

    def unreferenced(self, referenced_keys, older_than):
        """Keys under this store's prefix, older than `older_than`, that nothing references."""
        cutoff = (datetime.now(timezone.utc) - older_than).timestamp()
        top = os.path.join(self.root, *self.prefix.strip("/").split("/"))
        for folder, _, names in os.walk(top):
            for name in sorted(names):
                if name.startswith("."):
                    continue  # a write under way
                path = os.path.join(folder, name)
                key = self.prefix + os.path.relpath(path, top).replace(os.sep, "/")
                if key not in referenced_keys and os.stat(path).st_mtime < cutoff:
                    yield key

    def delete(self, key):
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass


def write_durably(path, data):
    """`data` at `path`, whole or not at all, still there after a crash: a temporary file in the same
    folder, flushed to disk, renamed over `path`, and the rename itself flushed."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def s3_client(config):
    # One connection per concurrent worker: botocore's default pool of 10 makes the rest open
    # and discard a connection on every call.
    connections = max(10, int(config.get(MAX_WORKERS_CONFIG_KEY) or DEFAULT_MAX_WORKERS))
    return boto3.client(
        "s3",
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=config.get("S3_ACCESS_KEY"),
        aws_secret_access_key=config.get("S3_SECRET_KEY"),
        region_name=config.get("S3_REGION", "us-east-1"),
        config=BotoConfig(
            signature_version="s3v4", retries={"max_attempts": 3}, s3={"addressing_style": "path"},
            max_pool_connections=connections,
        ),
    )


class DocumentStore(DependencyProvider):
    """Injects this service's documents (its prefix): in the bucket of `S3_ENDPOINT_URL` when that is
    set, else in the folder `DOCUMENTS_DIR`."""

    def __init__(self, prefix, allowed_types=tuple(EXTENSIONS)):
        self.prefix = prefix.rstrip("/") + "/"
        self.allowed_types = frozenset(allowed_types)

    def setup(self):
        self.documents = open_documents(self.container.config, self.prefix, self.allowed_types)
        log.info("document_store", location=self.documents.location, prefix=self.prefix)

    def get_dependency(self, worker_ctx):
        return self.documents


def open_documents(config, prefix, allowed_types=tuple(EXTENSIONS)):
    """The document store `config` names (see DocumentStore), for keys under `prefix`."""
    max_bytes = int(config.get("MAX_DOCUMENT_BYTES", 20 * 1024 * 1024))
    allowed_types = frozenset(allowed_types)
    if config.get("S3_ENDPOINT_URL"):
        client = s3_client(config)
        ensure_bucket(client, config["S3_BUCKET"])
        return S3Documents(client, config["S3_BUCKET"], prefix, max_bytes, allowed_types)
    if config.get("DOCUMENTS_DIR"):
        return FolderDocuments(config["DOCUMENTS_DIR"], prefix, max_bytes, allowed_types)
    raise ValueError("documents need S3_ENDPOINT_URL (an S3 endpoint) or DOCUMENTS_DIR (a folder); neither is set")


def ensure_bucket(client, bucket):
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)

