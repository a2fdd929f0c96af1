"""RS256 JSON Web Tokens with the standard library alone: enough to sign a Google service account's
token request (RFC 7523) without a cryptography package.

The private key is a PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what Google's key files hold) or PKCS#1
(`BEGIN RSA PRIVATE KEY`). The signature is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2),
computed with the Chinese remainder theorem.
"""
import base64
import hashlib
import json

from .._core import errors

_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")   # OID 1.2.840.113549.1.1.1


def sign_jwt(claims, private_key_pem, key_id=None, where="the private key"):
    """header.claims.signature, RS256; `where` names the key in errors (a file and field)."""
    header = {"alg": "RS256", "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    signing_input = _b64(_compact(header)) + b"." + _b64(_compact(claims))
    key = private_key(private_key_pem, where)
    return (signing_input + b"." + _b64(sign(key, signing_input))).decode("ascii")


def sign(key, message):
    """The PKCS#1 v1.5 SHA-256 signature of message with key (n, e, d, p, q, dp, dq, qinv)."""
    n, _e, _d, p, q, dp, dq, qinv = key
    size = (n.bit_length() + 7) // 8
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    if size < len(digest_info) + 11:
        raise errors.BadFile("the RSA key is too short to sign with")
    block = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    m = int.from_bytes(block, "big")
    s1, s2 = pow(m, dp, p), pow(m, dq, q)
    signature = s2 + q * ((qinv * (s1 - s2)) % p)
    return signature.to_bytes(size, "big")


def private_key(pem, where):
    """(n, e, d, p, q, dp, dq, qinv) from a PEM private key; BadFile naming `where` otherwise."""
    if "ENCRYPTED PRIVATE KEY" in pem:
        raise errors.BadFile("%s is encrypted; atomic needs the unencrypted key Google's key files hold" % where)
    for label, pkcs8 in (("PRIVATE KEY", True), ("RSA PRIVATE KEY", False)):
        begin, end = "-----BEGIN %s-----" % label, "-----END %s-----" % label
        if begin in pem and end in pem:
            body = pem.split(begin, 1)[1].split(end, 1)[0]
            break
    else:
        raise errors.BadFile("%s is not a PEM private key (no -----BEGIN PRIVATE KEY----- line)" % where)
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        if pkcs8:
            der = _pkcs8_inner(der, where)
        values = _sequence(der, 0)[0]
        numbers = [_integer(value) for value in values]
    except (ValueError, IndexError) as exc:
        raise errors.BadFile("%s does not parse as an RSA private key (%s)" % (where, exc))
    if len(numbers) < 9 or numbers[0] != 0:
        raise errors.BadFile("%s is not a two-prime RSA private key" % where)
    return tuple(numbers[1:9])


def _pkcs8_inner(der, where):
    """The PKCS#1 key inside a PKCS#8 PrivateKeyInfo (version, algorithm, OCTET STRING)."""
    items = _sequence(der, 0)[0]
    algorithm = _sequence(items[1], 0)[0] if len(items) >= 3 else []
    if not algorithm or algorithm[0][:1] != b"\x06" or _contents(algorithm[0]) != _RSA_ENCRYPTION:
        raise errors.BadFile("%s is not an RSA key (only RSA keys sign RS256 tokens)" % where)
    if items[2][:1] != b"\x04":
        raise ValueError("no OCTET STRING for the key")
    return _contents(items[2])


def _read_tlv(der, at):
    """(whole element bytes, offset after it) of the DER element at `at`."""
    if at + 2 > len(der):
        raise ValueError("truncated")
    length, start = der[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("bad length")
        length = int.from_bytes(der[start:start + count], "big")
        start += count
    end = start + length
    if end > len(der):
        raise ValueError("truncated")
    return der[at:end], end


def _contents(element):
    length = element[1]
    skip = 2 + (length & 0x7F if length & 0x80 else 0)
    return element[skip:]


def _sequence(der, at):
    """([element bytes, ...] of the SEQUENCE at `at`, offset after it)."""
    if der[at:at + 1] != b"\x30":
        raise ValueError("expected a SEQUENCE")
    element, after = _read_tlv(der, at)
    inner, items, pos = _contents(element), [], 0
    while pos < len(inner):
        item, pos = _read_tlv(inner, pos)
        items.append(item)
    return items, after


def _integer(element):
    if element[:1] != b"\x02":
        raise ValueError("expected an INTEGER")
    return int.from_bytes(_contents(element), "big", signed=True)


def _compact(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=")
