"""An S3-compatible server on loopback for the tests: moto's server mode (``ThreadedMotoServer``), which answers
the S3 REST API over real HTTP the way AWS does (docs.getmoto.org/en/latest/docs/server_mode.html; the API itself:
docs.aws.amazon.com/AmazonS3/latest/API/). The store under test talks to it through obstore exactly as it would
to AWS or MinIO: signed requests, path-style URLs, 404 ``NoSuchKey``; nothing of ours is faked.

Credentials are the standard variables with throwaway values (moto accepts any signature by default); each test
gets a bucket of its own.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moto.server import ThreadedMotoServer

REGION = "us-east-1"
#: What the S3 client reads (and what a deployment sets): never real keys, and never AWS itself.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "cloudmusic-test",
    "AWS_SECRET_ACCESS_KEY": "cloudmusic-test-secret",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}
_buckets = itertools.count(1)


@dataclass
class S3Server:
    """A running moto server; :meth:`new_bucket` makes an empty bucket and returns its name."""

    server: ThreadedMotoServer
    endpoint_url: str

    def new_bucket(self, stem: str = "cloudmusic-audio") -> str:
        """A fresh, empty bucket (CreateBucket over HTTP, as any client would)."""
        name = f"{stem}-{os.getpid()}-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)
        return name

    def client(self) -> Any:
        """A boto3 S3 client on this server, to look at buckets independently of the store under test."""
        import boto3  # type: ignore[import-untyped]  # moto's own dependency: a second, independent S3 client to set up and inspect buckets

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def keys(self, bucket: str) -> list[str]:
        """Every key in ``bucket`` (ListObjectsV2)."""
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", []))


@contextlib.contextmanager
def s3_credentials_in_env() -> Iterator[None]:
    """Set the standard AWS variables to throwaway values while the server runs, restoring the old ones after."""
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """A moto S3 server on 127.0.0.1 and a free port, stopped afterwards."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(server, f"http://{host}:{port}")
    finally:
        server.stop()
