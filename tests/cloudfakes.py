"""Stand-ins for the cloud providers' wire formats, written from their specifications (not from
atomic's code): AWS event-stream frames as Bedrock sends them, Google credential files and the
checks Google's token endpoint makes of a service account's signed request."""
import base64
import json
import struct
import zlib


def frame(headers, payload):
    """One AWS event-stream message with string headers (value type 7), both CRCs correct."""
    raw = b""
    for name, value in headers:
        n, v = name.encode(), value.encode()
        raw += bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload, separators=(",", ":")).encode()
    prelude = struct.pack(">II", 16 + len(raw) + len(payload), len(raw))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(name, payload):
    return frame([(":event-type", name), (":content-type", "application/json"), (":message-type", "event")], payload)


def exception(kind, message):
    return frame([(":exception-type", kind), (":content-type", "application/json"), (":message-type", "exception")],
                 {"message": message})


def bedrock_events(text, reasoning="", usage=(11, 4, 0, 0), stop="end_turn"):
    """The frames of a ConverseStream answer: start, (reasoning), text deltas, stop, metadata."""
    frames = [event("messageStart", {"role": "assistant", "p": "abcdefgh"})]
    if reasoning:
        frames.append(event("contentBlockDelta", {"contentBlockIndex": 0,
                                                  "delta": {"reasoningContent": {"text": reasoning}}}))
    size = max(1, len(text) // 3)
    for piece in [text[i:i + size] for i in range(0, len(text), size)]:
        frames.append(event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": piece}, "p": "xyz"}))
    frames.append(event("contentBlockStop", {"contentBlockIndex": 1}))
    frames.append(event("messageStop", {"stopReason": stop}))
    frames.append(event("metadata", {"usage": {"inputTokens": usage[0], "outputTokens": usage[1],
                                               "totalTokens": usage[0] + usage[1], "cacheReadInputTokens": usage[2],
                                               "cacheWriteInputTokens": usage[3]},
                                     "metrics": {"latencyMs": 321}}))
    return frames


def bedrock_tool_events(calls, reasoning="", signature="", text="", usage=(31, 17, 12, 0), stop="tool_use"):
    """A ConverseStream answer that reasons (its text, then its signature), says something and calls
    tools: each call opens with contentBlockStart.start.toolUse, its input streamed as text pieces."""
    frames, index = [event("messageStart", {"role": "assistant"})], 0
    if reasoning:
        half = max(1, len(reasoning) // 2)
        for piece in (reasoning[:half], reasoning[half:]):
            frames.append(event("contentBlockDelta", {"contentBlockIndex": index,
                                                      "delta": {"reasoningContent": {"text": piece}}}))
        frames.append(event("contentBlockDelta", {"contentBlockIndex": index,
                                                  "delta": {"reasoningContent": {"signature": signature}}}))
        frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    if text:
        frames.append(event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": text}}))
        frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    for id, name, arguments in calls:
        frames.append(event("contentBlockStart", {"contentBlockIndex": index,
                                                  "start": {"toolUse": {"toolUseId": id, "name": name}}}))
        half = max(1, len(arguments) // 2)
        for piece in (arguments[:half], arguments[half:]):
            frames.append(event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}))
        frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    frames.append(event("messageStop", {"stopReason": stop}))
    frames.append(event("metadata", {"usage": {"inputTokens": usage[0], "outputTokens": usage[1],
                                               "totalTokens": usage[0] + usage[1] + usage[2],
                                               "cacheReadInputTokens": usage[2], "cacheWriteInputTokens": usage[3]},
                                     "metrics": {"latencyMs": 210}}))
    return frames


def rsa_key():
    """(private key PEM in PKCS#8, as Google's key files hold it, public key object)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return pem, key.public_key()


def verify_jwt(token, public_key):
    """(header, claims) of an RS256 JWT whose signature the public key accepts; raises otherwise."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    head, body, signature = token.split(".")
    public_key.verify(_unb64(signature), (head + "." + body).encode(), padding.PKCS1v15(), hashes.SHA256())
    return json.loads(_unb64(head)), json.loads(_unb64(body))


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
