/* Live status over /ws/status/ for the dashboard, the monitor page, the incident list and the
 * admin changelist.
 *
 * The server renders the page; this keeps it current, in two ways:
 *
 * - Fields: any element with data-monitor-id and data-field (status, name, url,
 *   last_checked_at, last_response_ms, consecutive_failures, beats) is updated from the
 *   snapshot the socket sends on connect and from every event after it.
 * - Fragments: what only the server can compute (uptime figures, incident timelines, the
 *   chart, a page of incidents) sits in an element with data-live-fragment="<url>", which is
 *   refetched and swapped in when an event of a type in its data-live-events arrives
 *   ("incident." matches every incident.* type), for its data-live-monitor only if it names
 *   one; at most once per data-live-every seconds (default 1), and once more after a fetch
 *   if events came in while it ran. Every fragment is also refetched after each snapshot,
 *   i.e. after every (re)connect, for what happened while the socket was down.
 *
 * Reconnects with exponential backoff and jitter; each reconnect gets a fresh snapshot.
 *
 * The dashboard is paginated (100 monitors a page). Rows are added live only on a list marked
 * data-live-adds-rows, i.e. one that shows every monitor; elsewhere a new monitor shows the
 * "new monitors, reload" hint instead, since it may belong on another page. The status counts
 * cover every monitor the socket reports (all pages) that the list's search (data-live-query)
 * matches, kept in latestById, and the open incidents chip every open incident.
 */
