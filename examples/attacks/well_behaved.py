#!/usr/bin/env python3
"""A well-behaved client: ws connect, auth, ping; prints how long each of N tries took
(or 'timeout' past the bound). usage: client.py HOST:PORT USER PASSWORD TRIES BOUND_SECS"""
import base64, json, os, socket, struct, sys, time

def frame(text):
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(data)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))

def read_frame(s):
    def exact(n):
        out = b""
        while len(out) < n:
            chunk = s.recv(n - len(out))
            if not chunk:
                raise OSError("closed")
            out += chunk
        return out
    b0, b1 = exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", exact(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", exact(8))[0]
    return b0 & 0x0F, exact(n)

def next_text(s):
    while True:
        op, data = read_frame(s)
        if op == 1:
            return json.loads(data)
        if op == 8:
            raise OSError("closed by server")

def once(host, port, user, password, bound):
    start = time.time()
    s = socket.create_connection((host, port), timeout=bound)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: acdhub.v1\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise OSError("closed before the upgrade")
        head += chunk
    assert b" 101 " in head.split(b"\r\n")[0], head
    assert next_text(s)["type"] == "hello"
    s.sendall(frame(json.dumps({"type": "auth", "id": "1", "user": user, "password": password})))
    while next_text(s).get("id") != "1":
        pass
    s.sendall(frame(json.dumps({"type": "ping", "id": "2"})))
    while next_text(s).get("id") != "2":
        pass
    took = time.time() - start
    time.sleep(float(os.environ.get("HOLD", "0")))  # stay connected, as an agent does
    s.close()
    return took

if __name__ == "__main__":
    host, port = sys.argv[1].rsplit(":", 1)
    assert host in ("127.0.0.1", "localhost")
    user, password, tries, bound = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    results = []
    for _ in range(tries):
        try:
            results.append(f"{once(host, int(port), user, password, bound):.3f}s")
        except (OSError, AssertionError) as e:
            results.append(f"failed({e.__class__.__name__})")
    print(" ".join(results))
