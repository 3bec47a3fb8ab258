"""Object storage for source uploads and transcoded renditions."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlencode


class StorageError(Exception):
    pass


class LocalStorage:
    """Filesystem storage, used in development and on single-host installs."""

    def __init__(self, root, public_url, signing_key):
        self.root = Path(root)
        self.public_url = public_url.rstrip("/")
        self.signing_key = signing_key.encode()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key):
        return self.root / key

    def put(self, key, data: bytes):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get(self, key) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no such object: {key}") from None

    def delete(self, key):
        path = self._path(key)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def presign_upload(self, key, expires_in=3600):
        expires = int(time.time()) + expires_in
        signature = self._sign(key, expires)
        return f"{self.public_url}/upload/{key}?" + urlencode({"expires": expires, "sig": signature})

    def verify(self, key, expires, signature):
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(key, int(expires)), signature)

    def _sign(self, key, expires):
        message = f"{key}:{expires}".encode()
        return hmac.new(self.signing_key, message, hashlib.sha256).hexdigest()

    def url_for(self, key):
        return f"{self.public_url}/media/{key}"


def storage_from_config(section):
    backend = section.get("backend", "local")
    if backend == "local":
        return LocalStorage(section["root"], section["public_url"], section["signing_key"])
    raise StorageError(f"unsupported storage backend: {backend}")
