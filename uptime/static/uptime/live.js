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
 * Subscriptions (README "Live status", live-protocol.schema.json): the socket is opened with
 * ?subscription=explicit and subscribes to the monitors the page shows (every id in a hook
 * above, a list row, a fragment's data-live-monitor), and to a summary where the page has a
 * list (its counts, for the list's search) or a fragment about every monitor (the incident
 * list, which the summary's incident events keep current). Rows that come and go (a refetched
 * list, a monitor added live) change the subscription. Events come in batches.
 *
 * Reconnects with exponential backoff and jitter; each reconnect subscribes afresh and gets a
 * fresh snapshot.
 *
 * The dashboard is paginated (100 monitors a page). Rows are added live only on a list marked
 * data-live-adds-rows, i.e. one that shows every monitor; elsewhere a new monitor shows the
 * "new monitors, reload" hint instead, since it may belong on another page. The status counts
 * and the open incidents chip come from the server's summary of the list's search
 * (data-live-query), over every page.
 */
(function () {
  "use strict";

  var LABELS = {
    up: "Up", degraded: "Degraded", down: "Down", pending: "Pending", paused: "Paused",
    unknown: "Unknown",
  };
  // monitors.outcomes.UP_OUTCOMES: a degraded check counts as up (amber, not red).
  var UP_OUTCOMES = { ok: true, degraded: true };
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
  var summary = null;
  var subscribed = {};
  var subscribedToSummary = false;
  // What ends the answer to this socket's first subscription: then the page is connected and
  // its fragments are refetched for what happened while it was away.
  var awaiting = null;
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
  function refreshTimes() {
    all("time[data-relative]").forEach(function (el) {
      el.textContent = ago(el.getAttribute("datetime"));
    });
    window.uptimeDurations.refresh();
  }
  function statusLabel(m) {
    if (m.status === "pending" && m.consecutive_failures != null) {
      return "Pending (" + m.consecutive_failures +
        (m.failure_threshold ? " of " + m.failure_threshold : "") + " failed)";
    }
    if (m.status === "degraded" && m.regions && m.regions.length) {
      var down = m.regions.filter(function (dot) { return dot.status === "down"; });
      if (down.length) return "Degraded (" + regionsLabel(m.regions) + ")";
    }
    return LABELS[m.status] || m.status;
  }

  // "down in in; up in us, eu": Monitor.status_label's wording, from the region dots.
  function regionsLabel(dots) {
    var byStatus = {};
    dots.forEach(function (dot) { (byStatus[dot.status] = byStatus[dot.status] || []).push(dot.region); });
    return ["down", "pending", "degraded", "up", "stale", "unknown"].filter(function (status) {
      return byStatus[status];
    }).map(function (status) {
      return status + " in " + byStatus[status].join(", ");
    }).join("; ");
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
    // A monitor checked from several regions: a dot per region (none for one without).
    regions: function (el, m) {
      el.textContent = "";
      (m.regions || []).forEach(function (dot) {
        var i = document.createElement("i");
        i.className = "region-dot";
        i.setAttribute("data-status", dot.status);
        i.setAttribute("title", dot.region + ": " + dot.status);
        var name = document.createElement("b");
        name.textContent = dot.region;
        i.appendChild(name);
        el.appendChild(i);
      });
    },
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

  function updateSummary() {
    var container = list();
    if (!container || !summary) return;
    var totals = { total: summary.total, open_incidents: summary.open_incidents };
    Object.keys(summary.counts || {}).forEach(function (status) {
      totals[status] = summary.counts[status];
    });
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

  // uptime.web.history.Beat.state: a bead's colour.
  function beatState(check) {
    if (check.outcome === "degraded") return "degraded";
    return check.outcome === "ok" ? "up" : "down";
  }

  // One bead per check, newest on the right; the bar keeps its length.
  function addBeat(id, check) {
    hooks(id, "beats").forEach(function (bar) {
      if (bar.querySelector('[data-check-id="' + check.id + '"]')) return;
      var beat = document.createElement("i");
      beat.className = "beat";
      beat.setAttribute("data-state", beatState(check));
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
    outcome.setAttribute("data-ok", String(Boolean(UP_OUTCOMES[check.outcome])));
    outcome.setAttribute("data-outcome", check.outcome);
    outcome.textContent = labels[check.outcome] || check.outcome;
    var result = cell(row, outcome);
    if (check.region && body.hasAttribute("data-regional")) {
      var region = document.createElement("span");
      region.className = "region-tag";
      region.textContent = check.region;
      result.appendChild(document.createTextNode(" "));
      result.appendChild(region);
    }
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
        if (document.contains(el)) { swap(el, html); syncSubscription(); }
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

  // One page of a snapshot: the monitors subscribed to; "missing" (on the last page) those
  // that are gone or not this user's to see.
  function applySnapshot(event) {
    (event.monitors || []).forEach(function (m) {
      latestById[m.id] = m;
      lastCheckSeen[m.id] = m.last_checked_at ? Date.parse(m.last_checked_at) : 0;
      if (!onPage(m.id)) return;
      apply(m);
      showIncident(m.id, m.open_incident);
    });
    (event.missing || []).forEach(function (id) {
      delete latestById[id];
      var row = rowOf(id);
      if (row) row.remove();
    });
    if ((event.page || 1) === (event.pages || 1)) answered("snapshot");
  }

  function answered(kind) {
    if (awaiting !== kind) return;
    awaiting = null;
    root.setAttribute("data-live", "connected");
    refetchFor(null);
  }

  // Monitors this page shows, by id.
  function monitorsOnPage() {
    var ids = {};
    [["[data-monitor-id]", "data-monitor-id"], ["[data-monitor-row]", "data-monitor-row"],
      ["[data-live-checks]", "data-live-checks"], ["[data-live-incident]", "data-live-incident"],
      ["[data-live-monitor]", "data-live-monitor"], ["[data-live-deleted]", "data-live-deleted"],
    ].forEach(function (hook) {
      all(hook[0]).forEach(function (el) {
        var id = Number(el.getAttribute(hook[1]));
        if (id) ids[id] = true;
      });
    });
    return ids;
  }

  function wantsSummary() {
    return Boolean(list()) || all("[data-live-fragment]").some(function (el) {
      return !el.hasAttribute("data-live-monitor");
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  // Subscribe to what the page shows now and unsubscribe from what it no longer does.
  function syncSubscription() {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    var shown = monitorsOnPage();
    var added = Object.keys(shown).filter(function (id) { return !subscribed[id]; });
    var removed = Object.keys(subscribed).filter(function (id) { return !shown[id]; });
    var request = { type: "subscribe" };
    if (added.length) request.monitors = added.map(Number);
    if (!subscribedToSummary && wantsSummary()) {
      var container = list();
      request.summary = { query: (container && container.getAttribute("data-live-query")) || "" };
      subscribedToSummary = true;
    }
    if (awaiting === "subscription") {
      awaiting = request.summary ? "summary" : request.monitors ? "snapshot" : null;
      if (!awaiting) { root.setAttribute("data-live", "connected"); refetchFor(null); }
    }
    if (request.monitors || request.summary) send(request);
    if (removed.length) send({ type: "unsubscribe", monitors: removed.map(Number) });
    added.forEach(function (id) { subscribed[id] = true; });
    removed.forEach(function (id) { delete subscribed[id]; });
  }

  function handle(event) {
    if (event.type === "batch") {
      (event.events || []).forEach(handle);
      syncSubscription();
      return;
    }
    if (event.type === "snapshot") {
      applySnapshot(event);
      return;
    }
    if (event.type === "summary") {
      summary = event;
      updateSummary();
      answered("summary");
      return;
    }
    var m = event.monitor;
    if (!m) return;
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
      socket = new WebSocket(scheme + location.host + "/ws/status/?subscription=explicit");
    } catch (error) {
      socket = null;
      return retry();
    }
    socket.onopen = function () {
      attempts = 0;
      subscribed = {};
      subscribedToSummary = false;
      awaiting = "subscription";
      syncSubscription();
    };
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
