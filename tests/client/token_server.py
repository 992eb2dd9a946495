"""A tiny OAuth 2 token endpoint for the client library's OAUTHBEARER tests (security_run.sh).

It answers the client-credentials grant (RFC 6749 section 4.4) with RS256 JWTs signed with the
key whose JWKS the brokers read, for one client (id and secret in HTTP Basic auth):

  POST /token    a token for an hour
  POST /short    a token for SHORT seconds (re-authentication must fetch new ones)
  POST /garbage  200 with a body that is not JSON
  POST /hang     never answers (the client's read timeout must end the call)

A wrong id or secret is answered 401 with {"error": "invalid_client"}, a grant other than
client_credentials 400. Each token issued is logged as one line "path client scope" to LOG, so
that the tests can see what was asked for and how often.

Usage: token_server.py HTTP_PORT HTTPS_PORT CERT KEY SIGNING_KEY LOG CLIENT_ID CLIENT_SECRET SHORT
Runs until killed.
"""

import base64
import json
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

(http_port, https_port, cert, key, signing_key, log, client_id, client_secret,
 short) = sys.argv[1:10]
log_lock = threading.Lock()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(subject, scope, lifetime):
    now = int(time.time())
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "client-it"}).encode())
    body = b64url(json.dumps({"sub": subject, "iss": "brook-test", "aud": "brook",
                              "iat": now, "exp": now + lifetime, "scope": scope}).encode())
    signed = f"{head}.{body}".encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", signing_key], input=signed,
                         check=True, capture_output=True).stdout
    return f"{head}.{body}.{b64url(sig)}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, document):
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if self.path == "/hang":
            time.sleep(30)
            return
        expected = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self.answer(401, {"error": "invalid_client",
                                     "error_description": "unknown client or wrong secret"})
        if form.get("grant_type") != ["client_credentials"]:
            return self.answer(400, {"error": "unsupported_grant_type"})
        if self.path == "/garbage":
            data = b"<html>not a token</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        lifetime = {"/token": 3600, "/short": int(short)}.get(self.path)
        if lifetime is None:
            return self.answer(404, {"error": "not_found"})
        scope = form.get("scope", [""])[0]
        with log_lock, open(log, "a") as f:
            f.write(f"{self.path} {client_id} {scope}\n")
        self.answer(200, {"access_token": token(client_id, scope, lifetime),
                          "token_type": "Bearer", "expires_in": lifetime})


def serve(server):
    server.serve_forever()


plain = ThreadingHTTPServer(("127.0.0.1", int(http_port)), Handler)
secure = ThreadingHTTPServer(("127.0.0.1", int(https_port)), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
secure.socket = context.wrap_socket(secure.socket, server_side=True)
threading.Thread(target=serve, args=(secure,), daemon=True).start()
serve(plain)
