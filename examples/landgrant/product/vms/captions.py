"""Caption parsing and WebVTT export."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")

# Languages offered when an instructor uploads a caption file.
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "zh": "中文",
}


@dataclass
class Cue:
    start: float
    end: float
    text: str


class CaptionError(ValueError):
    pass


def parse_timestamp(value):
    match = _SRT_TIME.fullmatch(value.strip())
    if not match:
        raise CaptionError(f"bad timestamp: {value!r}")
    hours, minutes, seconds, millis = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def format_timestamp(seconds):
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def parse_srt(text):
    cues = []
    for block in re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n")):
        lines = block.splitlines()
        if len(lines) < 2:
            continue
        if "-->" not in lines[0]:
            lines = lines[1:]
        start, _, end = lines[0].partition("-->")
        cues.append(Cue(parse_timestamp(start), parse_timestamp(end), "\n".join(lines[1:])))
    return cues


def to_webvtt(cues):
    out = ["WEBVTT", ""]
    for cue in cues:
        out.append(f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}")
        out.append(cue.text)
        out.append("")
    return "\n".join(out)


def shift(cues, offset):
    """Move every cue by ``offset`` seconds, dropping cues that end before zero."""
    return [Cue(max(c.start + offset, 0.0), c.end + offset, c.text) for c in cues if c.end + offset > 0]


def language_label(code):
    return LANGUAGES.get(code, code)
