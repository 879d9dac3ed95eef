// Ohm dashboard: sends messages, reads the turn's server-sent events and keeps the chat,
// the drawers and the timeline current. Model and user text only ever reaches the page
// through textContent; the few HTML fragments inserted come from the server, which
// renders and sanitizes them.
"use strict";

(() => {
  const body = document.body;
  const project = body.dataset.project;
  if (!project) return;

  let thread = body.dataset.thread;
  let draft = body.dataset.draft === "true";
  const agentTitles = JSON.parse(body.dataset.agentTitles || "{}");
  const docTitles = JSON.parse(body.dataset.docTitles || "{}");
  const chatLog = document.getElementById("chat-log");
  const drawers = document.getElementById("drawers");
  const enc = encodeURIComponent;
  const projectUrl = `/projects/${enc(project)}`;
  const threadUrl = () => `${projectUrl}/threads/${enc(thread)}`;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function nearBottom() {
    return chatLog.scrollHeight - chatLog.scrollTop - chatLog.clientHeight < 80;
  }

  function keepAtBottom(wasNear) {
    if (wasNear) chatLog.scrollTop = chatLog.scrollHeight;
  }

  // Reads "event:/data:" frames from a fetch response body.
  async function* sseEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) yield JSON.parse(data);
      }
    }
  }

  // ------------------------------------------------------------------- drawers

  const pendingDrawers = new Set();
  let drawerTimer = null;

  // A freshly written artifact gets the drawer column to itself: the other drawers close.
  function openDrawer(type, flash, solo) {
    const drawer = document.getElementById(`drawer-${type}`);
    if (!drawer) return;
    if (solo) {
      drawers.querySelectorAll("details.drawer[open]").forEach((d) => {
        if (d !== drawer) d.open = false;
      });
    }
    drawer.open = true;
    if (flash) {
      drawer.classList.remove("flash");
      void drawer.offsetWidth;
      drawer.classList.add("flash");
    }
    drawer.scrollIntoView({ block: solo ? "start" : "nearest", behavior: "smooth" });
  }

  async function refreshDrawer(type) {
    const resp = await fetch(`${projectUrl}/drawers/${enc(type)}`, { credentials: "same-origin" });
    if (!resp.ok) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = (await resp.text()).trim();
    const fresh = tpl.content.querySelector("details.drawer");
    if (!fresh) return;
    const old = document.getElementById(`drawer-${type}`);
    if (old) old.replaceWith(fresh);
    else drawers.appendChild(fresh);
    openDrawer(type, true, true);
  }

  function scheduleDrawer(type) {
    pendingDrawers.add(type);
    clearTimeout(drawerTimer);
    drawerTimer = setTimeout(() => {
      const types = [...pendingDrawers];
      pendingDrawers.clear();
      types.forEach((t) => refreshDrawer(t));
    }, 120);
  }

  async function refreshSidebar() {
    const resp = await fetch(`${threadUrl()}/sidebar`, { credentials: "same-origin" });
    if (!resp.ok) return;
    const sidebar = document.getElementById("sidebar");
    const tpl = document.createElement("template");
    tpl.innerHTML = await resp.text();
    sidebar.replaceChildren(tpl.content);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-open-drawer]");
    if (!link) return;
    event.preventDefault();
    openDrawer(link.dataset.openDrawer, true);
  });

  // ---------------------------------------------------------------------- turns

  class LiveTurn {
    constructor(userText, note) {
      const wasNear = true;
      document.getElementById("chat-empty")?.remove();
      this.root = el("article", "turn live-turn");
      if (userText) {
        const user = el("div", "msg msg-user");
        user.append(el("div", "msg-who", "You"), el("div", "msg-text plain", userText));
        this.root.append(user);
      }
      this.agentBox = el("div", "msg msg-agent");
      const who = el("div", "msg-who");
      this.agentName = el("span", "agent-name", note || "Routing…");
      this.route = el("span", "route");
      who.append(this.agentName, this.route);
      this.activity = el("ul", "activity");
      this.text = el("div", "msg-text streaming");
      this.agentBox.append(who, this.activity, this.text);
      this.root.append(this.agentBox);
      this.calls = new Map();
      this.failed = false;
      this.finished = null;
      chatLog.append(this.root);
      keepAtBottom(wasNear);
    }

    activityItem(className, icon, label) {
      const item = el("li", `act ${className}`);
      item.append(el("span", "act-icon", icon), document.createTextNode(label));
      this.activity.append(item);
      return item;
    }

    handle(ev) {
      const wasNear = nearBottom();
      switch (ev.type) {
        case "turn_started":
          if (draft) {
            thread = ev.thread_id;
            draft = false;
            body.dataset.draft = "false";
            body.dataset.thread = thread;
            history.replaceState(null, "", threadUrl());
            const crumb = document.querySelector(".crumbs span:last-child");
            if (crumb) crumb.textContent = ev.message.slice(0, 80);
            const box = document.getElementById("message");
            if (box) box.placeholder = "Ask for parts, wiring, firmware, or describe a problem…";
          }
          break;
        case "agent":
          this.agentName.textContent = agentTitles[ev.agent] || ev.agent;
          this.route.textContent = `${ev.intent || "kickoff"} · ${ev.route}${ev.reason ? ` — ${ev.reason}` : ""}`;
          break;
        case "text":
          this.text.textContent += ev.text;
          break;
        case "tool_call": {
          const target = [ev.args.artifact_type, ev.args.path].filter(Boolean).join(" ");
          const item = this.activityItem("act-tool act-pending", "→", `${ev.tool} ${target}`.trim());
          this.calls.set(ev.call_id, item);
          break;
        }
        case "tool_result": {
          const item = this.calls.get(ev.call_id);
          if (item) {
            item.classList.remove("act-pending");
            item.title = ev.summary;
            if (!ev.ok) {
              item.classList.add("act-fail");
              item.firstChild.textContent = "✗";
            }
          }
          break;
        }
        case "artifact": {
          const name = docTitles[ev.artifact_type] || ev.artifact_type;
          const what = ev.deleted ? "deleted" : `v${ev.version} saved`;
          const item = el("li", "act act-artifact");
          const link = el("a");
          link.href = `#drawer-${ev.artifact_type}`;
          link.dataset.openDrawer = ev.artifact_type;
          link.append(el("span", "act-icon", "✓"), document.createTextNode(`${name}${ev.path ? ` ${ev.path}` : ""} ${what}`));
          if (ev.errors) link.append(document.createTextNode(` · ${ev.errors} check error(s)`));
          item.append(link);
          this.activity.append(item);
          scheduleDrawer(ev.artifact_type);
          break;
        }
        case "key_rotation":
          this.activityItem("act-key", "⟳", `key ${ev.from_key || "?"} → ${ev.to_key || "next key"} (${ev.reason})`);
          break;
        case "error":
          this.error(ev.message);
          if (ev.retryable && !draft) this.offerResume();
          break;
        case "done":
          this.finished = ev.result;
          this.text.classList.remove("streaming");
          this.text.classList.add("md");
          // reply_html is rendered and sanitized by the server.
          this.text.innerHTML = ev.reply_html || "";
          if (ev.result.agent && this.agentName.textContent === "Routing…") {
            this.agentName.textContent = agentTitles[ev.result.agent] || ev.result.agent;
          }
          if (ev.result.limited) {
            this.agentBox.append(el("p", "alert alert-warn small", "The specialist reached its step limit this turn."));
          }
          break;
        default:
          break;
      }
      keepAtBottom(wasNear);
    }

    offerResume() {
      // The message is saved with the thread; finishing the turn needs no retyping.
      const button = el("button", "button button-small button-primary resume-button", "Finish this turn");
      button.type = "button";
      button.addEventListener("click", async () => {
        button.disabled = true;
        const view = new LiveTurn(null, "Resuming…");
        await streamTurn(`/api/projects/${enc(project)}/threads/${enc(thread)}/resume`, {}, view);
        if (view.finished) button.remove();
        else button.disabled = false;
        await refreshSidebar();
      });
      this.agentBox.append(button);
    }

    error(message) {
      this.failed = true;
      this.text.classList.remove("streaming");
      this.agentBox.classList.add("msg-error");
      if (this.agentName.textContent === "Routing…") this.agentName.textContent = "Ohm";
      this.agentBox.append(el("p", "error-line", message));
    }
  }

  async function streamTurn(url, payload, view) {
    let resp;
    try {
      resp = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "text/event-stream",
          "X-Ohm-Client": "dashboard",
        },
        body: JSON.stringify(payload),
      });
    } catch (err) {
      view.error(`could not reach the dashboard server (${err.message})`);
      return;
    }
    if (!resp.ok) {
      let message = `${resp.status} ${resp.statusText}`;
      try {
        message = (await resp.json()).detail || message;
      } catch (_) {
        /* not JSON: keep the status line */
      }
      view.error(message);
      return;
    }
    try {
      for await (const ev of sseEvents(resp)) view.handle(ev);
    } catch (err) {
      view.error(`the stream broke off (${err.message}); reload to see what was saved`);
    }
    if (!view.finished && !view.failed) view.error("the turn ended without a result; reload to see what was saved");
  }

  // ------------------------------------------------------------------- composer

  const composer = document.getElementById("composer");
  if (composer) {
    const textarea = document.getElementById("message");
    const agent = document.getElementById("agent");
    const send = document.getElementById("send-button");
    const status = document.getElementById("composer-status");
    const idle = status.textContent;

    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });

    // Attachments: files picked or dropped are uploaded (and checked) at once; the
    // message then names them. A refused file shows its one-line reason.
    const attachInput = document.getElementById("attach-input");
    const attachList = document.getElementById("attach-list");
    let attached = [];
    const showAttached = () => {
      attachList.replaceChildren();
      attached.forEach((f, i) => {
        const item = el("li", "attach-item", `📎 ${f.name} `);
        const drop = el("button", "link-button", "remove");
        drop.type = "button";
        drop.addEventListener("click", () => {
          attached.splice(i, 1);
          showAttached();
        });
        item.append(drop);
        attachList.append(item);
      });
    };
    async function upload(files) {
      for (const file of files) {
        const form = new FormData();
        form.append("file", file, file.name);
        status.textContent = `Uploading ${file.name}…`;
        try {
          const resp = await fetch(`/api/projects/${enc(project)}/attachments`, {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-Ohm-Client": "dashboard" },
            body: form,
          });
          const data = await resp.json();
          if (!resp.ok) {
            attachList.append(el("li", "attach-error", data.detail || `${resp.status} ${resp.statusText}`));
            continue;
          }
          attached.push({ sha256: data.sha256, name: data.name });
        } catch (err) {
          attachList.append(el("li", "attach-error", `upload failed (${err.message})`));
          continue;
        }
        showAttached();
      }
      status.textContent = idle;
    }
    if (attachInput) {
      attachInput.addEventListener("change", async () => {
        await upload(Array.from(attachInput.files || []));
        attachInput.value = "";
      });
      composer.addEventListener("dragover", (event) => {
        event.preventDefault();
        composer.classList.add("dropping");
      });
      composer.addEventListener("dragleave", () => composer.classList.remove("dropping"));
      composer.addEventListener("drop", async (event) => {
        event.preventDefault();
        composer.classList.remove("dropping");
        await upload(Array.from(event.dataTransfer ? event.dataTransfer.files : []));
      });
    }

    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const message = textarea.value.trim();
      if (!message || send.disabled) return;
      textarea.value = "";
      textarea.disabled = true;
      send.disabled = true;
      status.textContent = "Working…";
      const view = new LiveTurn(message);
      const payload = { message };
      if (agent.value) payload.agent = agent.value;
      if (attached.length) {
        payload.attachments = attached;
        const note = el("p", "small muted", attached.map((f) => `📎 ${f.name}`).join("  "));
        view.root.querySelector(".msg-user")?.append(note);
        attached = [];
        showAttached();
      }
      try {
        await streamTurn(`/api/projects/${enc(project)}/threads/${enc(thread)}/turns`, payload, view);
        if (!draft) await refreshSidebar();
      } finally {
        textarea.disabled = false;
        send.disabled = false;
        status.textContent = idle;
        textarea.focus();
      }
    });
    if (!textarea.disabled) textarea.focus();
  }

  // ----------------------------------------------------------------------- fork

  const forkForm = document.getElementById("fork-form");
  if (forkForm) {
    forkForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const select = document.getElementById("fork-intent");
      const button = document.getElementById("fork-button");
      if (!select || button.disabled) return;
      button.disabled = true;
      const label = select.options[select.selectedIndex].text;
      const view = new LiveTurn(null, `Fork: ${label}`);
      const url = `${threadUrl()}/checkpoints/${enc(forkForm.dataset.checkpoint)}/fork`;
      const payload = select.value ? { intent: select.value } : {};
      await streamTurn(`/api${url}`, payload, view);
      button.disabled = false;
      if (view.finished) {
        const done = el("p", "small muted");
        const link = el("a", null, "Open the new branch");
        link.href = threadUrl();
        done.append(
          document.createTextNode("Fork saved on a new branch. "),
          link,
          document.createTextNode(" · this branch stays listed under Branches in the timeline."),
        );
        view.agentBox.append(done);
      }
    });
  }

  chatLog.scrollTop = chatLog.scrollHeight;

  // Open the drawer named in the address (#drawer-bom), if any.
  if (location.hash.startsWith("#drawer-")) openDrawer(location.hash.slice(8), false);
})();
