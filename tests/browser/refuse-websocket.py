# A mitmproxy addon (mitmdump -s refuse-websocket.py) for tests/browser/tls-inspection.test.mjs:
# an inspecting proxy that does not do WebSocket. Debian's mitmproxy passes WebSocket upgrades
# by itself (its `websocket` option, on by default); many a company's TLS inspector does not,
# and answers a request to upgrade with an error page of its own instead. This addon makes
# mitmproxy that inspector: every request that asks for a WebSocket upgrade is answered 403 by
# the proxy, and never reaches the server. Everything else passes as mitmproxy's options say.

from mitmproxy import http


def request(flow: http.HTTPFlow) -> None:
    if flow.request.headers.get("upgrade", "").lower() == "websocket":
        flow.response = http.Response.make(
            403,
            b"WebSocket is not allowed by the inspection policy.\n",
            {"Content-Type": "text/plain"},
        )
