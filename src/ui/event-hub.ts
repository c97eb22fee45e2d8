// The page's live feed: server-sent events. A record that changed is sent at most once per flush
// (every 100 ms while something changed), and nothing is serialized while no page is connected.

import type { ServerResponse } from 'node:http';
import { summarize, type UiRecord } from './record.js';

const FLUSH_MS = 100;
/** A comment line now and then keeps idle connections (and proxies in between) from timing out. */
const HEARTBEAT_MS = 15_000;
/**
 * A page that stops reading (a suspended tab) is let go once this much waits for it, rather than held
 * in memory: EventSource reconnects and starts again from a fresh snapshot.
 */
const MAX_BACKLOG = 1024 * 1024;

export class EventHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #dirty = new Set<UiRecord>();
  #flushTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  get connected(): number {
    return this.#clients.size;
  }

  /** A record started, changed or ended. */
  changed(record: UiRecord): void {
    if (this.#clients.size === 0) return;
    this.#dirty.add(record);
    if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.#flushTimer.unref();
    }
  }

  flush(): void {
    this.#flushTimer = undefined;
    if (this.#dirty.size === 0) return;
    let text = '';
    for (const record of this.#dirty) text += `event: request\ndata: ${JSON.stringify(summarize(record))}\n\n`;
    this.#dirty.clear();
    for (const client of this.#clients) this.#send(client, text);
  }

  #send(client: ServerResponse, text: string): void {
    if (client.writableLength > MAX_BACKLOG) {
      this.#clients.delete(client);
      client.destroy();
      return;
    }
    client.write(text);
  }

  /** A page connected: what the buffer holds now, then every change. */
  attach(response: ServerResponse, held: readonly UiRecord[]): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    response.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(held.map(summarize))}\n\n`);
    this.#clients.add(response);
    response.once('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopHeartbeat();
    });
    if (this.#heartbeat === undefined) {
      this.#heartbeat = setInterval(() => {
        for (const client of this.#clients) this.#send(client, ': keep-alive\n\n');
      }, HEARTBEAT_MS);
      this.#heartbeat.unref();
    }
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  close(): void {
    this.#stopHeartbeat();
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}