(function () {
  "use strict";

  var LABELS = { up: "Up", down: "Down", pending: "Pending", paused: "Paused", unknown: "Unknown" };
  var MAX_BACKOFF_MS = 30000;
  var RECENT_CHECKS = 20;
  // Checks are replayed onto heartbeat bars that a refetch swapped in: one rendered before the
  // check committed lacks it. Beads are matched by check id, so a replay never doubles one.
  var REPLAY_MS = 15000;
  var root = document.documentElement;
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var lastCheckSeen = {};
  var latestById = {};
  var openIncidents = {};
  var recentChecks = [];

  function all(selector, scope) {
    return Array.prototype.slice.call((scope || document).querySelectorAll(selector));
  }
  function hooks(id, field) {
    return all('[data-monitor-id="' + id + '"][data-field="' + field + '"]');
  }
  function list() { return document.querySelector("[data-live-list]"); }
  function addsRows() {
    var container = list();
    return Boolean(container && container.hasAttribute("data-live-adds-rows"));
  }
  function onPage(id) {
    return Boolean(document.querySelector('[data-monitor-id="' + id + '"], [data-live-checks="' +
      id + '"], [data-live-incident="' + id + '"]'));
  }
  function rowOf(id) {
    var container = list();
    return container && container.querySelector('[data-monitor-row="' + id + '"]');
  }

  function ago(iso) {
    if (!iso) return "never";
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 5) return "just now";
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h ago";
    return new Date(iso).toLocaleString();
  }
  // incidents.models.format_duration: "2d 3h", "5m 12s", "0s".
  function duration(seconds) {
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
  function refreshTimes() {
    all("time[data-relative]").forEach(function (el) {
      el.textContent = ago(el.getAttribute("datetime"));
    });
    all("[data-duration-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-duration-since"));
      if (!isNaN(since)) el.textContent = duration((Date.now() - since) / 1000);
    });
  }
  function statusLabel(m) {
    if (m.status === "pending" && m.consecutive_failures != null) {
      return "Pending (" + m.consecutive_failures +
        (m.failure_threshold ? " of " + m.failure_threshold : "") + " failed)";
    }
    return LABELS[m.status] || m.status;
  }

  var render = {
    status: function (el, m) {
      if (el.getAttribute("data-status") !== m.status) {
        el.classList.remove("changed");
        void el.offsetWidth; // restart the flash animation
        el.classList.add("changed");
      }
      el.setAttribute("data-status", m.status);
      var label = el.querySelector(".status-label");
      if (label) label.textContent = statusLabel(m);
    },
    name: function (el, m) { el.textContent = m.name; },
    url: function (el, m) { el.textContent = m.url; },
    last_checked_at: function (el, m) {
      el.setAttribute("datetime", m.last_checked_at || "");
      el.textContent = ago(m.last_checked_at);
    },
    last_response_ms: function (el, m) {
      el.textContent = m.last_response_ms == null ? "—" : m.last_response_ms + " ms";
    },
    consecutive_failures: function (el, m) { el.textContent = m.consecutive_failures; },
  };

  function apply(m) {
    Object.keys(render).forEach(function (field) {
      hooks(m.id, field).forEach(function (el) { render[field](el, m); });
    });
    all('[data-monitor-id="' + m.id + '"][data-field="status"]').forEach(function (el) {
      el.setAttribute("title", statusLabel(m));
    });
    all('[data-monitor-id="' + m.id + '"][data-when-paused]').forEach(function (el) {
      el.hidden = String(m.is_paused) !== el.getAttribute("data-when-paused");
    });
  }

  // An event that was delayed behind a newer snapshot must not roll the page back.
  function isStale(m) {
    var seen = lastCheckSeen[m.id];
    var at = m.last_checked_at ? Date.parse(m.last_checked_at) : 0;
    if (seen && at < seen) return true;
    lastCheckSeen[m.id] = Math.max(seen || 0, at);
    return false;
  }

  function addRow(m) {
    var container = list();
    var template = document.querySelector("template[data-live-row]");
    if (!container || !template || !addsRows() || rowOf(m.id)) return;
    var row = template.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-monitor-row", m.id);
    all("[data-field]", row).forEach(function (el) { el.setAttribute("data-monitor-id", m.id); });
    all("a[href]", row).forEach(function (a) {
      a.setAttribute("href", a.getAttribute("href").replace("__id__", m.id));
    });
    var before = all("[data-monitor-row]", container).filter(function (other) {
      var name = other.querySelector('[data-field="name"]');
      return name && name.textContent.localeCompare(m.name) > 0;
    })[0];
    container.insertBefore(row, before || container.querySelector("[data-live-empty]"));
  }

  function removeMonitor(id) {
    var row = rowOf(id);
    if (row) row.remove();
    all('[data-monitor-id="' + id + '"]').forEach(function (el) {
      var tableRow = el.closest("tr");
      if (tableRow) tableRow.classList.add("live-deleted");
    });
    var gone = document.querySelector('[data-live-deleted="' + id + '"]');
    if (gone) gone.hidden = false;
  }

  function showNewMonitorsHint() {
    var hint = document.querySelector("[data-live-new]");
    if (hint) hint.hidden = false;
  }

  function matchesSearch(m) {
    var container = list();
    var query = container && container.getAttribute("data-live-query");
    if (!query) return true;
    query = query.toLowerCase();
    return [m.name, m.url].some(function (text) {
      return String(text || "").toLowerCase().indexOf(query) !== -1;
    });
  }

  function updateSummary() {
    var container = list();
    if (!container) return;
    var totals = { total: 0 };
    Object.keys(latestById).forEach(function (id) {
      var m = latestById[id];
      if (!matchesSearch(m)) return;
      totals[m.status] = (totals[m.status] || 0) + 1;
      totals.total += 1;
    });
    totals.open_incidents = Object.keys(openIncidents).length;
    all("[data-count]").forEach(function (el) {
      el.textContent = totals[el.getAttribute("data-count")] || 0;
    });
    all("[data-live-open-incidents]").forEach(function (chip) {
      chip.hidden = !totals.open_incidents;
      var plural = chip.querySelector("[data-plural]");
      if (plural) plural.textContent = totals.open_incidents === 1 ? "" : "s";
    });
    var empty = container.querySelector("[data-live-empty]");
    if (empty) empty.hidden = totals.total > 0 || Boolean(container.querySelector("[data-monitor-row]"));
  }

  // One bead per check, newest on the right; the bar keeps its length.
  function addBeat(id, check) {
    hooks(id, "beats").forEach(function (bar) {
      if (bar.querySelector('[data-check-id="' + check.id + '"]')) return;
      var beat = document.createElement("i");
      beat.className = "beat";
      beat.setAttribute("data-state", check.outcome === "ok" ? "up" : "down");
      beat.setAttribute("data-check-id", check.id);
      beat.title = new Date(check.checked_at).toLocaleString() + ": " +
        (check.outcome === "ok" ? "OK" : check.error || check.outcome) +
        (check.response_ms == null ? "" : ", " + check.response_ms + " ms");
      bar.appendChild(beat);
      if (bar.children.length > 1) bar.removeChild(bar.firstElementChild);
    });
  }

  function cell(row, content, className) {
    var td = row.insertCell(-1);
    if (className) td.className = className;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    return td;
  }

  function prependCheck(id, check) {
    var body = document.querySelector('[data-live-checks="' + id + '"]');
    if (!body || body.querySelector('[data-check-id="' + check.id + '"]')) return;
    var labels = JSON.parse((document.getElementById("outcome-labels") || {}).textContent || "{}");
    var row = document.createElement("tr");
    row.setAttribute("data-check-id", check.id);
    var time = document.createElement("time");
    time.setAttribute("datetime", check.checked_at);
    time.setAttribute("data-relative", "");
    time.textContent = ago(check.checked_at);
    cell(row, time);
    var outcome = document.createElement("span");
    outcome.className = "outcome";
    outcome.setAttribute("data-ok", String(check.outcome === "ok"));
    outcome.textContent = labels[check.outcome] || check.outcome;
    var result = cell(row, outcome);
    if (check.error) {
      var error = document.createElement("span");
      error.className = "error-text";
      error.textContent = check.error;
      result.appendChild(error);
    }
    cell(row, check.status_code == null ? "—" : String(check.status_code), "num hide-narrow");
    cell(row, check.response_ms == null ? "—" : check.response_ms + " ms", "num");
    all("[data-empty]", body).forEach(function (el) { el.remove(); });
    body.insertBefore(row, body.firstChild);
    while (body.children.length > RECENT_CHECKS) body.removeChild(body.lastElementChild);
  }

  function showIncident(id, incident) {
    all('[data-live-incident="' + id + '"]').forEach(function (box) {
      box.hidden = !incident;
      if (!incident) return;
      all("[data-incident-field]", box).forEach(function (el) {
        var field = el.getAttribute("data-incident-field");
        if (field === "started_at") {
          // Down since the first failed check; opened_at (the threshold) on older servers.
          var since = incident.started_at || incident.opened_at;
          el.setAttribute("datetime", since);
          el.textContent = ago(since);
        } else if (field === "cause") {
          el.textContent = incident.cause;
        } else if (field === "acknowledge") {
          el.hidden = Boolean(incident.acknowledged_at);
          el.setAttribute("action", el.getAttribute("data-action").replace("__id__", incident.id));
        }
      });
    });
  }

  function wants(el, event) {
    var monitor = el.getAttribute("data-live-monitor");
    if (monitor && event.monitor && String(event.monitor.id) !== monitor) return false;
    return (el.getAttribute("data-live-events") || "").split(/\s+/).some(function (type) {
      return type && (type === event.type ||
        (type.charAt(type.length - 1) === "." && event.type.indexOf(type) === 0));
    });
  }

  function swap(el, html) {
    el.innerHTML = html;
    // The fragment was rendered from the database a moment ago; what arrived over the
    // socket since may be newer.
    var shown = {};
    all("[data-monitor-id]", el).forEach(function (hook) {
      shown[hook.getAttribute("data-monitor-id")] = true;
    });
    Object.keys(shown).forEach(function (id) { if (latestById[id]) apply(latestById[id]); });
    forgetOldChecks();
    recentChecks.forEach(function (seen) { if (shown[seen.id]) addBeat(seen.id, seen.check); });
    refreshTimes();
    updateSummary();
  }

  function forgetOldChecks() {
    var since = Date.now() - REPLAY_MS;
    while (recentChecks.length && recentChecks[0].at < since) recentChecks.shift();
  }

  function refetch(el) {
    var state = el.liveFetch || (el.liveFetch = { last: 0, timer: null, busy: false, again: false });
    if (state.busy) { state.again = true; return; }
    if (state.timer) return;
    var every = 1000 * Number(el.getAttribute("data-live-every") || 1);
    state.timer = setTimeout(function () {
      state.timer = null;
      state.busy = true;
      state.last = Date.now();
      fetch(el.getAttribute("data-live-fragment"), {
        credentials: "same-origin", headers: { "X-Requested-With": "fetch" },
      }).then(function (response) {
        // A session that ended is sent to the login page: keep what is shown.
        if (!response.ok || response.redirected) throw new Error("fragment " + response.status);
        return response.text();
      }).then(function (html) {
        if (document.contains(el)) swap(el, html);
      }).catch(function () {}).then(function () {
        state.busy = false;
        if (state.again) { state.again = false; refetch(el); }
      });
    }, Math.max(0, state.last + every - Date.now()));
  }

  function refetchFor(event) {
    all("[data-live-fragment]").forEach(function (el) {
      if (!event || wants(el, event)) refetch(el);
    });
  }

  function applySnapshot(monitors) {
    var present = {};
    latestById = {};
    openIncidents = {};
    monitors.forEach(function (m) {
      present[m.id] = true;
      latestById[m.id] = m;
      if (m.open_incident) openIncidents[m.id] = true;
      lastCheckSeen[m.id] = m.last_checked_at ? Date.parse(m.last_checked_at) : 0;
      addRow(m);
      // A staff snapshot holds every monitor; only those on this page have anything to update.
      if (!onPage(m.id)) return;
      apply(m);
      showIncident(m.id, m.open_incident);
    });
    var container = list();
    if (container) {
      all("[data-monitor-row]", container).forEach(function (row) {
        if (!present[row.getAttribute("data-monitor-row")]) row.remove();
      });
    }
    updateSummary();
    refetchFor(null);
  }

  function noteIncident(event) {
    var id = event.monitor.id;
    if (event.type === "monitor.deleted" || event.type === "incident.resolved") {
      delete openIncidents[id];
    } else if (event.type === "incident.opened" || event.type === "incident.acknowledged") {
      openIncidents[id] = true;
    }
  }

  function handle(event) {
    if (event.type === "snapshot") {
      applySnapshot(event.monitors || []);
      root.setAttribute("data-live", "connected");
      return;
    }
    var m = event.monitor;
    if (!m) return;
    noteIncident(event);
    refetchFor(event);
    if (event.type === "monitor.deleted") {
      delete latestById[m.id];
      removeMonitor(m.id);
    } else if (!isStale(m)) {
      latestById[m.id] = m;
      addRow(m);
      if (event.type === "monitor.created" && list() && !addsRows()) showNewMonitorsHint();
      if (event.type === "check" && event.check) {
        forgetOldChecks();
        recentChecks.push({ id: String(m.id), check: event.check, at: Date.now() });
      }
      if (!onPage(m.id)) { updateSummary(); return; }
      apply(m);
      if (event.type === "check" && event.check) {
        addBeat(m.id, event.check);
        prependCheck(m.id, event.check);
      }
      if (event.incident) {
        showIncident(m.id, event.type === "incident.resolved" ? null : event.incident);
      }
    }
    updateSummary();
  }

  function connect() {
    clearTimeout(retryTimer);
    root.setAttribute("data-live", attempts ? "reconnecting" : "connecting");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + location.host + "/ws/status/");
    } catch (error) {
      socket = null;
      return retry();
    }
    socket.onopen = function () { attempts = 0; };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      handle(event);
    };
    socket.onclose = function () {
      socket = null;
      root.setAttribute("data-live", "reconnecting");
      retry();
    };
  }

  function retry() {
    // Doubling up to 30 s, with jitter so that a restarted server is not hit by every open
    // tab in the same instant.
    var ceiling = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts));
    attempts += 1;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  window.addEventListener("online", function () {
    if (!socket) { attempts = 0; connect(); }
  });
  function start() {
    refreshTimes();
    setInterval(refreshTimes, 10000);
    connect();
  }
  // The admin loads this in <head>: wait for the rows it updates.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
