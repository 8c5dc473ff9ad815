// Shared by the chat page and the KV map: the API key, request headers, errors and SSE parsing.
'use strict';

const apiKeyStore = 'inference-server.api-key';

function apiKey() { return localStorage.getItem(apiKeyStore) || ''; }
function setApiKey(key) { localStorage.setItem(apiKeyStore, key); }

function apiHeaders(json) {
  const headers = {};
  if (json) headers['Content-Type'] = 'application/json';
  const key = apiKey();
  if (key) headers['Authorization'] = 'Bearer ' + key;
  return headers;
}

// The message of an OpenAI-style error body, or the status line when the body is something else.
async function errorOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && body.error && body.error.message) return `${response.status}: ${body.error.message}`;
  } catch (_) { /* not JSON */ }
  return `${response.status} ${response.statusText}`;
}

// Reads a text/event-stream body and calls onData with each event's data (lines joined by \n); comments are skipped.
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(l.startsWith('data: ') ? 6 : 5));
      if (data.length > 0 && onData(data.join('\n')) === false) { reader.cancel(); return; }
    }
  }
}
