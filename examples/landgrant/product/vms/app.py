"""HTTP routing for the video management service.

A deliberately small WSGI layer: routes are registered with a decorator and
matched against compiled regular expressions.  Handlers receive a Request and
return a Response, or a dict that is sent as JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs

from vms import auth, captions, lti, models
from vms.transcode import enqueue_transcode

_PARAM = re.compile(r"<(\w+)>")


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes = b""
    user: models.User | None = None

    def json(self):
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    body: bytes | str = b""
    status: int = 200
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, payload, status=200):
        return cls(json.dumps(payload), status, {"Content-Type": "application/json"})


class Application:
    def __init__(self, config, storage):
        self.config = config
        self.storage = storage
        self.routes = []
        self.branding = {}
        register_routes(self)

    def route(self, pattern, methods=("GET",)):
        regex = re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", pattern) + "$")

        def decorator(handler):
            self.routes.append((regex, tuple(methods), handler))
            return handler

        return decorator

    def dispatch(self, request):
        for regex, methods, handler in self.routes:
            match = regex.match(request.path)
            if match and request.method in methods:
                result = handler(request, **match.groupdict())
                return result if isinstance(result, Response) else Response.json(result)
        return Response.json({"error": "not found"}, status=404)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = Request(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", "/"),
            query={k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()},
            headers={k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")},
            body=environ["wsgi.input"].read(length) if length else b"",
        )
        request.user = auth.user_from_request(request, self.config["auth"]["secret"])
        response = self.dispatch(request)
        body = response.body.encode() if isinstance(response.body, str) else response.body
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        start_response(status, list(response.headers.items()))
        return [body]


def register_routes(app):
    @app.route("/api/videos")
    def list_videos(request):
        course = request.query.get("course")
        videos = models.Video.query(course_id=course)
        return {"videos": [v.summary() for v in videos]}

    @app.route("/api/videos", methods=("POST",))
    @auth.require_role("instructor")
    def create_video(request):
        data = request.json()
        video = models.Video.create(data["title"], owner=request.user.netid, course_id=data.get("course"))
        upload_url = app.storage.presign_upload(video.source_key)
        return Response.json({"id": video.id, "upload_url": upload_url}, status=201)

    @app.route("/api/videos/<video_id>/uploaded", methods=("POST",))
    @auth.require_role("instructor")
    def upload_complete(request, video_id):
        video = models.Video.get(video_id)
        video.status = models.Status.PROCESSING
        enqueue_transcode(video, app.config["transcode"])
        return {"id": video.id, "status": video.status.value}

    @app.route("/api/videos/<video_id>")
    def get_video(request, video_id):
        return models.Video.get(video_id).detail()

    @app.route("/api/videos/<video_id>/captions/<lang>")
    def get_captions(request, video_id, lang):
        track = models.Video.get(video_id).caption_track(lang)
        vtt = captions.to_webvtt(track.cues)
        return Response(vtt, headers={"Content-Type": "text/vtt; charset=utf-8"})

    @app.route("/lti/launch", methods=("POST",))
    def lti_launch(request):
        params = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        launch = lti.validate_launch(params, app.config["lti"])
        cookie = auth.issue_session(launch.user, app.config["auth"]["secret"])
        return Response(b"", status=303, headers={"Location": launch.return_path, "Set-Cookie": cookie})
