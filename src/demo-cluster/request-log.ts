// The record of every request the demo API server received, so tests assert exactly what kubegate sent.

import type { PeerCertificateSummary, UserInfo } from './authn.js';
import type { RequestInfo } from './request-info.js';

export interface RecordedRequest {
  readonly method: string;
  /** The raw path as received (escaping untouched). */
  readonly path: string;
  /** The raw query, without '?'. */
  readonly query: string;
  readonly url: string;
  /** Lower-cased names; repeated headers as lists; HTTP/2 pseudo-headers (`:authority`) included. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly httpVersion: string;
  readonly alpnProtocol: string | undefined;
  readonly clientCertificate: PeerCertificateSummary | undefined;
  /** The effective user (after impersonation); undefined when authentication failed. */
  readonly user: UserInfo | undefined;
  readonly impersonatedBy: UserInfo | undefined;
  readonly requestInfo: RequestInfo;
  readonly bodyBytes: number;
  /** The first 64 KiB of the body. */
  readonly body: Buffer;
  readonly receivedAt: number;
}

export class RequestLog {
  readonly #entries: RecordedRequest[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #limit: number;
  #received = 0;

  /** Keeps the last `limit` requests: a demo that runs for days must not grow without end. */
  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  push(entry: RecordedRequest): void {
    this.#received++;
    this.#entries.push(entry);
    // Trim in batches, so a full log does not shift its array on every request.
    if (this.#entries.length > this.#limit + Math.ceil(this.#limit / 10)) this.#entries.splice(0, this.#entries.length - this.#limit);
    for (const wake of this.#waiters) wake();
  }

  /** Every request ever recorded, including those trimmed away. */
  get received(): number {
    return this.#received;
  }

  get all(): readonly RecordedRequest[] {
    return this.#entries;
  }

  get length(): number {
    return this.#entries.length;
  }

  clear(): void {
    this.#entries.length = 0;
  }

  last(): RecordedRequest | undefined {
    return this.#entries[this.#entries.length - 1];
  }

  /** The header value as a single string (repeated values joined with ", "), from HTTP/1.1 or HTTP/2. */
  static header(entry: RecordedRequest, name: string): string | undefined {
    const value = entry.headers[name] ?? (name === 'host' ? entry.headers[':authority'] : undefined);
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Resolves with the first recorded request matching `predicate` (past or future). */
  waitFor(predicate: (entry: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    const found = this.#entries.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.#entries.find(predicate);
        if (!match) return;
        cleanup();
        resolve(match);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching request arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }
}
