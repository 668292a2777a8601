// The event stream (/_emulator/events/stream) read with fetch rather than
// EventSource, so the control token can travel in a header. Reconnects with
// Last-Event-ID, so no event is missed across a dropped connection.

import { askToken, authHeaders } from './api.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// onEvent(event) for each event; onState('live' | 'reconnecting' | 'unavailable').
export function openStream(url, { onEvent, onState }) {
  let lastId = null;
  let stopped = false;
  let controller = null;

  function dispatch(block) {
    let id = null;
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue; // comments: heartbeats
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== null) lastId = id;
    if (!data.length) return;
    let event;
    try {
      event = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    onEvent({ type, ...event });
  }

  async function run() {
    let failures = 0;
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { accept: 'text/event-stream', ...authHeaders() };
        if (lastId !== null) headers['last-event-id'] = lastId;
        const res = await fetch(url, { headers, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) {
          await askToken(true);
          continue;
        }
        if (!res.ok || !res.body) {
          onState('unavailable');
          return;
        }
        failures = 0;
        onState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      failures += 1;
      await sleep(Math.min(500 * failures, 5000));
    }
  }

  run();
  return {
    close() {
      stopped = true;
      if (controller) controller.abort();
    },
  };
}
