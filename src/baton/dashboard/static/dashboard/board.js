// The manager's board: live without a polling loop per widget. The same order as the
// inbox's live.js (STYLE 9): subscribe to the WebSocket first, then fetch the board, then
// re-fetch it when an event arrives (at most once a second, so a burst costs one request).
// After a reconnect it re-fetches rather than patching.
(function () {
  "use strict";
  const board = document.getElementById("board");
  const liveState = document.getElementById("live-state");
  if (!board) return;
  const MIN_GAP_MS = 1000;
  // Ages ("oldest waiting 5m") grow with time alone: one refresh of the whole fragment.
  const AGEING_MS = 30000;
  let socket = null;
  let retryMs = 500;
  let lastFetch = 0;
  let timer = null;
  let inFlight = false;
  let again = false;

  function fetchBoard() {
    timer = null;
    if (inFlight) { again = true; return; }
    inFlight = true;
    lastFetch = Date.now();
    htmx.ajax("GET", board.dataset.url, {target: "#board", swap: "innerHTML"}).finally(function () {
      inFlight = false;
      if (again) { again = false; refresh(); }
    });
  }
  // Leading and trailing: the first event is fetched at once, the next ones within a second.
  function refresh() {
    if (timer) return;
    const wait = Math.max(0, lastFetch + MIN_GAP_MS - Date.now());
    timer = setTimeout(fetchBoard, wait);
  }

  const IGNORED = new Set(["hello", "pong", "conversation.viewing", "conversation.typing"]);
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/events`);
    socket.onopen = function () {
      retryMs = 500;
      liveState.textContent = "Live";
      liveState.classList.add("on");
      refresh(); // subscribed: now fetch, so nothing that happened meanwhile is missed
    };
    socket.onmessage = function (msg) {
      let event;
      try { event = JSON.parse(msg.data); } catch (e) { return; }
      if (event.type && !IGNORED.has(event.type)) refresh();
    };
    socket.onclose = function (e) {
      liveState.classList.remove("on");
      if (e.code === 4401) { location.reload(); return; } // signed out: the login page
      liveState.textContent = "Reconnecting…";
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }
  // A manager reading an agent's day keeps it open across live refreshes (it reloads).
  let openDays = [];
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target !== board) return;
    openDays = Array.from(board.querySelectorAll("details.agent-events[open]")).map((d) => d.dataset.agent);
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target !== board) return;
    openDays.forEach(function (name) {
      const day = board.querySelector(`details.agent-events[data-agent="${CSS.escape(name)}"]`);
      if (day) day.open = true;
    });
  });
  // The tab is still open (presence: see agents.tasks.do_expire_presence), as live.js does.
  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({action: "heartbeat"}));
  }, 30000);
  setInterval(refresh, AGEING_MS);
  connect();
})();
