"""Build ffmpeg command lines for the rendition ladder.

Transcoding runs on the worker hosts; this module only decides *what* to run,
so that it can be unit tested without ffmpeg installed.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

# name, width, height, video kbps, audio kbps
LADDER = [
    ("1080p", 1920, 1080, 5000, 160),
    ("720p", 1280, 720, 2800, 128),
    ("480p", 854, 480, 1400, 96),
    ("360p", 640, 360, 800, 96),
]


@dataclass
class Job:
    video_id: str
    source: str
    output_dir: str
    renditions: list


def ladder_for(source_height, ladder=LADDER):
    """Only produce renditions at or below the source resolution."""
    chosen = [rung for rung in ladder if rung[2] <= source_height]
    return chosen or [ladder[-1]]


def build_ffmpeg_command(source, output, rendition, preset="veryfast"):
    name, width, height, vkbps, akbps = rendition
    return [
        FFMPEG,
        "-hide_banner",
        "-y",
        "-i", source,
        "-vf", f"scale=w={width}:h={height}:force_original_aspect_ratio=decrease",
        "-c:v", "libx264",
        "-preset", preset,
        "-profile:v", "high",
        "-b:v", f"{vkbps}k",
        "-maxrate", f"{int(vkbps * 1.07)}k",
        "-bufsize", f"{vkbps * 2}k",
        "-c:a", "aac",
        "-b:a", f"{akbps}k",
        "-ac", "2",
        output,
    ]


def build_hls_command(source, output_dir, rendition, segment_seconds=6):
    name = rendition[0]
    cmd = build_ffmpeg_command(source, f"{output_dir}/{name}.m3u8", rendition)
    cmd[-1:-1] = [
        "-f", "hls",
        "-hls_time", str(segment_seconds),
        "-hls_playlist_type", "vod",
        "-hls_segment_filename", f"{output_dir}/{name}_%05d.ts",
    ]
    return cmd


def build_thumbnail_command(source, output, at_seconds=5.0):
    return [FFMPEG, "-hide_banner", "-y", "-ss", f"{at_seconds:.2f}", "-i", source,
            "-frames:v", "1", "-q:v", "3", output]


def master_playlist(renditions):
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, width, height, vkbps, akbps in renditions:
        bandwidth = (vkbps + akbps) * 1000
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}")
        lines.append(f"{name}.m3u8")
    return "\n".join(lines) + "\n"


def probe_height(source):
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=height", "-of", "csv=p=0", source],
        capture_output=True, text=True, check=True,
    )
    return int(out.stdout.strip() or 0)


def enqueue_transcode(video, settings):
    """Hand the job to the workers through the spool directory."""
    job = Job(video.id, video.source_key, f"renditions/{video.id}", [rung[0] for rung in LADDER])
    spool = settings.get("spool_dir", "/var/spool/vms")
    with open(f"{spool}/{video.id}.job", "w", encoding="utf-8") as fh:
        fh.write(shlex.join([job.video_id, job.source, job.output_dir, *job.renditions]) + "\n")
    return job
