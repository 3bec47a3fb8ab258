/* Lecture Capture player: wraps <video> with HLS support, captions, playback
 * speeds and keyboard shortcuts. Loaded on every watch page. */
(function () {
  "use strict";

  var RATES = [0.75, 1, 1.25, 1.5, 2];
  var SEEK_STEP = 10;

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function formatTime(seconds) {
    var s = Math.floor(seconds % 60);
    var m = Math.floor(seconds / 60) % 60;
    var h = Math.floor(seconds / 3600);
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function Player(root) {
    this.root = root;
    this.video = $("video", root);
    this.rateButton = $(".vms-rate", root);
    this.timeLabel = $(".vms-time", root);
    this.captionButton = $(".vms-cc", root);
    this.rateIndex = RATES.indexOf(1);
    this.attachSource(root.dataset.manifest);
    this.bind();
  }

  Player.prototype.attachSource = function (manifest) {
    if (this.video.canPlayType("application/vnd.apple.mpegurl")) {
      this.video.src = manifest;
    } else if (window.Hls && window.Hls.isSupported()) {
      this.hls = new window.Hls({ maxBufferLength: 30 });
      this.hls.loadSource(manifest);
      this.hls.attachMedia(this.video);
    } else {
      this.root.classList.add("vms-unsupported");
    }
  };

  Player.prototype.bind = function () {
    var self = this;
    this.video.addEventListener("timeupdate", function () {
      var total = self.video.duration || 0;
      self.timeLabel.textContent = formatTime(self.video.currentTime) + " / " + formatTime(total);
    });
    this.rateButton.addEventListener("click", function () {
      self.cycleRate();
    });
    this.captionButton.addEventListener("click", function () {
      self.toggleCaptions();
    });
    document.addEventListener("keydown", function (event) {
      self.onKey(event);
    });
  };

  Player.prototype.cycleRate = function () {
    this.rateIndex = (this.rateIndex + 1) % RATES.length;
    this.video.playbackRate = RATES[this.rateIndex];
    this.rateButton.textContent = RATES[this.rateIndex] + "\u00d7";
  };

  Player.prototype.toggleCaptions = function () {
    var tracks = this.video.textTracks;
    for (var i = 0; i < tracks.length; i++) {
      tracks[i].mode = tracks[i].mode === "showing" ? "hidden" : "showing";
    }
    this.captionButton.classList.toggle("vms-active");
  };

  Player.prototype.onKey = function (event) {
    switch (event.key) {
      case " ":
      case "k":
        event.preventDefault();
        this.video.paused ? this.video.play() : this.video.pause();
        break;
      case "ArrowLeft":
      case "j":
        this.video.currentTime = Math.max(0, this.video.currentTime - SEEK_STEP);
        break;
      case "ArrowRight":
      case "l":
        this.video.currentTime = Math.min(this.video.duration, this.video.currentTime + SEEK_STEP);
        break;
      case "c":
        this.toggleCaptions();
        break;
      case "f":
        if (this.root.requestFullscreen) {
          this.root.requestFullscreen();
        }
        break;
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var roots = document.querySelectorAll(".vms-player");
    for (var i = 0; i < roots.length; i++) {
      new Player(roots[i]);
    }
  });
})();
