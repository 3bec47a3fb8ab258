/* Polyfills for Internet Explorer 11, which many classroom lectern PCs still
 * run. Loaded before player.js and upload.js; a no-op in current browsers. */
(function () {
  "use strict";

  if (!String.prototype.padStart) {
    String.prototype.padStart = function (length, fill) {
      var text = String(this);
      var pad = fill === undefined ? " " : String(fill);
      if (!pad || text.length >= length) {
        return text;
      }
      while (text.length < length) {
        text = pad + text;
      }
      return text.slice(text.length - length);
    };
  }

  if (!Element.prototype.matches) {
    Element.prototype.matches = Element.prototype.msMatchesSelector;
  }

  if (!Element.prototype.requestFullscreen) {
    Element.prototype.requestFullscreen = Element.prototype.msRequestFullscreen;
  }

  if (window.NodeList && !NodeList.prototype.forEach) {
    NodeList.prototype.forEach = Array.prototype.forEach;
  }

  if (!Array.prototype.includes) {
    Array.prototype.includes = function (value) {
      return this.indexOf(value) !== -1;
    };
  }
})();
