// The chat page: conversations in localStorage, replies streamed from /v1/chat/completions (reasoning and tool calls
// as cards, cards.js), Markdown rendered by the server (POST /v1/render/markdown) once a reply is complete.
'use strict';

const store = { conversations: 'inference-server.conversations', current: 'inference-server.current', settings: 'inference-server.settings' };
const $ = id => document.getElementById(id);

let conversations = load(store.conversations, []);
let currentId = localStorage.getItem(store.current);
let running = null; // { controller, reply } while a reply streams
const elements = new WeakMap(); // message → its element

function load(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch (_) { return fallback; }
}
function save() {
  localStorage.setItem(store.conversations, JSON.stringify(conversations));
  localStorage.setItem(store.current, currentId || '');
}
function current() { return conversations.find(c => c.id === currentId); }

function newConversation() {
  const c = { id: Date.now().toString(36) + Math.random().toString(36).slice(2, 6), title: 'New chat', messages: [] };
  conversations.unshift(c);
  currentId = c.id;
  save();
  render();
  $('input').focus();
}

// ---- settings ----
function settings() {
  return {
    model: $('model').value,
    temperature: Number($('temperature').value),
    maxTokens: Number($('max-tokens').value),
    ignoreEos: $('ignore-eos').checked,
    system: $('system').value,
    extra: $('extra').value,
  };
}
function restoreSettings() {
  const s = load(store.settings, {});
  if (s.temperature !== undefined) $('temperature').value = s.temperature;
  if (s.maxTokens !== undefined) $('max-tokens').value = s.maxTokens;
  if (s.system !== undefined) $('system').value = s.system;
  if (s.extra !== undefined) $('extra').value = s.extra;
  $('ignore-eos').checked = !!s.ignoreEos;
  $('api-key').value = apiKey();
  return s;
}
function saveSettings() { localStorage.setItem(store.settings, JSON.stringify(settings())); }

async function loadModels() {
  const select = $('model');
  const wanted = load(store.settings, {}).model;
  const response = await fetch('/v1/models', { headers: apiHeaders(false) });
  if (!response.ok) {
    notice(response.status === 401
      ? 'This server needs an API key: enter it under Settings. (' + await errorOf(response) + ')'
      : 'Could not list models: ' + await errorOf(response));
    if (response.status === 401) $('settings').open = true;
    return;
  }
  notice('');
  const models = (await response.json()).data.map(m => m.id);
  select.replaceChildren(...models.map(id => new Option(id, id)));
  if (models.includes(wanted)) select.value = wanted;
}

function notice(text, source = '') {
  $('notice').textContent = text; $('notice').hidden = !text; $('notice').dataset.source = source;
}

// ---- rendering ----
function render() {
  const list = $('conversations');
  list.replaceChildren(...conversations.map(c => {
    const li = document.createElement('li');
    if (c.id === currentId) li.className = 'current';
    const open = document.createElement('button');
    open.type = 'button'; open.className = 'open'; open.textContent = c.title;
    open.onclick = () => { if (!running) { currentId = c.id; save(); render(); document.body.classList.remove('sidebar-open'); } };
    const del = document.createElement('button');
    del.type = 'button'; del.className = 'delete'; del.textContent = '×'; del.title = 'Delete'; del.setAttribute('aria-label', 'Delete ' + c.title);
    del.onclick = () => deleteConversation(c.id);
    li.append(open, del);
    return li;
  }));
  const c = current();
  $('messages').replaceChildren(...(c ? c.messages.map(renderMessage) : []));
  scrollDown();
}

function renderMessage(m) {
  const div = document.createElement('div');
  div.className = 'message ' + m.role;
  if (m.reasoning) div.append(reasoningCard(m, running?.reply === m));
  const body = document.createElement('div');
  body.className = 'content';
  // Server-rendered HTML escapes raw HTML and unsafe links; anything else is shown as text.
  if (m.html) body.innerHTML = m.html; else body.textContent = m.content;
  div.append(body, ...toolCallCards(m));
  if (m.error) {
    const e = document.createElement('div');
    e.className = 'error'; e.textContent = m.error;
    div.append(e);
  }
  // Stats show once the reply has ended, so their presence marks its end.
  if (m.stats && running?.reply !== m) {
    const s = document.createElement('div');
    s.className = 'stats'; s.textContent = statsText(m.stats);
    div.append(s);
  }
  elements.set(m, div);
  return div;
}

function statsText(s) {
  const parts = [];
  if (s.stopped) parts.push('stopped');
  if (s.completionTokens !== undefined) parts.push(`${s.completionTokens} tokens`);
  if (s.tokensPerSecond !== undefined) parts.push(`${s.tokensPerSecond.toFixed(1)} tok/s`);
  if (s.ttftMs !== undefined) parts.push(`TTFT ${Math.round(s.ttftMs)} ms`);
  if (s.cachedTokens !== undefined) parts.push(`${s.cachedTokens} of ${s.promptTokens} prompt tokens cached`);
  return parts.join(' · ');
}

function scrollDown() { const m = $('messages'); m.scrollTop = m.scrollHeight; }

function deleteConversation(id) {
  if (running && id === currentId) return;
  conversations = conversations.filter(c => c.id !== id);
  if (currentId === id) currentId = conversations[0]?.id ?? null;
  save();
  render();
}

