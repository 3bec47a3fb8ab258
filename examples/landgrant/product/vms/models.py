"""Domain objects for recordings, renditions and caption tracks.

Records live in an in-process registry; the storage layer snapshots it to
JSON between restarts.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

_REGISTRY: dict[str, "Video"] = {}


class Status(enum.Enum):
    CREATED = "created"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class NotFound(LookupError):
    pass


@dataclass
class User:
    netid: str
    display_name: str
    roles: frozenset = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


@dataclass
class Rendition:
    name: str
    width: int
    height: int
    bitrate_kbps: int
    key: str


@dataclass
class CaptionTrack:
    lang: str
    label: str
    cues: list = field(default_factory=list)
    machine_generated: bool = False


@dataclass
class Video:
    id: str
    title: str
    owner: str
    course_id: str | None = None
    status: Status = Status.CREATED
    duration: float = 0.0
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    renditions: list[Rendition] = field(default_factory=list)
    captions: dict[str, CaptionTrack] = field(default_factory=dict)

    @property
    def source_key(self) -> str:
        return f"sources/{self.id}/original"

    @classmethod
    def create(cls, title, owner, course_id=None):
        video = cls(id=uuid.uuid4().hex[:12], title=title.strip(), owner=owner, course_id=course_id)
        _REGISTRY[video.id] = video
        return video

    @classmethod
    def get(cls, video_id):
        try:
            return _REGISTRY[video_id]
        except KeyError:
            raise NotFound(video_id) from None

    @classmethod
    def query(cls, course_id=None):
        videos = (v for v in _REGISTRY.values() if course_id is None or v.course_id == course_id)
        return sorted(videos, key=lambda v: v.created, reverse=True)

    def caption_track(self, lang):
        try:
            return self.captions[lang]
        except KeyError:
            raise NotFound(f"{self.id}/{lang}") from None

    def summary(self):
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "duration": round(self.duration, 1),
        }

    def detail(self):
        data = self.summary()
        data.update(
            owner=self.owner,
            course=self.course_id,
            created=self.created.isoformat(),
            renditions=[r.name for r in self.renditions],
            captions=sorted(self.captions),
        )
        return data
