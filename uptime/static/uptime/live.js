/* Live status over /ws/status/ for the dashboard, the monitor page and the admin changelist.
 *
 * The server renders the page; this keeps it current. Any element with data-monitor-id and
 * data-field (status, name, url, last_checked_at, last_response_ms, consecutive_failures,
 * hours) is updated from the snapshot the socket sends on connect and from every event after
 * it. Reconnects with exponential backoff and jitter; each reconnect gets a fresh snapshot,
 * so nothing is missed while the socket was down.
 *
 * The dashboard is paginated (100 monitors a page). Rows are added live only on a list marked
 * data-live-adds-rows, i.e. one that shows every monitor; elsewhere a new monitor shows the
 * "new monitors, reload" hint instead, since it may belong on another page. The status counts
 * cover every monitor the socket reports (all pages), kept in statusById.
 */
(function () {
  "use strict";

  var LABELS = { up: "Up", down: "Down", paused: "Paused", unknown: "Unknown" };
  var MAX_BACKOFF_MS = 30000;
  var RECENT_CHECKS = 20;
  var root = document.documentElement;
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var lastCheckSeen = {};
  var statusById = {};

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
  function refreshTimes() {
    all("time[data-relative]").forEach(function (el) {
      el.textContent = ago(el.getAttribute("datetime"));
    });
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
      if (label) label.textContent = LABELS[m.status] || m.status;
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

  function updateSummary() {
    var container = list();
    if (!container) return;
    var totals = { total: 0 };
    Object.keys(statusById).forEach(function (id) {
      totals[statusById[id]] = (totals[statusById[id]] || 0) + 1;
      totals.total += 1;
    });
    all("[data-count]").forEach(function (el) {
      el.textContent = totals[el.getAttribute("data-count")] || 0;
    });
    var empty = container.querySelector("[data-live-empty]");
    if (empty) empty.hidden = totals.total > 0 || Boolean(container.querySelector("[data-monitor-row]"));
  }

  // Same rule as uptime/web/history.py: all good is up, at least 90% good is degraded.
  function markHour(id, check) {
    hooks(id, "hours").forEach(function (bar) {
      var hour = bar.lastElementChild;
      if (!hour) return;
      var checks = Number(hour.getAttribute("data-checks") || 0) + 1;
      var up = Number(hour.getAttribute("data-up") || 0) + (check.outcome === "ok" ? 1 : 0);
      hour.setAttribute("data-checks", checks);
      hour.setAttribute("data-up", up);
      hour.setAttribute("data-state", up === checks ? "up" : up >= 0.9 * checks ? "degraded" : "down");
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
        if (field === "opened_at") {
          el.setAttribute("datetime", incident.opened_at);
          el.textContent = ago(incident.opened_at);
        } else if (field === "cause") {
          el.textContent = incident.cause;
        } else if (field === "acknowledge") {
          el.hidden = Boolean(incident.acknowledged_at);
          el.setAttribute("action", el.getAttribute("data-action").replace("__id__", incident.id));
        }
      });
    });
  }

  function applySnapshot(monitors) {
    var present = {};
    statusById = {};
    monitors.forEach(function (m) {
      present[m.id] = true;
      statusById[m.id] = m.status;
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
  }

  function handle(event) {
    if (event.type === "snapshot") {
      applySnapshot(event.monitors || []);
      root.setAttribute("data-live", "connected");
      return;
    }
    var m = event.monitor;
    if (!m) return;
    if (event.type === "monitor.deleted") {
      delete statusById[m.id];
      removeMonitor(m.id);
    } else if (!isStale(m)) {
      if (m.status) statusById[m.id] = m.status;
      addRow(m);
      if (event.type === "monitor.created" && list() && !addsRows()) showNewMonitorsHint();
      if (!onPage(m.id)) { updateSummary(); return; }
      apply(m);
      if (event.type === "check" && event.check) {
        markHour(m.id, event.check);
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
