"""A postback's `multipart/form-data` body (RFC 7578), read strictly from its bytes (read
whole first, so the app's size limit holds): every part is a named UTF-8 text value.
What a form a tracker sends never holds — a file, another charset, a transfer encoding,
a part that is not text, a part without a name — is refused naming the part (as raw
bytes are in a urlencoded form), never read leniently into a field."""

from __future__ import annotations

import re
from typing import Final

from bot.services.conversions import InvalidConversion

Pairs = list[tuple[str, str]]

# RFC 2046 §5.1.1: 1 to 70 of these, not ending in a space
_BOUNDARY: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_TOKEN: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # noqa: S105 - RFC 9110's token
_QUOTED: Final = r'"(?:[^"\\\r\n]|\\[^\r\n])*"'
_PARAM: Final = re.compile(rf";[ \t]*({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})[ \t]*")
_DISPOSITION: Final = re.compile(
    rf"[ \t]*form-data[ \t]*((?:;[ \t]*{_TOKEN}[ \t]*=[ \t]*(?:{_TOKEN}|{_QUOTED})[ \t]*)*)",
    re.IGNORECASE,
)
_NAME: Final = re.compile(_TOKEN)  # a header's name
_MEDIA: Final = re.compile(rf"[ \t]*({_TOKEN}/{_TOKEN})[ \t]*((?:;.*)?)", re.DOTALL)
_UTF8: Final = frozenset(("utf-8", "utf8", "us-ascii"))
_PLAIN_ENCODINGS: Final = frozenset(("7bit", "8bit", "binary"))


def form_fields(boundary: str | None, body: bytes) -> Pairs:
    """The parts of `body` as (name, text), in order, a repeated one as often as given.
    ValueError (the body as a whole: said as «body: …») or InvalidConversion naming the
    part."""
    if boundary is None or not _BOUNDARY.fullmatch(boundary):
        raise ValueError("multipart/form-data needs a boundary (1-70 characters, RFC 2046)")
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("ascii"))
    if len(chunks) < 2:
        raise ValueError("no multipart boundary (--BOUNDARY) in the body")
    pairs: Pairs = []
    last = len(chunks) - 2
    for number, chunk in enumerate(chunks[1:]):  # chunks[0] is the preamble, ignored
        if chunk.startswith(b"--"):  # the close delimiter: what follows is the epilogue
            return pairs
        line, crlf, part = chunk.partition(b"\r\n")
        if b"\n" in line or b"\r" in line:
            raise ValueError("a multipart body's lines end in CRLF (\\r\\n)")
        if line.strip(b" \t"):
            raise ValueError("a multipart boundary line with more on it than the boundary")
        if not crlf and number == last:
            break
        pairs.append(_part(part))
    raise ValueError("no closing multipart boundary (--BOUNDARY--)")


def _part(raw: bytes) -> tuple[str, str]:
    head, blank, value = raw.partition(b"\r\n\r\n")
    if not blank:
        raise ValueError("a part without its headers (Content-Disposition: form-data; name=…)")
    try:
        lines = head.decode("utf-8").split("\r\n")
    except UnicodeDecodeError:
        raise ValueError("a part's headers are not UTF-8") from None
    headers: dict[str, str] = {}
    for line in lines:
        # split, not one pattern: «(.*?)[ \t]*» read a value of many spaces then a letter in
        # steps growing with the square of its length (64 KB, before the secret: minutes)
        given, colon, said = line.partition(":")
        if not colon or not _NAME.fullmatch(given) or "\n" in said:
            raise ValueError("a part's header is not «Name: value» on one line")
        key = given.lower()
        if key in headers:
            raise ValueError(f"a part with {given} given more than once")
        headers[key] = said.strip(" \t")
    name, is_file = _disposition(headers.get("content-disposition"))
    if is_file:
        raise InvalidConversion(name, "a file; a postback's fields are text")
    media = headers.get("content-type")
    if media is not None:
        _text_media(name, media)
    encoding = headers.get("content-transfer-encoding")
    if encoding is not None and encoding.lower() not in _PLAIN_ENCODINGS:
        raise InvalidConversion(
            name, f"Content-Transfer-Encoding {encoding} is not taken: send the text as it is"
        )
    try:
        return name, value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidConversion(name, "not UTF-8") from None


def _disposition(header: str | None) -> tuple[str, bool]:
    """The part's name, and whether it is a file."""
    found = _DISPOSITION.fullmatch(header) if header is not None else None
    if found is None:
        raise ValueError('a part without «Content-Disposition: form-data; name="…"»')
    params: dict[str, str] = {}
    for given, raw in _PARAM.findall(found.group(1)):
        key = given.lower()
        if key in params:
            raise ValueError(f"a part's Content-Disposition with {key} given more than once")
        params[key] = _unquote(raw)
    if "name" not in params:
        raise ValueError("a part without a name")
    return params["name"], "filename" in params or "filename*" in params


def _text_media(name: str, header: str) -> None:
    """A part's Content-Type: text/plain, in UTF-8 when a charset is said."""
    media = _MEDIA.fullmatch(header)
    if media is None or media.group(1).lower() != "text/plain":
        raise InvalidConversion(name, f"Content-Type {header}: text/plain only")
    for key, raw in _PARAM.findall(media.group(2)):
        charset = _unquote(raw)  # charset*= (RFC 2231) is never UTF-8 as written
        if key.lower().rstrip("*") == "charset" and charset.lower() not in _UTF8:
            raise InvalidConversion(name, f"charset {charset}: UTF-8 only")


def _unquote(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    return re.sub(r"\\(.)", r"\1", raw[1:-1])
