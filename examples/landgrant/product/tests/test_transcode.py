"""Unit tests for ffmpeg command construction; ffmpeg itself is not needed."""

import pytest

from vms import transcode


def test_ladder_skips_upscaling():
    chosen = transcode.ladder_for(720)
    assert [rung[0] for rung in chosen] == ["720p", "480p", "360p"]


def test_tiny_source_keeps_the_lowest_rung():
    assert transcode.ladder_for(240) == [transcode.LADDER[-1]]


def test_ffmpeg_command_scales_and_sets_bitrate():
    cmd = transcode.build_ffmpeg_command("in.mov", "out.mp4", transcode.LADDER[1])
    assert cmd[0] == "ffmpeg"
    assert cmd[cmd.index("-i") + 1] == "in.mov"
    assert "scale=w=1280:h=720:force_original_aspect_ratio=decrease" in cmd
    assert cmd[cmd.index("-b:v") + 1] == "2800k"
    assert cmd[-1] == "out.mp4"


def test_hls_command_puts_segmenter_options_before_the_output():
    cmd = transcode.build_hls_command("in.mov", "/out", transcode.LADDER[0])
    assert cmd[-1] == "/out/1080p.m3u8"
    assert cmd[cmd.index("-hls_time") + 1] == "6"
    assert cmd[cmd.index("-hls_segment_filename") + 1] == "/out/1080p_%05d.ts"


def test_master_playlist_lists_every_rendition():
    lines = transcode.master_playlist(transcode.LADDER[:2]).splitlines()
    assert lines[0] == "#EXTM3U"
    assert "#EXT-X-STREAM-INF:BANDWIDTH=5160000,RESOLUTION=1920x1080" in lines
    assert lines[-1] == "720p.m3u8"


@pytest.mark.parametrize("seconds, expected", [(5, "5.00"), (0.5, "0.50"), (61.25, "61.25")])
def test_thumbnail_seek_is_formatted(seconds, expected):
    cmd = transcode.build_thumbnail_command("in.mov", "poster.jpg", seconds)
    assert cmd[cmd.index("-ss") + 1] == expected
    assert cmd[-1] == "poster.jpg"
