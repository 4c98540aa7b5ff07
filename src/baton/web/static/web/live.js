// Baton inbox: live updates, collision hints, composer helpers and keyboard shortcuts.
// Order of the live part (STYLE 9): subscribe to the WebSocket first, then (re)fetch the
// state over HTTP, then apply events. After a reconnect we re-fetch instead of patching.
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const liveState = $("#live-state");
  const layout = $("#layout");
  const me = layout ? layout.dataset.user : "";
  const VIEWING_EVERY_MS = 15000;
  const VIEWING_TTL_MS = 40000;
  const TYPING_EVERY_MS = 2500;
  const TYPING_TTL_MS = 6000;
  let socket = null;
  let retryMs = 500;

  // ------------------------------------------------------------------ state helpers
  function openConversation() {
    return $(".conversation[data-conversation-id]");
  }
  function openConversationId() {
    const el = openConversation();
    return el ? el.dataset.conversationId : null;
  }
  // The view the agent chose last; a live refresh must fetch that one, even if it fires
  // before the response to the click has arrived.
  let activeView = null;
  function currentView() {
    if (activeView) return activeView;
    const items = $("#conversation-list .items");
    return items ? items.dataset.view : "";
  }
  document.addEventListener("click", function (e) {
    const link = e.target.closest && e.target.closest("#views a[data-view]");
    if (link) activeView = link.dataset.view;
  }, true);
  function send(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  // ------------------------------------------------------------------ fetching
  let listTimer = null;
  function refreshList() {
    clearTimeout(listTimer);
    // Coalesce a burst of events (an album, many status ticks) into one fetch.
    listTimer = setTimeout(function () {
      // A list filtered by a board link keeps its filters, until the agent picks a view.
      const items = $("#conversation-list .items");
      const filters = !activeView && items && items.dataset.filters ? items.dataset.filters : "";
      const params = new URLSearchParams(filters);
      params.set("view", currentView());
      const id = openConversationId();
      if (id) params.set("selected", id);
      htmx.ajax("GET", "/?" + params.toString(), {target: "#conversation-list", swap: "innerHTML"});
    }, 250);
  }
  let timelineTimer = null;
  function refreshTimeline() {
    clearTimeout(timelineTimer);
    timelineTimer = setTimeout(function () {
      if (openConversationId()) document.body.dispatchEvent(new Event("baton:refresh-timeline"));
    }, 150);
  }
  function reloadConversation() {
    const id = openConversationId();
    if (!id) return;
    saveDraft();
    htmx.ajax("GET", `/c/${id}/?view=${encodeURIComponent(currentView())}`, {
      target: "#conversation-pane", swap: "innerHTML",
    });
  }
  let slaTimer = null;
  function hasClock(sla) {
    return !!sla && ["first_response", "next_response", "resolution"].some(
      (m) => sla[m] && sla[m].state !== "none");
  }
  // Only the header's clocks are re-read: the composer, the draft and the scroll stay.
  function refreshSlaClocks(event) {
    if (!$("#sla-clocks")) {
      // No clock shown yet: nothing to do unless one now has a target; then give the
      // fragment a place under the routing facts.
      const facts = $(".conversation .conv-title .routing-facts");
      if (!hasClock(event.sla) || !facts) return;
      const slot = document.createElement("div");
      slot.id = "sla-clocks";
      slot.hidden = true;
      facts.after(slot);
    }
    clearTimeout(slaTimer);
    slaTimer = setTimeout(function () {
      const id = openConversationId();
      if (!id || !$("#sla-clocks")) return;
      htmx.ajax("GET", `/c/${id}/?part=sla`, {target: "#sla-clocks", swap: "outerHTML"});
    }, 150);
  }
  function refreshAll() {
    refreshList();
    if (openConversationId()) reloadConversation();
  }

  // ------------------------------------------------------------------ the socket
  function announceOpenConversation() {
    const id = openConversationId();
    if (!id) return;
    send({action: "watch", conversation_id: id});
    if (!document.hidden) send({action: "viewing", conversation_id: id});
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/events`);
    socket.onopen = function () {
      retryMs = 500;
      liveState.textContent = "Live";
      liveState.classList.add("on");
      announceOpenConversation();
      // Subscribed: now fetch, so nothing that happened while we were away is missed.
      refreshAll();
    };
    socket.onmessage = function (msg) {
      let event;
      try { event = JSON.parse(msg.data); } catch (e) { return; }
      handleEvent(event);
    };
    socket.onclose = function (e) {
      if (e.code === 4401) {
        // Signed out, deactivated or password changed: the server refuses this session,
        // so reconnecting is pointless; reloading lands on the login page.
        liveState.textContent = "Signed out";
        liveState.classList.remove("on");
        location.reload();
        return;
      }
      liveState.textContent = "Reconnecting…";
      liveState.classList.remove("on");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
    window.batonSocket = socket;
  }

  function handleEvent(event) {
    if (!event.type || event.type === "hello" || event.type === "pong") return;
    if (event.type === "access.changed") {
      // Teams or role changed: the server re-scoped this socket; show what we may see now.
      refreshAll();
      return;
    }
    const openId = openConversationId();
    const convId = String(event.conversation_id || (event.conversation && event.conversation.id) || "");
    if (event.type === "conversation.viewing" || event.type === "conversation.typing") {
      if (event.user && event.user.username !== me && convId === openId) noteCollaborator(event);
      return;
    }
    if (event.type === "presence.changed") return;
    // The server chose who hears of a warning or a breach (owner, team managers, admins).
    if (event.type === "sla.alert") showSlaAlert(event);
    refreshList();
    if (!openId || convId !== openId) return;
    if (paneBusy) {
      // Our own action on this conversation is in flight and its event may beat the
      // response: decide once the pane shows the response, or we would reload it twice.
      deferred.push(event);
      return;
    }
    applyToOpenConversation(event);
  }

  // Requests in flight that will replace the conversation pane. Counted from the XHR
  // itself: htmx's afterRequest event fires on the button that sent it, which the swap has
  // already removed from the page, so it never bubbles up to us.
  let paneBusy = 0;
  const deferred = [];
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (!e.detail.target || e.detail.target.id !== "conversation-pane") return;
    paneBusy += 1;
    e.detail.xhr.addEventListener("loadend", function () {
      setTimeout(function () {
        paneBusy = Math.max(0, paneBusy - 1);
        if (paneBusy) return;
        const id = openConversationId();
        deferred.splice(0).forEach(function (event) {
          const convId = String(event.conversation_id || (event.conversation && event.conversation.id) || "");
          if (convId === id) applyToOpenConversation(event);
        });
      }, 0);
    });
  });

  function applyToOpenConversation(event) {
    if (event.type === "conversation.updated" || event.type.startsWith("handoff.")) {
      const pane = openConversation();
      const c = event.conversation;
      const owner = c && c.owner ? c.owner.username : "";
      // Ownership or status changed: the composer and actions change, so reload the pane.
      if (!c || owner !== pane.dataset.owner || c.status !== pane.dataset.status
          || event.type.startsWith("handoff.")) {
        reloadConversation();
      } else {
        refreshTimeline();
      }
    } else if (event.type === "sla.changed") {
      refreshSlaClocks(event);
    } else if (event.type === "sla.alert") {
      refreshTimeline(); // its warning or breach line, with what the policy did
    } else if (event.type.startsWith("message.")) {
      if (event.type === "message.created" && event.message && event.message.direction === "inbound"
          && openConversation().dataset.windowOpen === "0") {
        reloadConversation(); // the customer wrote: the 24-hour window is open again
      } else {
        refreshTimeline();
      }
    }
  }

  // ------------------------------------------------------------------ viewing / typing
  const collaborators = new Map(); // username -> {name, viewingUntil, typingUntil}
  function noteCollaborator(event) {
    const u = event.user.username;
    const entry = collaborators.get(u) || {name: event.user.name || u, viewingUntil: 0, typingUntil: 0};
    const now = Date.now();
    entry.viewingUntil = now + VIEWING_TTL_MS;
    if (event.type === "conversation.typing") entry.typingUntil = now + TYPING_TTL_MS;
    if (event.stopped) entry.viewingUntil = 0;
    collaborators.set(u, entry);
    renderCollaborators();
  }
  function renderCollaborators() {
    const box = $("#collab");
    if (!box) return;
    const now = Date.now();
    const viewing = [];
    const typing = [];
    collaborators.forEach(function (c, u) {
      if (c.viewingUntil < now && c.typingUntil < now) { collaborators.delete(u); return; }
      if (c.typingUntil >= now) typing.push(c.name); else viewing.push(c.name);
    });
    const parts = viewing.map((n) => `<span class="viewer">${escapeHtml(n)} is viewing</span>`);
    typing.forEach((n) => parts.push(`<span class="viewer typing">${escapeHtml(n)} is typing…</span>`));
    box.innerHTML = parts.join("");
  }
  setInterval(renderCollaborators, 1000);
  setInterval(function () {
    const id = openConversationId();
    if (id && !document.hidden) send({action: "viewing", conversation_id: id});
  }, VIEWING_EVERY_MS);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) announceOpenConversation();
  });
  let lastTyping = 0;
  document.addEventListener("input", function (e) {
    if (!e.target.closest || !e.target.closest("#composer")) return;
    saveDraft();
    const id = openConversationId();
    if (!id || e.target.name !== "text") return;
    const now = Date.now();
    if (now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      send({action: "typing", conversation_id: id});
    }
  });

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  // ------------------------------------------------------------------ drafts
  function draftKey() { return "baton-draft-" + openConversationId(); }
  function saveDraft() {
    const ta = $("#composer textarea[name=text]");
    if (ta && openConversationId()) sessionStorage.setItem(draftKey(), ta.value);
  }
  function restoreDraft() {
    const ta = $("#composer textarea[name=text]");
    if (!ta || !openConversationId()) return;
    const saved = sessionStorage.getItem(draftKey());
    if (saved && !ta.value) ta.value = saved;
  }
  let sentFrom = null;
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt && e.detail.elt.id === "composer") sentFrom = draftKey();
  });
  function settleDraft() {
    // A send that went through clears the draft; a refused one keeps it for another try.
    if (sentFrom && !$(".conversation .banner.error")) sessionStorage.removeItem(sentFrom);
    sentFrom = null;
  }

  // ------------------------------------------------------------------ window countdown
  function formatLeft(ms) {
    const m = Math.max(0, Math.floor(ms / 60000));
    if (m < 60) return `${m}m`;
    const h = Math.floor(m / 60);
    return h < 10 && m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  }
  function tickCountdown() {
    const pane = openConversation();
    if (!pane || !pane.dataset.windowEnds || pane.dataset.windowOpen !== "1") return;
    const left = new Date(pane.dataset.windowEnds).getTime() - Date.now();
    if (left <= 0) { reloadConversation(); return; } // closed: the composer switches to templates
    $$("[data-countdown]", pane).forEach((el) => { el.textContent = formatLeft(left); });
    const pill = $("#window-pill");
    if (pill) pill.classList.toggle("closing", left < 3600000);
  }
  setInterval(tickCountdown, 20000);

  // ------------------------------------------------------------------ SLA clocks
  // Every badge and header clock counts down from its ISO due time, on one shared 1 s
  // timer (no request per tick). Colours change with the server's state (sla.changed):
  // the scan records a warning or breach, the list and header re-render.
  function formatSlaDuration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) return `${seconds}s`;
    const m = Math.floor(seconds / 60);
    if (m < 60) return `${m}m`;
    const h = Math.floor(m / 60);
    if (h < 24) return h < 10 && m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
    return `${Math.floor(h / 24)}d`;
  }
  function formatSla(dueMs, nowMs) {
    const seconds = (dueMs - nowMs) / 1000;
    return seconds > 0 ? `${formatSlaDuration(seconds)} left` : `${formatSlaDuration(-seconds)} over`;
  }
  function tickSla() {
    const now = Date.now();
    $$("[data-sla-due]").forEach(function (el) {
      const due = Date.parse(el.dataset.slaDue);
      if (!isNaN(due)) el.textContent = formatSla(due, now);
    });
  }
  setInterval(tickSla, 1000);

  // A warning or breach for me (owner) or my team (manager): a notice that stays until
  // dismissed or opened. Its text is written by Baton (sla.escalation); shown as text.
  function showSlaAlert(event) {
    const box = $("#toasts");
    if (!box) return;
    const toast = document.createElement("div");
    toast.className = `toast sla-toast sla-${event.kind}`;
    toast.setAttribute("role", "alert");
    toast.dataset.conversationId = String(event.conversation_id);
    const title = document.createElement("strong");
    title.textContent = event.kind === "breach" ? "SLA breached" : "SLA warning";
    const text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = event.text;
    const open = document.createElement("a");
    open.href = `/c/${event.conversation_id}/`;
    open.className = "toast-open";
    open.textContent = "Open";
    open.addEventListener("click", function (e) {
      e.preventDefault();
      htmx.ajax("GET", `/c/${event.conversation_id}/?view=${encodeURIComponent(currentView())}`,
        {target: "#conversation-pane", swap: "innerHTML"});
      history.pushState({}, "", `/c/${event.conversation_id}/`);
      toast.remove();
    });
    const close = document.createElement("button");
    close.type = "button";
    close.className = "icon toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.append(title, text, open, close);
    box.prepend(toast);
    // Keep the last few: a burst of breaches must not cover the screen.
    $$(".toast", box).slice(5).forEach((el) => el.remove());
  }

  // ------------------------------------------------------------------ composer
  function composer() { return $("#composer"); }
  function setupComposer() {
    const form = composer();
    if (!form) return;
    const mode = () => (form.querySelector("input[name=mode]:checked") || {}).value;
    const applyMode = function () {
      const note = mode() === "note";
      form.classList.toggle("note-mode", note);
      const ta = form.querySelector(".reply-area textarea");
      if (ta) ta.placeholder = note ? "Internal note — only your team sees it" : "Write a reply…  Type / for canned responses";
      const send = form.querySelector("button.send");
      const templateArea = form.querySelector(".template-picker");
      if (templateArea) {
        // Window closed: notes are still free text; replies must be a template.
        const noteOnly = form.querySelector(".note-only");
        noteOnly.hidden = !note;
        noteOnly.querySelector("textarea").disabled = !note;
        templateArea.hidden = note;
        $$("select, input", templateArea).forEach((el) => { el.disabled = note; });
        send.textContent = note ? "Add note" : "Send template";
      } else if (send) {
        send.textContent = note ? "Add note" : "Send";
      }
      const attach = form.querySelector(".attach");
      if (attach) attach.hidden = note;
    };
    $$("input[name=mode]", form).forEach((r) => r.addEventListener("change", applyMode));
    applyMode();
    const file = form.querySelector("input[type=file]");
    if (file) file.addEventListener("change", function () {
      form.querySelector(".file-name").textContent = file.files.length ? file.files[0].name : "";
    });
    const select = form.querySelector("select[name=template_id]");
    if (select) {
      const renderParams = function () {
        const opt = select.selectedOptions[0];
        const box = form.querySelector(".template-params");
        const n = opt && opt.dataset.params ? parseInt(opt.dataset.params, 10) : 0;
        box.innerHTML = "";
        for (let i = 1; i <= n; i++) {
          const label = document.createElement("label");
          label.innerHTML = `Parameter {{${i}}} <input name="template_param" required autocomplete="off">`;
          box.appendChild(label);
        }
        const preview = function () {
          let body = opt && opt.dataset.body ? opt.dataset.body : "";
          $$("input[name=template_param]", box).forEach(function (input, idx) {
            body = body.split(`{{${idx + 1}}}`).join(input.value || `{{${idx + 1}}}`);
          });
          form.querySelector(".template-preview").textContent = body ? "Preview: " + body : "";
        };
        box.addEventListener("input", preview);
        preview();
      };
      select.addEventListener("change", renderParams);
      renderParams();
    }
    restoreDraft();
  }

  // Canned responses: typing "/" at the start of a word opens the menu.
  let cannedIndex = 0;
  function cannedData() {
    const el = $("#composer .canned-data");
    try { return el ? JSON.parse(el.textContent) : []; } catch (e) { return []; }
  }
  function cannedQuery(ta) {
    const upto = ta.value.slice(0, ta.selectionStart);
    const m = upto.match(/(^|\s)\/([\w-]*)$/);
    return m ? m[2].toLowerCase() : null;
  }
  function updateCanned() {
    const ta = $("#composer .reply-area textarea");
    const menu = $("#composer .canned-menu");
    if (!ta || !menu) return;
    const q = cannedQuery(ta);
    if (q === null) { menu.hidden = true; return; }
    const matches = cannedData().filter((c) => c.shortcut.toLowerCase().startsWith(q) || c.title.toLowerCase().includes(q)).slice(0, 6);
    if (!matches.length) { menu.hidden = true; return; }
    cannedIndex = Math.min(cannedIndex, matches.length - 1);
    menu.innerHTML = matches.map((c, i) => `<div class="canned-option" role="option" data-shortcut="${escapeHtml(c.shortcut)}" aria-selected="${i === cannedIndex}"><span class="sc">/${escapeHtml(c.shortcut)} <span class="muted">· ${escapeHtml(c.title)}</span></span><span class="tx">${escapeHtml(c.text)}</span></div>`).join("");
    menu.hidden = false;
  }
  function insertCanned(shortcut) {
    const ta = $("#composer .reply-area textarea");
    const item = cannedData().find((c) => c.shortcut === shortcut);
    if (!ta || !item) return;
    const upto = ta.value.slice(0, ta.selectionStart);
    const start = upto.lastIndexOf("/");
    ta.value = ta.value.slice(0, start) + item.text + ta.value.slice(ta.selectionStart);
    ta.selectionStart = ta.selectionEnd = start + item.text.length;
    $("#composer .canned-menu").hidden = true;
    ta.focus();
    saveDraft();
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("#composer .reply-area textarea")) { cannedIndex = 0; updateCanned(); }
  });
  document.addEventListener("mousedown", function (e) {
    const opt = e.target.closest && e.target.closest(".canned-option");
    if (opt) { e.preventDefault(); insertCanned(opt.dataset.shortcut); }
  });

  // Reply to a specific message.
  document.addEventListener("click", function (e) {
    const btn = e.target.closest && e.target.closest("[data-reply-to]");
    if (btn) {
      const form = composer();
      if (!form) return;
      const msg = btn.closest(".msg");
      const quote = form.querySelector(".reply-quote");
      form.querySelector("input[name=reply_to]").value = btn.dataset.replyTo;
      const text = msg.querySelector("p, .choice, .location strong, .file strong");
      quote.querySelector(".quote-text").textContent = "Replying to: " + (text ? text.textContent.trim().slice(0, 90) : "a message");
      quote.hidden = false;
      const ta = form.querySelector("textarea[name=text]");
      if (ta) ta.focus();
      return;
    }
    if (e.target.closest && e.target.closest("[data-clear-reply]")) {
      const form = composer();
      form.querySelector("input[name=reply_to]").value = "";
      form.querySelector(".reply-quote").hidden = true;
      return;
    }
    const opener = e.target.closest && e.target.closest("[data-open-dialog]");
    if (opener) { openDialog(opener.dataset.openDialog); return; }
    const closer = e.target.closest && e.target.closest("[data-close-dialog]");
    if (closer) { closer.closest("dialog").close(); return; }
    if (e.target.closest && e.target.closest(".toggle-contact")) {
      openConversation().classList.toggle("show-contact");
      return;
    }
    const alertRow = e.target.closest && e.target.closest("#alerts .alert-row");
    if (alertRow) {
      // htmx opens the conversation and pushes its URL: the menu has done its job, and
      // must not be reopened by the next live refresh of the list either.
      alertsOpen = false;
      alertRow.closest("details.menu").open = false;
      return;
    }
    // Close open menus when clicking elsewhere.
    $$("details.menu[open]").forEach(function (d) { if (!d.contains(e.target)) d.open = false; });
  });
  function openDialog(id) {
    const dialog = document.getElementById(id);
    if (dialog && !dialog.open) {
      $$("details.menu[open]").forEach((d) => { d.open = false; });
      dialog.showModal();
      const first = dialog.querySelector("select, input, textarea, button");
      if (first) first.focus();
    }
  }

  // ------------------------------------------------------------------ keyboard
  function isTyping(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }
  function moveSelection(step) {
    const items = $$("#conversation-list .conv-item");
    if (!items.length) return;
    const id = openConversationId();
    let index = items.findIndex((el) => el.dataset.conversationId === id);
    index = index === -1 ? (step > 0 ? 0 : items.length - 1) : Math.min(Math.max(index + step, 0), items.length - 1);
    items[index].click();
    items[index].scrollIntoView({block: "nearest"});
  }
  // Switch the composer to reply or note mode and put the cursor in it. Outside the
  // 24-hour window "reply" means the template picker.
  function focusComposer(mode) {
    const radio = $(`#composer input[name=mode][value=${mode}]`);
    if (radio) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change"));
      const target = $("#composer textarea[name=text]:not([disabled])") || $("#composer select[name=template_id]:not([disabled])");
      if (target) target.focus();
    } else if (mode === "note") {
      const input = $(".note-form input[name=text]"); // someone else's conversation
      if (input) input.focus();
    }
  }
  function clickAction(name) {
    const btn = $(`.conversation [data-action="${name}"]`);
    if (btn) btn.click();
  }
  function goToView(view) {
    const link = $(`#views [data-view="${view}"]`);
    if (link) link.click();
  }
  function cannedMenu() {
    const menu = $("#composer .canned-menu");
    return menu && !menu.hidden ? menu : null;
  }
  function moveCanned(step) {
    const count = $$(".canned-option", cannedMenu()).length;
    cannedIndex = (cannedIndex + step + count) % count;
    updateCanned();
  }
  function insertChosenCanned() {
    insertCanned($$(".canned-option", cannedMenu())[cannedIndex].dataset.shortcut);
  }

  // Every shortcut, in the order the help (?) lists them. The help is rendered from this
  // table and the key handler dispatches through it, so the two cannot disagree.
  //   combos: alternatives; each is keys pressed in turn ("g m"), or a chord ("Ctrl+Enter").
  //   where:  "page" (not typing, no dialog open; the default), "composer" (in the
  //           composer), "canned" (the canned-responses menu is open), "typing" (in any
  //           field), "dialog" (a dialog is open).
  //   run:    what it does; none when the browser or the composer's typing does it.
  const SHORTCUTS = [
    {combos: ["j"], help: "Next conversation", run: () => moveSelection(1)},
    {combos: ["k"], help: "Previous conversation", run: () => moveSelection(-1)},
    {combos: ["r"], help: "Reply (focus the composer)", run: () => focusComposer("reply")},
    {combos: ["n"], help: "Write an internal note", run: () => focusComposer("note")},
    {combos: ["c"], help: "Claim", run: () => clickAction("claim")},
    {combos: ["h"], help: "Hand off", run: () => clickAction("handoff")},
    {combos: ["e"], help: "Resolve", run: () => clickAction("resolve")},
    {combos: ["g m"], help: "Go to Mine", run: () => goToView("mine")},
    {combos: ["g u"], help: "Go to Unassigned", run: () => goToView("unassigned")},
    {combos: ["g t"], help: "Go to Team", run: () => goToView("team")},
    {combos: ["g h"], help: "Go to Handoffs for me", run: () => goToView("handoffs")},
    {combos: ["g a"], help: "Go to All (managers)", run: () => goToView("all")},
    {combos: ["?"], help: "These shortcuts", run: () => openDialog("shortcuts-help")},
    {combos: ["Ctrl+Enter"], where: "composer", help: "Send (in the composer)",
     run: () => htmx.trigger(composer(), "submit")},
    {combos: ["/"], where: "composer", help: "Canned responses (type / in the composer)"},
    {combos: ["ArrowDown", "ArrowUp"], where: "canned", help: "Choose a canned response",
     run: (e) => moveCanned(e.key === "ArrowDown" ? 1 : -1)},
    {combos: ["Enter", "Tab"], where: "canned", help: "Insert the chosen canned response",
     run: insertChosenCanned},
    {combos: ["Escape"], where: "canned", help: "Close the canned responses",
     run: () => { cannedMenu().hidden = true; }},
    // keepDefault: in a dialog's field, Esc also closes the dialog (the browser does).
    {combos: ["Escape"], where: "typing", help: "Leave the composer (or any field)",
     run: (e) => e.target.blur(), keepDefault: true},
    {combos: ["Escape"], where: "dialog", help: "Close the dialog"},
  ];
  const KEY_LABELS = {Escape: "Esc", ArrowDown: "↓", ArrowUp: "↑"};

  function strokesOf(combo) {
    return combo.split(" ").map(function (stroke) {
      const parts = stroke.split("+");
      return {key: parts[parts.length - 1], ctrl: parts.includes("Ctrl")};
    });
  }
  function strokeMatches(stroke, pressed) {
    return pressed.key === stroke.key && stroke.ctrl === pressed.ctrl;
  }
  // Keys of a sequence pressed so far ("g" of "g m"); forgotten after a pause.
  let pendingKeys = [];
  let pendingTimer = null;
  // Run the shortcut of ``where`` that the keys pressed so far complete. True when the key
  // was taken (a shortcut ran, or it starts a sequence).
  function dispatchShortcut(where, e) {
    const pending = where === "page" ? pendingKeys : [];
    const pressed = pending.concat([{key: e.key, ctrl: e.ctrlKey || e.metaKey}]);
    let startsOne = false;
    for (const shortcut of SHORTCUTS) {
      if ((shortcut.where || "page") !== where || !shortcut.run) continue;
      for (const combo of shortcut.combos) {
        const strokes = strokesOf(combo);
        if (strokes.length < pressed.length || !pressed.every((p, i) => strokeMatches(strokes[i], p))) continue;
        if (strokes.length > pressed.length) { startsOne = true; continue; }
        pendingKeys = [];
        if (!shortcut.keepDefault) e.preventDefault();
        shortcut.run(e);
        return true;
      }
    }
    if (where !== "page") return false;
    clearTimeout(pendingTimer);
    // A key that continues no sequence ends it, and is not read on its own (as before).
    pendingKeys = startsOne ? pressed : [];
    if (startsOne) {
      e.preventDefault();
      pendingTimer = setTimeout(() => { pendingKeys = []; }, 1200);
    }
    return startsOne || pressed.length > 1;
  }

  function renderShortcutHelp() {
    const list = $("#shortcuts-help .shortcuts");
    if (!list) return;
    const label = (key) => `<kbd>${escapeHtml(KEY_LABELS[key] || key)}</kbd>`;
    list.innerHTML = SHORTCUTS.map(function (shortcut) {
      const keys = shortcut.combos.map((combo) => combo.split(" ").map(
        (stroke) => stroke.split("+").map(label).join(" + ")).join(" then ")).join(" / ");
      return `<dt data-combos="${escapeHtml(shortcut.combos.join(","))}" data-where="${shortcut.where || "page"}">${keys}</dt>`
        + `<dd>${escapeHtml(shortcut.help)}</dd>`;
    }).join("");
  }
  renderShortcutHelp();

  document.addEventListener("keydown", function (e) {
    const target = e.target;
    if (target.closest && target.closest("#composer") && (e.ctrlKey || e.metaKey)) {
      if (dispatchShortcut("composer", e)) return;
    }
    if (cannedMenu() && target.matches && target.matches("#composer .reply-area textarea")) {
      if (dispatchShortcut("canned", e)) return;
    }
    if (isTyping(target)) {
      dispatchShortcut("typing", e);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || $("dialog[open]")) return;
    dispatchShortcut("page", e);
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
  // Heartbeat: this tab is still open (the server marks agents offline when every tab has
  // been silent for a while, even if the server that held the socket died).
  setInterval(function () {
    if (window.batonSocket && window.batonSocket.readyState === 1) {
      window.batonSocket.send(JSON.stringify({action: "heartbeat"}));
    }
  }, 30000);

  // ------------------------------------------------------------------ after swaps
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    // Two list requests can cross (a live refresh and a click on another view): never let
    // the answer for a view the agent has left replace the one they chose.
    if (e.detail.target && e.detail.target.id === "conversation-list" && activeView
        && !e.detail.serverResponse.includes(`data-view="${activeView}"`)) {
      e.detail.shouldSwap = false;
      return;
    }
    if (e.detail.target && e.detail.target.id === "timeline") {
      const tl = e.detail.target;
      tl.dataset.stick = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 80 ? "1" : "0";
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    const id = e.target.id;
    if (id === "conversation-list" && alertsOpen) {
      const menu = $("#alerts details");
      if (menu) menu.open = true;
    }
    if (id === "conversation-pane") {
      const openId = openConversationId();
      document.body.classList.toggle("has-conversation", !!openId);
      collaborators.clear();
      renderCollaborators();
      $$("#conversation-list .conv-item").forEach(function (el) {
        const on = el.dataset.conversationId === openId;
        el.classList.toggle("selected", on);
        if (on) el.setAttribute("aria-current", "true"); else el.removeAttribute("aria-current");
      });
      announceOpenConversation();
      settleDraft();
      setupComposer();
      const contact = openConversation();
      if (contact) document.title = `${$(".conv-title h2").textContent} · Inbox · Baton`;
    }
    if (id === "timeline" || id === "conversation-pane") {
      const tl = $("#timeline");
      if (tl && (id === "conversation-pane" || tl.dataset.stick !== "0")) tl.scrollTop = tl.scrollHeight;
    }
  });
  // The alerts menu is re-rendered with every list refresh: keep it open if it was.
  let alertsOpen = false;
  document.body.addEventListener("htmx:oobBeforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "alerts") alertsOpen = !!$("#alerts details[open]");
  });
  document.body.addEventListener("htmx:oobAfterSwap", function () {
    const menu = $("#alerts details");
    if (alertsOpen && menu) menu.open = true;
  });
  window.addEventListener("popstate", function () { document.body.classList.toggle("has-conversation", location.pathname.startsWith("/c/")); });

  // htmx wires up swapped-in buttons only when the swap settles (~20 ms later); until then a
  // click does nothing. Mark the conversation ready then, for people's scripts and tests.
  htmx.onLoad(function (elt) {
    const pane = elt.matches && elt.matches(".conversation") ? elt : elt.querySelector && elt.querySelector(".conversation");
    if (pane) pane.dataset.ready = "1";
  });

  setupComposer();
  const tl = $("#timeline");
  if (tl) tl.scrollTop = tl.scrollHeight;
  connect();
})();
