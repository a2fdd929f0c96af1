"""Files attached to a prompt: images by what their bytes are (PNG, JPEG, GIF, WebP: the kinds
every provider with image input takes), and UTF-8 text files as text; anything else is refused
with a sentence, never sent as something it is not."""
from .._core.errors import UsageError

MAX_IMAGE_BYTES = 20 << 20  # the largest image the OpenAI and Gemini APIs take inline
MAX_TEXT_BYTES = 8 << 20    # as much as a prompt
# The first bytes of each image kind, and its media type.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"))


def question(prompt, paths=()):
    """The user's message of a one-question request: the attached files, then the prompt."""
    from .._wire.ir import Message, Text

    return Message("user", [attachment(path) for path in paths] + [Text(prompt)])


def attachment(path):
    """The IR block for a file: an Image (base64 data) or a Text holding `<file name="...">` and
    the text; UsageError naming the file for one that is neither, or too large."""
    from .._wire.ir import Image, Text

    data = _read(path, max(MAX_IMAGE_BYTES, MAX_TEXT_BYTES))
    kind = media_type(data)
    if kind is not None:
        if len(data) > MAX_IMAGE_BYTES:
            raise UsageError("%s: the image is over %d MiB; make it smaller" % (path, MAX_IMAGE_BYTES >> 20))
        import base64

        return Image(kind, data=base64.b64encode(data).decode("ascii"))
    if len(data) > MAX_TEXT_BYTES:
        raise UsageError("%s: over %d MiB of text; attach less" % (path, MAX_TEXT_BYTES >> 20))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise UsageError("%s is neither an image (PNG, JPEG, GIF, WebP) nor UTF-8 text; atomic attaches only "
                         "those" % path)
    return Text('<file name="%s">\n%s%s</file>\n' % (path, text, "" if text.endswith("\n") or not text else "\n"))


def media_type(data):
    """The media type of an image atomic sends, from its first bytes; None for anything else."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _read(path, limit):
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise UsageError("cannot attach %s: %s" % (path, exc.strerror or exc))
    if len(data) > limit:
        raise UsageError("%s is over %d MiB; atomic attaches smaller files" % (path, limit >> 20))
    return data
