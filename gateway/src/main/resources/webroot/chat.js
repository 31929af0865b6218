// Finchstream chat page: plain JS, no build step. Talks to the OpenAI-compatible endpoint with
// stream=true and keeps the chat in one server-side conversation (X-Conversation-Id), so each turn
// sends the whole history but the server only ingests the new message.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log"), input = $("input"), send = $("send"), stop = $("stop"), status = $("status");
  const apiKey = $("api-key");
  apiKey.value = localStorage.getItem("finchstream.apiKey") || "";
  apiKey.addEventListener("change", () => { localStorage.setItem("finchstream.apiKey", apiKey.value); loadModel(); });

  let model = null;
  let conversationId = newId();
  let history = [];          // [{role, content}] exactly as the server holds it
  let controller = null;     // AbortController of the running request

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

  function bubble(kind, text) {
    const div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
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

  async function onSend(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || controller) return;
    if (!model) await loadModel();
    input.value = "";
    bubble("user", text);
    const reply = bubble("assistant", "");
    reply.dataset.state = "streaming";
    controller = new AbortController();
    send.disabled = true; stop.disabled = false;
    const messages = history.concat([{ role: "user", content: text }]);
    try {
      let result;
      try {
        result = await complete(messages, reply);
      } catch (e) {
        if (e.status !== 409) throw e;
        // The server's copy of the chat differs (a reply was stopped half-way): continue in a new
        // conversation, which ingests the whole history once.
        conversationId = newId();
        result = await complete(messages, reply);
      }
      history = messages.concat([{ role: "assistant", content: result.text.trim() }]);
      reply.dataset.state = "done";
      const u = result.usage;
      status.textContent = (u ? u.completion_tokens + " tokens" : "done")
          + (result.ttft === null ? "" : ", first token after " + Math.round(result.ttft) + " ms")
          + (u ? ", " + u.prompt_tokens + " new prompt tokens" : "");
    } catch (e) {
      reply.dataset.state = e.name === "AbortError" ? "stopped" : "failed";
      if (e.name !== "AbortError") bubble("error", String(e.message || e));
      status.textContent = e.name === "AbortError" ? "stopped" : "failed";
      history = messages.concat(reply.textContent ? [{ role: "assistant", content: reply.textContent.trim() }] : []);
    } finally {
      controller = null;
      send.disabled = false; stop.disabled = true;
      input.focus();
    }
  }

  $("composer").addEventListener("submit", onSend);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  stop.addEventListener("click", () => controller && controller.abort());
  $("new-chat").addEventListener("click", () => {
    if (controller) controller.abort();
    conversationId = newId(); history = []; log.textContent = ""; status.textContent = "new conversation";
  });
  loadModel();
  input.focus();
})();
