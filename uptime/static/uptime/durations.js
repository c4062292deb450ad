/* Durations that count up on a page: each [data-duration-since] element shows the time since
 * its ISO date as incidents.models.format_duration writes it ("2d 3h", "5m 12s", "0s").
 * Loaded before live.js (the signed-in pages and the admin) and status-page.js (the public
 * page, which does not load live.js); both call uptimeDurations.refresh() after they change
 * the page, and every 10 s.
 */
window.uptimeDurations = (function () {
  "use strict";

  function format(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var parts = [];
    var days = Math.floor(seconds / 86400), hours = Math.floor(seconds % 86400 / 3600);
    var minutes = Math.floor(seconds % 3600 / 60), rest = seconds % 60;
    if (days) parts.push(days + "d");
    if (hours) parts.push(hours + "h");
    if (minutes) parts.push(minutes + "m");
    if (rest || !parts.length) parts.push(rest + "s");
    return parts.join(" ");
  }

  function refresh() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-duration-since]"), function (el) {
      var since = Date.parse(el.getAttribute("data-duration-since"));
      if (!isNaN(since)) el.textContent = format((Date.now() - since) / 1000);
    });
  }

  return { format: format, refresh: refresh };
})();
