/* Chunked browser upload to the presigned URL returned by POST /api/videos. */
(function () {
  "use strict";

  var CHUNK_SIZE = 8 * 1024 * 1024;
  var MAX_RETRIES = 3;
  var ACCEPTED = ["video/mp4", "video/quicktime", "video/webm", "video/x-matroska"];

  function createVideo(title, course) {
    return fetch("/api/videos", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: title, course: course })
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("Could not create the video (" + response.status + ")");
      }
      return response.json();
    });
  }

  function putChunk(url, file, offset, attempt) {
    var end = Math.min(offset + CHUNK_SIZE, file.size);
    return fetch(url, {
      method: "PUT",
      headers: { "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size },
      body: file.slice(offset, end)
    }).then(function (response) {
      if (!response.ok && attempt < MAX_RETRIES) {
        return putChunk(url, file, offset, attempt + 1);
      }
      if (!response.ok) {
        throw new Error("Upload failed at byte " + offset);
      }
      return end;
    });
  }

  function updateProgress(bar, loaded, total) {
    var percent = Math.round((loaded / total) * 100);
    bar.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", percent);
    bar.textContent = percent + "%";
  }

  function upload(form) {
    var file = form.querySelector("input[type=file]").files[0];
    var bar = form.querySelector(".vms-progress-bar");
    var status = form.querySelector(".vms-upload-status");
    if (!file || ACCEPTED.indexOf(file.type) === -1) {
      status.textContent = "Please choose an MP4, MOV, WebM or MKV file.";
      return;
    }
    createVideo(form.elements.title.value, form.elements.course.value).then(function (created) {
      var offset = 0;
      function next() {
        if (offset >= file.size) {
          return fetch("/api/videos/" + created.id + "/uploaded", { method: "POST", credentials: "same-origin" });
        }
        return putChunk(created.upload_url, file, offset, 0).then(function (end) {
          offset = end;
          updateProgress(bar, offset, file.size);
          return next();
        });
      }
      updateProgress(bar, 0, file.size);
      return next();
    }).then(function () {
      status.textContent = "Upload complete. Your video is being processed.";
    }).catch(function (error) {
      status.textContent = error.message;
    });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.matches(".vms-upload-form")) {
      event.preventDefault();
      upload(event.target);
    }
  });
})();
