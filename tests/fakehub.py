"""A Hugging Face hub on localhost: the few endpoints huggingface_hub's downloads use, over real HTTP.

Point a process at it with HF_ENDPOINT=hub.url (and HF_HUB_OFFLINE=0). It serves model repos made of
local files, and records every file whose content was fetched.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass
class FakeHub:
    """Repos by id: each a mapping of file name -> content."""

    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    fetched: list[tuple[str, str]] = field(default_factory=list)  # (repo, file) of each GET of a file
    url: str = ""

    def add_folder(self, repo_id: str, folder: Path, **extra: bytes) -> None:
        """Serve every file under `folder` as repo `repo_id`, plus `extra` files."""
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        self.repos[repo_id] = files | extra

    def commit(self, repo_id: str) -> str:
        """The repo's one commit: a hash of its files."""
        digest = hashlib.sha1(repo_id.encode())
        for name, data in sorted(self.repos[repo_id].items()):
            digest.update(name.encode() + hashlib.sha1(data).digest())
        return digest.hexdigest()


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test reads `fetched`

        def do_GET(self) -> None:
            self._answer(body=True)

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def _answer(self, *, body: bool) -> None:
            path = unquote(urlsplit(self.path).path).strip("/").split("/")
            if path[:2] == ["api", "models"] and len(path) == 4:  # the model's info at its main revision
                self._api(f"{path[2]}/{path[3]}", "revision", body=body)
            elif path[:2] == ["api", "models"] and len(path) >= 6 and path[4] in ("revision", "tree"):
                self._api(f"{path[2]}/{path[3]}", path[4], body=body)
            elif len(path) >= 5 and path[2] == "resolve":
                self._file(f"{path[0]}/{path[1]}", "/".join(path[4:]), body=body)
            else:
                self._send(404, b"{}", {"X-Error-Code": "EntryNotFound"}, body=body)

        def _api(self, repo_id: str, kind: str, *, body: bool) -> None:
            files = hub.repos.get(repo_id)
            if files is None:
                self._send(404, b'{"error": "Repository not found"}', {"X-Error-Code": "RepoNotFound"}, body=body)
                return
            sha = hub.commit(repo_id)
            if kind == "revision":
                siblings = [{"rfilename": name, "size": len(data)} for name, data in sorted(files.items())]
                answer: object = {"id": repo_id, "modelId": repo_id, "sha": sha, "private": False,
                                  "siblings": siblings}
            else:
                answer = [{"type": "file", "path": name, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                          for name, data in sorted(files.items())]
            self._send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"}, body=body)

        def _file(self, repo_id: str, name: str, *, body: bool) -> None:
            files = hub.repos.get(repo_id)
            if files is None or name not in files:
                code = "RepoNotFound" if files is None else "EntryNotFound"
                self._send(404, b"{}", {"X-Error-Code": code}, body=body)
                return
            data = files[name]
            if body:
                hub.fetched.append((repo_id, name))
            headers = {
                "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                "X-Repo-Commit": hub.commit(repo_id),
                "Content-Type": "application/octet-stream",
            }
            self._send(200, data, headers, body=body)

        def _send(self, status: int, data: bytes, headers: dict[str, str], *, body: bool) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

    return Handler


@contextmanager
def serve(hub: FakeHub) -> Iterator[FakeHub]:
    """Serve `hub` on a free localhost port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
