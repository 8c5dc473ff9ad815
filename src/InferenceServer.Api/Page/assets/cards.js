// The parts of an assistant reply besides its text: reasoning (a folded card) and tool calls (one card each), merged
// from streamed deltas and sent back in the history. Reasoning and arguments are model output: only ever set as text.
'use strict';

// Merges one streamed choice into reply. Tool-call pieces follow OpenAI's contract: the first piece of a call carries
// its index, id, type, name and arguments "", later pieces of the same index carry argument text.
function applyChoice(reply, choice) {
  const delta = choice.delta || {};
  if (typeof delta.content === 'string') reply.content += delta.content;
  if (typeof delta.reasoning_content === 'string') reply.reasoning = (reply.reasoning || '') + delta.reasoning_content;
  for (const piece of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
    const calls = reply.toolCalls ||= [];
    const index = Number.isInteger(piece.index) ? piece.index : calls.length;
    const call = calls[index] ||= { id: '', type: 'function', function: { name: '', arguments: '' } };
    if (typeof piece.id === 'string') call.id = piece.id;
    if (typeof piece.type === 'string') call.type = piece.type;
    if (typeof piece.function?.name === 'string') call.function.name = piece.function.name;
    if (typeof piece.function?.arguments === 'string') call.function.arguments += piece.function.arguments;
  }
  if (choice.finish_reason) reply.finishReason = choice.finish_reason;
}

function toolCallsOf(m) { return (m.toolCalls || []).filter(Boolean); }

// Whether the reply has begun its answer (text or a call), after which its reasoning card folds.
function answerStarted(m) { return !!m.content || toolCallsOf(m).length > 0; }

// The message as sent back in the next request: calls as tool_calls (only complete ones: a call cut off by Stop or
// max tokens has arguments that are not JSON), reasoning as reasoning_content for the template to keep or drop.
function historyMessage(m) {
  if (m.role !== 'assistant') return { role: m.role, content: m.content };
  const calls = toolCallsOf(m).filter(c => c.id && c.function.name && isJson(c.function.arguments));
  const message = { role: 'assistant', content: m.content || (calls.length > 0 ? null : '') };
  if (m.reasoning) message.reasoning_content = m.reasoning;
  if (calls.length > 0)
    message.tool_calls = calls.map(c => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
  return message;
}

function isJson(text) { try { JSON.parse(text); return true; } catch (_) { return false; } }

// Arguments indented when they are complete JSON; as received while they still stream.
function prettyArguments(text) { try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; } }

// The reasoning card: open while the model thinks, folded once the answer starts or the reply ends, unless the user
// opened or closed it (m.reasoningOpen).
function reasoningCard(m, streaming) {
  const thinking = streaming && !answerStarted(m);
  const details = document.createElement('details');
  details.className = 'reasoning';
  details.open = m.reasoningOpen ?? thinking;
  const summary = document.createElement('summary');
  const tokens = m.stats?.reasoningTokens;
  summary.textContent = thinking ? 'Thinking…' : 'Reasoning' + (tokens !== undefined ? ` · ${tokens} tokens` : '');
  summary.addEventListener('click', () => { m.reasoningOpen = !details.open; });
  const text = document.createElement('div');
  text.className = 'reasoning-text';
  text.textContent = m.reasoning;
  details.append(summary, text);
  return details;
}

// One card per call: its name, id and arguments; then finish_reason when the reply stopped to have them run.
function toolCallCards(m) {
  const cards = toolCallsOf(m).map(call => {
    const card = document.createElement('div');
    card.className = 'tool-call';
    const head = document.createElement('div');
    head.className = 'tool-head';
    const name = document.createElement('span');
    name.className = 'tool-name';
    name.textContent = call.function.name;
    const id = document.createElement('span');
    id.className = 'tool-id';
    id.textContent = call.id;
    head.append('Tool call ', name, ' ', id);
    const args = document.createElement('pre');
    args.className = 'tool-arguments';
    args.textContent = prettyArguments(call.function.arguments);
    card.append(head, args);
    return card;
  });
  if (m.finishReason === 'tool_calls') {
    const finish = document.createElement('div');
    finish.className = 'finish';
    finish.textContent = 'finish_reason: tool_calls';
    cards.push(finish);
  }
  return cards;
}
