"""W7, the physical limit: N random bytes over HTTP on the loopback, SHA-256 of
them computed while they arrive. The server is a separate Python process (so
it does not share the client's interpreter lock); it holds the bytes in memory."""

import hashlib
import http.client
import os
import sys
import time

from . import procs

_SERVER = r"""
import http.server, os, sys
data = os.urandom(int(sys.argv[1]))
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        view = memoryview(data)
        for i in range(0, len(data), 1 << 20):
            self.wfile.write(view[i:i + (1 << 20)])
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print("listening on", s.server_address[1], flush=True)
s.serve_forever()
"""


def transfer(ctx, nbytes, runs):
    d = ctx.mkdir("raw-http")
    server = ctx.children.start([sys.executable, "-c", _SERVER, str(nbytes)], os.path.join(d, "server.log"))
    out = {"bytes": nbytes, "seconds": []}
    try:
        port = int(procs.wait_for_log(server, r"listening on (\d+)", timeout=120).group(1))
        for _ in range(runs):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            t0 = time.perf_counter()
            conn.request("GET", "/")
            resp = conn.getresponse()
            h, got = hashlib.sha256(), 0
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
                got += len(chunk)
            h.hexdigest()
            secs = time.perf_counter() - t0
            conn.close()
            if got != nbytes:
                raise RuntimeError(f"raw HTTP: received {got} bytes, expected {nbytes}")
            out["seconds"].append(secs)
        ctx.log(f"  raw HTTP + SHA-256 of {nbytes / 1e6:.1f} MB: {min(out['seconds']):.3f} s")
    finally:
        ctx.children.stop(server)
    return out
