// Finchstream chat page: plain JS, no build step. Talks to the OpenAI-compatible endpoint with
// stream=true and keeps the chat in one server-side conversation (X-Conversation-Id), so each turn
// sends the whole history but the server only ingests the new message. Regenerate and Edit resend
// a shorter or changed history: the server goes back to the last message both agree on (a rewind
// to a turn checkpoint, no recomputation) and continues from there.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log"), input = $("input"), send = $("send"), stop = $("stop"), status = $("status");
  const regenerate = $("regenerate");
  const apiKey = $("api-key");
  apiKey.value = localStorage.getItem("finchstream.apiKey") || "";
  apiKey.addEventListener("change", () => { localStorage.setItem("finchstream.apiKey", apiKey.value); loadModel(); });

  let model = null;
  let conversationId = newId();
  let history = [];          // [{role, content}] exactly as the server holds it
  let controller = null;     // AbortController of the running request
  let editing = -1;          // history index of the user message being edited, or -1

  function newId() {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function headers() {
    const h = { "Content-Type": "application/json" };
    if (apiKey.value) h["Authorization"] = "Bearer " + apiKey.value;
    return h;
  }

  // A message bubble; index is its place in the history (absent for errors).
  function bubble(kind, text, index) {
    const div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = text;
    if (index !== undefined) div.dataset.index = index;
    log.appendChild(div);
    if (kind === "user") {
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "edit";
      edit.textContent = "Edit";
      edit.title = "Change this message and continue from it";
      edit.dataset.index = index;
      edit.addEventListener("click", () => startEdit(index));
      log.appendChild(edit);
    }
    log.scrollTop = log.scrollHeight;
    return div;
  }

  // Removes the bubbles (and their buttons) of history[index] and everything after them.
  function truncateLog(index) {
    const nodes = Array.from(log.children);
    const at = nodes.findIndex((n) => n.dataset.index !== undefined && Number(n.dataset.index) >= index);
    if (at >= 0) nodes.slice(at).forEach((n) => n.remove());
  }

  function refreshButtons() {
    const busy = controller !== null;
    send.disabled = busy; stop.disabled = !busy;
    regenerate.disabled = busy || history.length === 0 || history[history.length - 1].role !== "assistant";
    log.querySelectorAll("button.edit").forEach((b) => { b.disabled = busy; });
  }

  function startEdit(index) {
    if (controller) return;
    editing = index;
    input.value = history[index].content;
    status.textContent = "editing message " + (index + 1) + ": Send replaces it and what follows";
    input.focus();
  }

  async function errorText(res) {
    try {
      const body = await res.json();
      return (body.error && (body.error.message || body.error.code)) || res.statusText;
    } catch (e) {
      return res.status + " " + res.statusText;
    }
  }

  async function loadModel() {
    try {
      const res = await fetch("/v1/models", { headers: headers() });
      if (!res.ok) { $("model").textContent = "models: " + (await errorText(res)); return; }
      const body = await res.json();
      model = body.data[0].id;
      const about = body.data[0].description;
      $("model").textContent = "model " + model + (about ? " — " + about : "");
    } catch (e) {
      $("model").textContent = "cannot reach the server: " + e;
    }
  }

  // Reads an SSE body and calls onData with each data payload.
  async function readEvents(res, onData) {
    const reader = res.body.getReader();
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
        const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (data) onData(data);
      }
    }
  }

  async function complete(messages, reply) {
    const body = {
      model, messages, stream: true, stream_options: { include_usage: true },
      max_tokens: Number($("max-tokens").value) || 200,
      temperature: Number($("temperature").value),
    };
    const started = performance.now();
    const res = await fetch("/v1/chat/completions", {
      method: "POST", headers: { ...headers(), "X-Conversation-Id": conversationId },
      body: JSON.stringify(body), signal: controller.signal,
    });
    if (!res.ok) {
      const err = new Error(await errorText(res));
      err.status = res.status;
      throw err;
    }
    let text = "", usage = null, failure = null;
    let first = null;
    await readEvents(res, (data) => {
      if (data === "[DONE]") return;
      const event = JSON.parse(data);
      if (event.error) { failure = event.error.message || event.error.code; return; }
      if (event.usage) usage = event.usage;
      const delta = event.choices && event.choices[0] && event.choices[0].delta;
      if (delta && delta.content) {
        if (first === null) first = performance.now();
        text += delta.content;
        reply.textContent = text;
        log.scrollTop = log.scrollHeight;
      }
    });
    if (failure) throw new Error(failure);
    return { text, usage, ttft: first === null ? null : first - started };
  }

  // Streams a reply to messages (the history as the client wants it) into a new bubble.
  async function run(messages) {
    if (!model) await loadModel();
    const reply = bubble("assistant", "", messages.length);
    reply.dataset.state = "streaming";
    controller = new AbortController();
    refreshButtons();
    try {
      const result = await complete(messages, reply);
      history = messages.concat([{ role: "assistant", content: result.text.trim() }]);
      reply.dataset.state = "done";
      const u = result.usage;
      status.textContent = (u ? u.completion_tokens + " tokens" : "done")
          + (result.ttft === null ? "" : ", first token after " + Math.round(result.ttft) + " ms")
          + (u ? ", " + (u.prompt_tokens - ((u.prompt_tokens_details || {}).cached_tokens || 0))
              + " new prompt tokens" : "");
    } catch (e) {
      reply.dataset.state = e.name === "AbortError" ? "stopped" : "failed";
      if (e.name !== "AbortError") bubble("error", String(e.message || e));
      status.textContent = e.name === "AbortError" ? "stopped" : "failed";
      history = messages.concat(reply.textContent ? [{ role: "assistant", content: reply.textContent.trim() }] : []);
    } finally {
      controller = null;
      refreshButtons();
      input.focus();
    }
  }

  async function onSend(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || controller) return;
    let base = history;
    if (editing >= 0) {
      // An edited message replaces itself and everything after it.
      base = history.slice(0, editing);
      truncateLog(editing);
      editing = -1;
    }
    input.value = "";
    bubble("user", text, base.length);
    await run(base.concat([{ role: "user", content: text }]));
  }

  async function onRegenerate() {
    if (controller || history.length === 0 || history[history.length - 1].role !== "assistant") return;
    history = history.slice(0, -1);
    truncateLog(history.length);
    await run(history);
  }

  $("composer").addEventListener("submit", onSend);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  stop.addEventListener("click", () => controller && controller.abort());
  regenerate.addEventListener("click", onRegenerate);
  $("new-chat").addEventListener("click", () => {
    if (controller) controller.abort();
    conversationId = newId(); history = []; editing = -1; log.textContent = "";
    status.textContent = "new conversation";
    refreshButtons();
  });
  loadModel();
  input.focus();
})();
