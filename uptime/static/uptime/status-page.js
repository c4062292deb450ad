/* A public status page kept current over /ws/status/<slug>/ (uptime/consumers.py).
 *
 * The server says only {"type": "status_page.changed"}, once it has rendered the page's
 * cached copy again; this then refetches the page's body ("fragment/", a relative URL, so the
 * same script serves /status/<slug>/ and the root of a page's own domain) and swaps it in.
 * Also after every (re)connect, for what changed while the socket was down, and every minute,
 * for the day bars and maintenance that move with the clock. Refetches read the server's
 * cached copy, never the database (uptime/public_pages.py).
 */
(function () {
  "use strict";

  var MAX_BACKOFF_MS = 30000;
  var REFETCH_EVERY_MS = 60000;
  // Every viewer gets a change at the same moment: spread their refetches over a second.
  var SPREAD_MS = 1000;
  var root = document.documentElement;
  var body = document.querySelector("[data-status-page]");
  var announcer = document.querySelector("[data-announce]");
  var attempts = 0;
  var fetching = false;
  var again = false;

  function overallLabel() {
    var label = body.querySelector("[data-overall-label]");
    return label ? label.textContent : "";
  }

  function refetch() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch("fragment/", { credentials: "omit", cache: "no-store" }).then(function (response) {
      if (!response.ok) throw new Error("fragment " + response.status);
      return response.text();
    }).then(function (html) {
      var before = overallLabel();
      body.innerHTML = html;
      window.uptimeDurations.refresh();
      // Screen readers hear the banner when it changes, not the whole page swapping.
      if (announcer && overallLabel() !== before) announcer.textContent = overallLabel();
    }).catch(function () {}).then(function () {
      fetching = false;
      if (again) { again = false; refetch(); }
    });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + location.host + "/ws/status/" +
        encodeURIComponent(body.getAttribute("data-status-page")) + "/");
    } catch (error) {
      return retry();
    }
    socket.onopen = function () {
      attempts = 0;
      root.setAttribute("data-live", "connected");
      refetch();
    };
    socket.onmessage = function () { setTimeout(refetch, Math.random() * SPREAD_MS); };
    socket.onclose = function () {
      root.setAttribute("data-live", "reconnecting");
      retry();
    };
  }

  function retry() {
    var ceiling = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts));
    attempts += 1;
    setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  if (!body) return;
  window.uptimeDurations.refresh();
  setInterval(window.uptimeDurations.refresh, 10000);
  setInterval(refetch, REFETCH_EVERY_MS);
  connect();
})();
