// Live updates: subscribe to the WebSocket first, then (re)fetch state, then apply events.
(function () {
  "use strict";
  const state = document.getElementById("live-state");
  let retryMs = 500;

  function openConversationId() {
    const el = document.querySelector(".conversation[data-conversation-id]");
    return el ? el.dataset.conversationId : null;
  }

  function refreshAll() {
    document.body.dispatchEvent(new Event("baton:refresh-list"));
    if (openConversationId()) document.body.dispatchEvent(new Event("baton:refresh-timeline"));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events`);
    socket.onopen = function () {
      retryMs = 500;
      state.textContent = "live";
      state.classList.add("on");
      const id = openConversationId();
      if (id) socket.send(JSON.stringify({action: "watch", conversation_id: id}));
      // After (re)connecting, fetch state instead of trusting what we missed.
      refreshAll();
    };
    socket.onmessage = function (msg) {
      const event = JSON.parse(msg.data);
      if (!event.type || event.type === "hello" || event.type === "pong") return;
      document.body.dispatchEvent(new Event("baton:refresh-list"));
      const id = openConversationId();
      const convId = event.conversation_id || (event.conversation && event.conversation.id);
      if (id && String(convId) === String(id)) {
        document.body.dispatchEvent(new Event("baton:refresh-timeline"));
      }
    };
    socket.onclose = function () {
      state.textContent = "reconnecting…";
      state.classList.remove("on");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
    window.batonSocket = socket;
  }

  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "conversation-pane" && window.batonSocket && window.batonSocket.readyState === 1) {
      const id = openConversationId();
      if (id) window.batonSocket.send(JSON.stringify({action: "watch", conversation_id: id}));
    }
    if (e.target.id === "timeline" || e.target.id === "conversation-pane") {
      const tl = document.getElementById("timeline");
      if (tl) tl.scrollTop = tl.scrollHeight;
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.name === "text") {
      e.preventDefault();
      htmx.trigger(e.target.form, "submit");
    }
  });

  // Presence: activity pings keep an available agent from being marked away (the server
  // records at most one per 30 s; see agents.actions.do_record_activity).
  let lastPing = 0;
  function activity() {
    const now = Date.now();
    if (now - lastPing < 30000 || !window.batonSocket || window.batonSocket.readyState !== 1) return;
    lastPing = now;
    window.batonSocket.send(JSON.stringify({action: "ping"}));
  }
  ["keydown", "pointerdown", "focus"].forEach(function (name) {
    window.addEventListener(name, activity, {passive: true});
  });

  connect();
})();