// ---- sending ----
function requestBody(c, s, extra) {
  const history = c.messages.filter(m => !m.error || m.content || toolCallsOf(m).length > 0).map(historyMessage);
  const messages = s.system.trim() ? [{ role: 'system', content: s.system }, ...history] : history;
  const body = { model: s.model, messages, stream: true, stream_options: { include_usage: true },
                 temperature: s.temperature, max_tokens: s.maxTokens };
  if (s.ignoreEos) body.ignore_eos = true;
  return { ...body, ...extra };
}

// The Settings' extra request fields (e.g. tools, tool_choice, reasoning_effort): a JSON object merged into each
// request over the page's own fields. Throws with a message for the user when it is not one.
function extraFields(text) {
  if (!text.trim()) return {};
  let value;
  try { value = JSON.parse(text); } catch (e) { throw new Error('Extra request fields are not valid JSON: ' + e.message); }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('Extra request fields must be a JSON object.');
  for (const key of ['messages', 'stream'])
    if (key in value) throw new Error(`Extra request fields cannot set '${key}': the page sets it.`);
  return value;
}

async function send() {
  const text = $('input').value;
  if (!text.trim() || running) return;
  const s = settings();
  saveSettings();
  let extra;
  try { extra = extraFields(s.extra); } catch (e) { notice(e.message, 'extra'); $('settings').open = true; return; }
  if ($('notice').dataset.source === 'extra') notice('');
  if (!current()) newConversation();
  const c = current();
  c.messages.push({ role: 'user', content: text });
  if (c.title === 'New chat') c.title = text.trim().split('\n')[0].slice(0, 40);
  const body = requestBody(c, s, extra);
  const reply = { role: 'assistant', content: '' };
  c.messages.push(reply);
  $('input').value = '';
  save();
  render();
  const controller = new AbortController();
  running = { controller, reply };
  setRunning(true);
  try {
    await streamReply(body, reply, controller.signal);
  } catch (e) {
    if (e.name === 'AbortError') reply.stats = { ...(reply.stats || {}), stopped: true };
    else reply.error = 'Request failed: ' + e.message;
  } finally {
    running = null;
    setRunning(false);
    if (reply.content) reply.html = await renderMarkdown(reply.content);
    save();
    render();
  }
}

async function streamReply(body, reply, signal) {
  const start = performance.now();
  let first, usage;
  const response = await fetch('/v1/chat/completions', { method: 'POST', headers: apiHeaders(true), body: JSON.stringify(body), signal });
  if (!response.ok) { reply.error = await errorOf(response); return; }
  let pending = false;
  await readEvents(response, data => {
    if (data === '[DONE]') return false;
    const chunk = JSON.parse(data);
    if (chunk.error) { reply.error = 'Server error: ' + chunk.error.message; return true; }
    if (chunk.usage) usage = chunk.usage;
    // Only the first choice is shown (extra fields could ask for n > 1).
    for (const choice of (chunk.choices || []).filter(ch => (ch.index ?? 0) === 0)) {
      applyChoice(reply, choice);
      if (first === undefined && (answerStarted(reply) || reply.reasoning)) first = performance.now();
    }
    reply.stats = timing(start, first, usage);
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; showProgress(reply); }); }
    return true;
  });
  reply.stats = timing(start, first, usage);
}

function timing(start, first, usage) {
  const stats = {};
  if (first !== undefined) stats.ttftMs = first - start;
  if (usage) {
    stats.completionTokens = usage.completion_tokens;
    stats.promptTokens = usage.prompt_tokens;
    stats.cachedTokens = usage.prompt_tokens_details?.cached_tokens ?? 0;
    const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
    if (reasoningTokens !== undefined) stats.reasoningTokens = reasoningTokens;
    const seconds = (performance.now() - (first ?? start)) / 1000;
    if (usage.completion_tokens > 1 && seconds > 0) stats.tokensPerSecond = (usage.completion_tokens - 1) / seconds;
  }
  return stats;
}

function showProgress(reply) {
  // A frame scheduled during the stream can fire after the reply finished and was rendered as Markdown: leave it.
  if (running?.reply !== reply) return;
  const element = elements.get(reply);
  if (!element || !element.isConnected) return;
  element.replaceWith(renderMessage(reply));
  scrollDown();
}

async function renderMarkdown(text) {
  try {
    const response = await fetch('/v1/render/markdown', { method: 'POST', headers: apiHeaders(true), body: JSON.stringify({ text }) });
    return response.ok ? (await response.json()).html : undefined;
  } catch (_) {
    return undefined;
  }
}

function setRunning(on) {
  $('send').hidden = on;
  $('stop').hidden = !on;
  document.body.classList.toggle('running', on);
}

// ---- wiring ----
$('composer').addEventListener('submit', e => { e.preventDefault(); send(); });
$('input').addEventListener('keydown', e => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
});
$('stop').addEventListener('click', () => running?.controller.abort());
$('new-chat').addEventListener('click', () => { if (!running) newConversation(); });
$('toggle-sidebar').addEventListener('click', () => document.body.classList.toggle('sidebar-open'));
for (const id of ['temperature', 'max-tokens', 'ignore-eos', 'system', 'model', 'extra']) $(id).addEventListener('change', saveSettings);
$('api-key').addEventListener('change', () => { setApiKey($('api-key').value.trim()); loadModels(); });

restoreSettings();
if (!current()) currentId = conversations[0]?.id ?? null;
render();
loadModels();
