// ws_client.js — one process of WebSocket subscribers for
// tests/bench/realtime_bench.py (the `ws` package pinned in tests/js).
//
//   node ws_client.js BASE_URL < commands
//
// Reads paths (one per line) until a line "go", opens one WebSocket per
// path (50 handshakes at a time), then answers commands, one JSON line each:
//   count        -> number of open connections
//   report KEY   -> [deliveries of KEY, last arrival in CLOCK_MONOTONIC seconds]
//   close        -> closes everything, answers "closed" and exits
// A message's KEY is "ceiling:N" for the benchmark's own {"type":"bench"}
// messages and "meetd:SEQ" for meetd's numbered events. Arrival times come
// from process.hrtime (CLOCK_MONOTONIC on Linux: the parent's clock too).
'use strict';
const path = require('path');
const readline = require('readline');
const WebSocket = require(path.join(__dirname, '..', 'js', 'node_modules', 'ws'));

const base = process.argv[2];
const paths = [];
const sockets = [];
const arrivals = new Map();     // key -> [count, last arrival]

function keyOf(text) {
  const m = JSON.parse(text);
  if (m.type === 'bench') return `ceiling:${m.data.n}`;
  if (m.seq !== undefined) return `meetd:${m.seq}`;
  return null;
}

function open(p) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base + p, { perMessageDeflate: false });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
    ws.on('message', (data) => {
      const t = Number(process.hrtime.bigint()) / 1e9;
      const k = keyOf(data.toString());
      if (k === null) return;
      const a = arrivals.get(k) || [0, 0];
      a[0] += 1;
      if (t > a[1]) a[1] = t;
      arrivals.set(k, a);
    });
  });
}

async function openAll() {
  for (let i = 0; i < paths.length; i += 50)
    sockets.push(...await Promise.all(paths.slice(i, i + 50).map(open)));
}

const say = (v) => process.stdout.write(JSON.stringify(v) + '\n');
let started = false;
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  if (!started) {
    if (line !== 'go') { paths.push(line); return; }
    started = true;
    try { await openAll(); } catch (e) { process.stderr.write(`open: ${e.message}\n`); process.exit(2); }
    return;
  }
  if (line === 'count') say(sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length);
  else if (line.startsWith('report ')) say(arrivals.get(line.slice(7)) || [0, 0]);
  else if (line === 'close') {
    sockets.forEach((ws) => ws.close());
    say('closed');
    setTimeout(() => process.exit(0), 200);
  }
});
