"""The AWS event-stream framing (`application/vnd.amazon.eventstream`), in which Bedrock streams.

A message is: total length (4 bytes), headers length (4), a CRC-32 of those eight bytes (4), the
headers, the payload, and a CRC-32 of everything before it (4); integers big-endian. A header is
a one-byte name length, the name, a one-byte value type and the value. Both CRCs are checked
before anything is read from a message, so a corrupted frame is a NetworkError, never half a
JSON document. Messages arrive back to back and may be split across chunks anyhow.
"""
import struct
import zlib

from .._core.errors import NetworkError

PRELUDE = 12                     # the two lengths and the prelude CRC
OVERHEAD = PRELUDE + 4           # plus the message CRC
MAX_HEADERS = 128 * 1024         # the limits botocore enforces
MAX_PAYLOAD = 24 * 1024 * 1024

# value type -> (struct format, size) for the fixed-size values; 6 and 7 carry a 2-byte length.
_FIXED = {2: (">b", 1), 3: (">h", 2), 4: (">i", 4), 5: (">q", 8), 8: (">q", 8)}


class Message:
    """One event-stream message: its headers ({name: value}) and its payload (bytes)."""
    __slots__ = ("headers", "payload")

    def __init__(self, headers, payload):
        self.headers, self.payload = headers, payload

    def __repr__(self):
        return "Message(%r, %r)" % (self.headers, self.payload[:60])


def messages(chunks):
    """Yield each Message in the byte chunks. A stream that ends inside a message yields nothing
    for it: the protocol then sees a stream that stopped before its last event."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= PRELUDE:
            total, headers_length, prelude_crc = struct.unpack_from(">III", buffer)
            if zlib.crc32(bytes(buffer[:8])) & 0xFFFFFFFF != prelude_crc:
                raise NetworkError("an event-stream message arrived corrupted (its prelude CRC does not match)")
            if headers_length > MAX_HEADERS or total < OVERHEAD + headers_length \
                    or total - OVERHEAD - headers_length > MAX_PAYLOAD:
                raise NetworkError("an event-stream message has impossible lengths (%d bytes, %d of headers)"
                                   % (total, headers_length))
            if len(buffer) < total:
                break
            frame = bytes(buffer[:total])
            del buffer[:total]
            if zlib.crc32(frame[:-4]) & 0xFFFFFFFF != struct.unpack(">I", frame[-4:])[0]:
                raise NetworkError("an event-stream message arrived corrupted (its message CRC does not match)")
            end = PRELUDE + headers_length
            yield Message(parse_headers(frame[PRELUDE:end]), frame[end:-4])


def parse_headers(raw):
    """{name: value} from a headers section; NetworkError for one that does not parse, names a
    header twice or holds a UUID shorter than its 16 bytes."""
    headers, at = {}, 0
    try:
        while at < len(raw):
            size = raw[at]
            name = raw[at + 1:at + 1 + size].decode("utf-8")
            at += 1 + size
            kind = raw[at]
            at += 1
            if kind in (0, 1):
                value = kind == 0
            elif kind in _FIXED:
                fmt, width = _FIXED[kind]
                value = struct.unpack_from(fmt, raw, at)[0]
                at += width
            elif kind in (6, 7):
                length = struct.unpack_from(">H", raw, at)[0]
                value = bytes(raw[at + 2:at + 2 + length])
                if len(value) != length:
                    raise ValueError("short value")
                value = value.decode("utf-8") if kind == 7 else value
                at += 2 + length
            elif kind == 9:
                value = bytes(raw[at:at + 16])
                if len(value) != 16:
                    raise ValueError("a UUID of %d bytes, not 16" % len(value))
                at += 16
            else:
                raise ValueError("unknown header type %d" % kind)
            if name in headers:  # botocore refuses these too: the last would win, and a frame's kind could change
                raise ValueError("the header %r twice" % name)
            headers[name] = value
    except (IndexError, ValueError, struct.error, UnicodeDecodeError) as exc:
        raise NetworkError("an event-stream message has headers that do not parse (%s)" % exc)
    return headers

