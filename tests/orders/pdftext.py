"""The text of a reportlab PDF, as a reader would copy it: the page streams' text operators
decoded through each font's ToUnicode map (a TrueType subset's bytes are glyph codes, not
characters), WinAnsi (cp1252) for the built-in fonts. Enough for our own contracts; not a PDF parser."""

import base64
import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_TEXT = re.compile(rb"/(\S+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) ?(?:Tj|')|\[(.*?)\] ?TJ", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _decoded(body: bytes) -> bytes:
    found = _STREAM.search(body)
    if not found:
        return b""
    raw = found.group(1).strip()
    if raw.endswith(b"~>"):
        raw = base64.a85decode(raw[:-2])
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return raw


def _string(literal: bytes) -> bytes:
    def unescape(match):
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8)])
        return _ESCAPES.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", unescape, literal, flags=re.S)


def _to_unicode(cmap: bytes) -> dict[int, str]:
    table = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, text in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            start = ord(bytes.fromhex(text.decode()).decode("utf-16-be"))
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                table[code] = chr(start + offset)
    return table


def fonts(pdf: bytes) -> dict[str, dict]:
    """Each font resource by its name: base font, whether embedded, its ToUnicode map."""
    objects = {int(number): body for number, body in _OBJECT.findall(pdf)}
    found = {}
    for body in objects.values():
        if b"/Type /Font" not in body or b"/Name" not in body:
            continue
        name = re.search(rb"/Name /(\S+)", body).group(1).decode()
        base = re.search(rb"/BaseFont /(\S+)", body).group(1).decode()
        cmap_ref = re.search(rb"/ToUnicode (\d+) 0 R", body)
        descriptor = re.search(rb"/FontDescriptor (\d+) 0 R", body)
        embedded = bool(descriptor) and b"/FontFile2" in objects.get(int(descriptor.group(1)), b"")
        found[name] = {
            "base": base,
            "embedded": embedded,
            "to_unicode": _to_unicode(_decoded(objects[int(cmap_ref.group(1))]))
            if cmap_ref
            else None,
        }
    return found


def text_runs(pdf: bytes) -> list[tuple[str, str]]:
    """Each text-showing operator's text, with the base font it is drawn in."""
    resources = fonts(pdf)
    runs = []
    for body in (b for _n, b in _OBJECT.findall(pdf)):
        stream = _decoded(body)
        if b" Tf" not in stream:
            continue
        font = {}
        for name, single, array in _TEXT.findall(stream):
            if name:
                font = resources.get(name.decode()) or {}
                continue
            table = font.get("to_unicode")
            pieces = [single] if single else re.findall(rb"\(((?:\\.|[^\\)])*)\)", array)
            text = ""
            for piece in pieces:
                raw = _string(piece)
                text += (
                    "".join(table.get(b, "\ufffd") for b in raw)
                    if table
                    else raw.decode("cp1252", "replace")
                )
            runs.append((font.get("base", ""), text))
    return runs


def pdf_text(pdf: bytes) -> str:
    return "".join(f"{text}\n" for _font, text in text_runs(pdf))
