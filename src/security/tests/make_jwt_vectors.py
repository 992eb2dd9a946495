#!/usr/bin/env python3
"""Writes jwt_vectors.h beside this script: a JWKS and JWTs signed with fresh RSA and EC keys, for
oauthbearer_test.cc. Run once by hand (needs the `cryptography` package); the output is committed,
so the C++ tests need no Python. Keys are made anew on every run, so a rerun changes every value.

    python3 src/security/tests/make_jwt_vectors.py
"""

import base64
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = 1767225600  # 2026-01-01T00:00:00Z: the tests pass this as now_ms / 1000
FAR = 4102444800  # 2100-01-01T00:00:00Z


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n: int, size: int = 0) -> bytes:
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def compact(header: dict, claims: dict) -> str:
    return b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
        json.dumps(claims, separators=(",", ":")).encode()
    )


RSA_HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
EC_SIZE = {"P-256": 32, "P-384": 48, "P-521": 66}


def sign(alg: str, key, signing_input: str) -> str:
    data = signing_input.encode()
    h = RSA_HASH[alg[2:]]()
    if alg.startswith("RS"):
        sig = key.sign(data, padding.PKCS1v15(), h)
    elif alg.startswith("PS"):
        sig = key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    else:
        der = key.sign(data, ec.ECDSA(h))
        r, s = decode_dss_signature(der)
        size = EC_SIZE[{"256": "P-256", "384": "P-384", "512": "P-521"}[alg[2:]]]
        sig = int_bytes(r, size) + int_bytes(s, size)
    return b64url(sig)


def token(alg: str, key, claims: dict, kid=None, extra_header=None) -> str:
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(extra_header or {})
    signing_input = compact(header, claims)
    return signing_input + "." + sign(alg, key, signing_input)


def rsa_jwk(key, kid):
    pub = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": b64url(int_bytes(pub.n)), "e": b64url(int_bytes(pub.e))}
    if kid:
        jwk["kid"] = kid
    return jwk


def ec_jwk(key, crv, kid):
    pub = key.public_key().public_numbers()
    size = EC_SIZE[crv]
    return {"kty": "EC", "crv": crv, "kid": kid, "use": "sig",
            "x": b64url(int_bytes(pub.x, size)), "y": b64url(int_bytes(pub.y, size))}


def main():
    rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec256 = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())
    ec521 = ec.generate_private_key(ec.SECP521R1())
    jwks = {"keys": [
        rsa_jwk(rsa1, "rsa1"),
        rsa_jwk(rsa2, None),
        rsa_jwk(small, "rsa-small"),
        ec_jwk(ec256, "P-256", "ec256"),
        ec_jwk(ec384, "P-384", "ec384"),
        ec_jwk(ec521, "P-521", "ec521"),
        {"kty": "oct", "kid": "hmac", "k": b64url(b"not a verification key")},
    ]}
    claims = {"iss": "https://issuer.example", "aud": "brook", "sub": "alice",
              "scope": "read write", "iat": NOW - 60, "exp": FAR}

    def with_claims(**changes):
        c = dict(claims)
        for k, v in changes.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    good = token("RS256", rsa1, claims, "rsa1")
    header, payload, signature = good.split(".")
    forged_payload = b64url(json.dumps(with_claims(sub="admin"), separators=(",", ":")).encode())
    none_input = compact({"alg": "none", "typ": "JWT"}, claims)
    hs_input = compact({"alg": "HS256", "typ": "JWT", "kid": "hmac"}, claims)
    hs_sig = b64url(hmac.new(b"not a verification key", hs_input.encode(), hashlib.sha256).digest())
    vectors = {
        "k_jwks": json.dumps(jwks, indent=1),
        "k_rs256": good,
        "k_rs384": token("RS384", rsa1, claims, "rsa1"),
        "k_rs512": token("RS512", rsa1, claims, "rsa1"),
        "k_ps256": token("PS256", rsa1, claims, "rsa1"),
        "k_es256": token("ES256", ec256, claims, "ec256"),
        "k_es384": token("ES384", ec384, claims, "ec384"),
        "k_es512": token("ES512", ec521, claims, "ec521"),
        "k_no_kid": token("RS256", rsa2, claims),
        "k_unknown_kid": token("RS256", rsa1, claims, "nope"),
        "k_kid_of_another_key": token("RS256", rsa2, claims, "rsa1"),
        "k_es256_with_p384_kid": token("ES256", ec256, claims, "ec384"),
        "k_small_rsa": token("RS256", small, claims, "rsa-small"),
        "k_forged": header + "." + forged_payload + "." + signature,
        "k_alg_none": none_input + ".",
        "k_hs256": hs_input + "." + hs_sig,
        "k_crit": token("RS256", rsa1, claims, "rsa1", {"crit": ["exp"]}),
        "k_expired": token("RS256", rsa1, with_claims(exp=NOW - 3600), "rsa1"),
        "k_expired_10s_ago": token("RS256", rsa1, with_claims(exp=NOW - 10), "rsa1"),
        "k_not_yet_valid": token("RS256", rsa1, with_claims(nbf=NOW + 3600), "rsa1"),
        "k_issued_in_future": token("RS256", rsa1, with_claims(iat=NOW + 3600), "rsa1"),
        "k_no_exp": token("RS256", rsa1, with_claims(exp=None), "rsa1"),
        "k_no_sub": token("RS256", rsa1, with_claims(sub=None), "rsa1"),
        "k_principal_claim": token("RS256", rsa1, with_claims(sub=None, principal="bob"), "rsa1"),
        "k_aud_list": token("ES256", ec256, with_claims(aud=["other", "brook"]), "ec256"),
        "k_wrong_aud": token("RS256", rsa1, with_claims(aud="elsewhere"), "rsa1"),
        "k_wrong_iss": token("RS256", rsa1, with_claims(iss="https://evil.example"), "rsa1"),
        "k_scope_list": token("RS256", rsa1, with_claims(scope=["a", "b", "c"]), "rsa1"),
    }
    out = ["// Generated by make_jwt_vectors.py; do not edit. Test keys and tokens for",
           "// oauthbearer_test.cc, made once with Python's `cryptography` package.",
           "#pragma once", "", "namespace brook::security::jwt_vectors {", "",
           f"inline constexpr long long k_now_ms = {NOW}000LL;",
           f"inline constexpr long long k_far_exp_ms = {FAR}000LL;", ""]
    for name, value in vectors.items():
        out.append(f"inline constexpr const char* {name} =")
        lines = value.split("\n")
        for i, line in enumerate(lines):
            nl = "\\n" if i + 1 < len(lines) else ""
            # Split long strings into 90-character pieces to keep clang-format content.
            pieces = [line[j:j + 90] for j in range(0, len(line), 90)] or [""]
            for k, piece in enumerate(pieces):
                tail = nl if k + 1 == len(pieces) else ""
                esc = piece.replace("\\", "\\\\").replace('"', '\\"')
                out.append(f'    "{esc}{tail}"')
        out[-1] += ";"
    out += ["", "}  // namespace brook::security::jwt_vectors", ""]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jwt_vectors.h")
    with open(path, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
