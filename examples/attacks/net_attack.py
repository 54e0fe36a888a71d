#!/usr/bin/env python3
"""Attacks without a password against a running acdhub on loopback (SECURITY.md).

usage: net_attack.py poll HOST:PORT SECONDS              POST /rt/poll, Content-Length: 0, on one
                                                          kept-alive connection, as fast as answered
       net_attack.py slow HOST:PORT CONNECTIONS SECONDS   bodies on /rt/send at 1 byte a second
       net_attack.py diag HOST:PORT CONNECTIONS SECONDS   idle /diag/ws?idle_secs=300 probes
       net_attack.py fds HOST:PORT CONNECTIONS SECONDS    idle TCP connections
Prints counts; never targets anything but the address given (use 127.0.0.1)."""
import socket, sys, time, json

def addr(text):
    host, port = text.rsplit(":", 1)
    assert host in ("127.0.0.1", "localhost"), "loopback only"
    return (host, int(port))

def poll(target, seconds):
    s = socket.create_connection(target)
    f = s.makefile("rb")
    ok = refused = 0
    codes = {}
    end = time.time() + seconds
    while time.time() < end:
        try:
            s.sendall(b"POST /rt/poll HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
            status = int(f.readline().split()[1])
            length = 0
            while True:
                line = f.readline().strip().lower()
                if not line:
                    break
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = f.read(length)
        except (OSError, IndexError, ValueError):
            s = socket.create_connection(target)
            f = s.makefile("rb")
            continue
        if status == 200:
            ok += 1
        else:
            refused += 1
            code = json.loads(body).get("code")
            codes[code] = codes.get(code, 0) + 1
    print(f"links opened {ok}, refused {refused} {codes}")

def slow(target, n, seconds):
    socks = []
    for _ in range(n):
        s = socket.create_connection(target)
        s.sendall(b"POST /rt/send HTTP/1.1\r\nHost: localhost\r\nX-Acdhub-Link: x\r\nContent-Length: 65536\r\n\r\n")
        socks.append(s)
    end = time.time() + seconds
    alive = n
    while time.time() < end:
        alive = 0
        for s in socks:
            try:
                s.send(b"a")
                alive += 1
            except OSError:
                pass
        time.sleep(1)
    print(f"slow bodies still open after {seconds}s: {alive} of {n}")

def diag(target, n, seconds):
    socks, ok = [], 0
    for _ in range(n):
        s = socket.create_connection(target)
        s.sendall(b"GET /diag/ws?idle_secs=300 HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        ok += b" 101 " in s.recv(200)
        socks.append(s)
    print(f"idle probes upgraded {ok} of {n}")
    time.sleep(seconds)

def fds(target, n, seconds):
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection(target, timeout=1))
        except OSError:
            break
    print(f"idle connections {len(socks)}")
    time.sleep(seconds)

if __name__ == "__main__":
    kind, target = sys.argv[1], addr(sys.argv[2])
    if kind == "poll":
        poll(target, float(sys.argv[3]))
    elif kind == "slow":
        slow(target, int(sys.argv[3]), float(sys.argv[4]))
    elif kind == "diag":
        diag(target, int(sys.argv[3]), float(sys.argv[4]))
    else:
        fds(target, int(sys.argv[3]), float(sys.argv[4]))
