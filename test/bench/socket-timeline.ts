// Loaded into kubegate's process by `npm run bench -- --timeline` (node --import): the time of each
// socket event a proxied request makes, written to $KUBEGATE_TIMELINE_DIR/<pid>.log at exit. It
// measures inside the process what the WAN pairs cannot resolve (tens of microseconds on a cold
// request); timeline.ts reads the log. Bench-only: nothing in src/ loads it.

import { writeFileSync } from 'node:fs';
import { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { TIMELINE_EVENTS, type TimelineEvent } from './timeline-events.js';

const dir = process.env.KUBEGATE_TIMELINE_DIR;
/** Preallocated, so recording an event allocates nothing on the path it measures. */
const CAPACITY = 1 << 20;
const times = new Float64Array(CAPACITY);
const kinds = new Uint8Array(CAPACITY);
let count = 0;

function mark(event: TimelineEvent, at = performance.now()): void {
  if (count === CAPACITY) return;
  times[count] = at;
  kinds[count] = TIMELINE_EVENTS.indexOf(event);
  count++;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Calls `before` with the receiver and arguments, then the original method. */
function wrap(prototype: object, name: string, before: (self: unknown, args: unknown[]) => void): void {
  const methods = prototype as Record<string, Method>;
  const original = methods[name];
  if (original === undefined) throw new Error(`socket-timeline: no ${name} to wrap in this Node version`);
  methods[name] = function (this: unknown, ...args: unknown[]): unknown {
    before(this, args);
    return original.apply(this, args);
  };
}

/** The API server is reached over TLS; the bench client over plain TCP. */
const upstream = (socket: unknown): boolean => (socket as { encrypted?: boolean }).encrypted === true;

if (dir !== undefined) {
  // http.Server is a net.Server: its 'connection' and 'request' events pass through here.
  wrap(Server.prototype, 'emit', (_server, [event]) => {
    if (event === 'connection') mark('connection');
    else if (event === 'request') mark('request');
  });
  // Every write reaches the kernel through one of these two.
  for (const name of ['_writeGeneric', '_writev']) wrap(Socket.prototype, name, (socket) => mark(upstream(socket) ? 'upstream-write' : 'client-write'));
  // Bytes from the API server enter the TLS socket's readable side here, already decrypted.
  wrap(Socket.prototype, 'push', (socket, [chunk]) => {
    if (chunk !== null && upstream(socket)) mark('upstream-read');
  });
  // V8's collections, told after the fact (the observer's own entries allocate: a few per collection).
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) mark('gc-minor', entry.startTime);
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) mark('gc-full', entry.startTime);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`${(times[i] as number).toFixed(3)} ${TIMELINE_EVENTS[kinds[i] as number]}`);
    writeFileSync(join(dir, `${process.pid}.log`), `${lines.join('\n')}\n`);
  });
}
