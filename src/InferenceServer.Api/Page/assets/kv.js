// The KV map: one cell per block from GET /v1/engine/kv/stream, coloured by state, shared blocks numbered.
'use strict';

const $ = id => document.getElementById(id);
let highlighted = null; // sequence id whose blocks are highlighted
let latest = null;

function notice(text) { $('notice').textContent = text; $('notice').hidden = !text; }

function counters(s) {
  const items = [
    ['blocks', s.num_blocks], ['block size', s.block_size], ['in use', s.num_in_use_blocks],
    ['cached idle', s.num_cached_idle_blocks], ['free', s.num_empty_blocks], ['shared', s.num_shared_blocks],
    ['running', s.num_running], ['waiting', s.num_waiting],
    ['prefix-cache hit rate', (100 * s.prefix_cache_hit_rate).toFixed(1) + ' %'],
    ['evictions', s.num_evictions], ['preemptions', s.num_preemptions], ['steps', s.num_steps],
  ];
  $('counters').replaceChildren(...items.map(([name, value]) => {
    const item = document.createElement('div');
    const dt = document.createElement('dt'); dt.textContent = name;
    const dd = document.createElement('dd'); dd.textContent = value; dd.dataset.counter = name;
    item.append(dt, dd);
    return item;
  }));
}

function grid(s) {
  const cells = $('grid');
  while (cells.children.length < s.blocks.length) cells.append(document.createElement('span'));
  while (cells.children.length > s.blocks.length) cells.lastChild.remove();
  s.blocks.forEach((b, i) => {
    const cell = cells.children[i];
    cell.className = 'block ' + b.state + (b.prefix_cache_hit ? ' hit' : '')
      + (highlighted !== null && b.sequence_ids.includes(highlighted) ? ' highlight' : '');
    cell.textContent = b.ref_count > 1 ? b.ref_count : '';
    cell.title = `block ${b.block_id}: ${b.state.replace('_', ' ')}, ref ${b.ref_count}`
      + (b.chain_depth !== null ? `, depth ${b.chain_depth}` : '')
      + (b.sequence_ids.length ? `, sequences ${b.sequence_ids.join(', ')}` : '')
      + (b.prefix_cache_hit ? ', prefix-cache hit' : '');
  });
}

function sequences(s) {
  $('sequences').replaceChildren(...s.sequences.map(q => {
    const li = document.createElement('li');
    li.dataset.sequence = q.sequence_id;
    if (q.sequence_id === highlighted) li.className = 'highlight';
    li.textContent = `#${q.sequence_id}: ${q.num_prompt_tokens} prompt (${q.num_cached_tokens} cached) + ${q.num_output_tokens} out, `
      + `${q.block_table.length} blocks` + (q.num_preemptions ? `, preempted ${q.num_preemptions}×` : '');
    li.onmouseenter = () => highlight(q.sequence_id);
    li.onmouseleave = () => highlight(null);
    return li;
  }));
  if (s.sequences.length === 0) $('sequences').textContent = 'No sequence holds blocks.';
}

function highlight(id) {
  highlighted = id;
  if (latest) { grid(latest); document.querySelectorAll('#sequences li').forEach(li => li.classList.toggle('highlight', Number(li.dataset.sequence) === id)); }
}

function show(snapshot) {
  latest = snapshot;
  counters(snapshot);
  grid(snapshot);
  // Rebuilding the list under the pointer would drop its hover: keep it while a sequence is highlighted.
  if (highlighted === null || !snapshot.sequences.some(q => q.sequence_id === highlighted)) {
    highlighted = null;
    sequences(snapshot);
  }
  document.body.dataset.steps = snapshot.num_steps;
}

let controller = null;
async function follow() {
  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  for (;;) {
    try {
      const response = await fetch('/v1/engine/kv/stream', { headers: apiHeaders(false), signal });
      if (!response.ok) {
        notice(await errorOf(response) + (response.status === 401 ? ' Enter the API key above.' : ''));
        if (response.status === 401) return;
      } else {
        notice('');
        await readEvents(response, data => { show(JSON.parse(data)); return true; });
        notice('The server ended the stream (draining or stopped); reconnecting…');
      }
    } catch (e) {
      if (signal.aborted) return;
      notice('Disconnected: ' + e.message + '; reconnecting…');
    }
    await new Promise(resolve => setTimeout(resolve, 2000));
    if (signal.aborted) return;
  }
}

$('api-key').value = apiKey();
$('api-key').addEventListener('change', () => { setApiKey($('api-key').value.trim()); follow(); });
follow();
