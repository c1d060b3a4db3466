"""Fixtures for the vision tests: a local HTTP server (127.0.0.1 only) and no proxies."""
import functools
import http.server
import threading

import pytest

from vision_helpers import QuietHandler

_PROXY_VARS = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY",
               "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """urllib would send even 127.0.0.1 through a proxy named in the environment."""
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def serve():
    """``serve(directory, handler=QuietHandler)`` starts a server on 127.0.0.1 and returns its base URL."""
    servers = []

    def start(directory, handler=QuietHandler):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler,
                                                                                      directory=str(directory)))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
