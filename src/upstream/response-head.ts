// Reads an HTTP/1.1 response head off a raw upstream socket, and relays exactly one response body after it.

import type { Socket } from 'node:net';

/** An upstream that answers an upgrade with more header bytes than this is not an API server. */
const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

export interface ResponseHead {
  readonly status: number;
  /** The head's bytes, status line to the blank line included, as the API server sent them. */
  readonly head: Buffer;
  /** Bytes that came after the head in the same reads (the start of the body or of the tunnel). */
  readonly rest: Buffer;
  /** How the body that follows is delimited (RFC 9112 section 6.3). */
  readonly framing: BodyFraming;
}

export type BodyFraming = { readonly kind: 'length'; readonly bytes: number } | { readonly kind: 'chunked' } | { readonly kind: 'until-close' };

/**
 * Reads bytes until the end of the response head, then stops reading so the caller decides what
 * happens to the rest (relay and pipe, or discard). Calls back exactly once.
 */
export function readResponseHead(socket: Socket, callback: (error: Error | undefined, answer?: ResponseHead) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  let done = false;
  const finish = (error: Error | undefined, answer?: ResponseHead): void => {
    if (done) return;
    done = true;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    callback(error, answer);
  };
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end === -1) {
      if (buffered.length > MAX_RESPONSE_HEAD_BYTES) finish(new Error('response head too large'));
      return;
    }
    const head = buffered.subarray(0, end + 4);
    const text = head.toString('latin1');
    const statusLine = text.slice(0, text.indexOf('\r\n'));
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) {
      finish(new Error(`malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`));
      return;
    }
    const status = Number(match[1]);
    finish(undefined, { status, head, rest: buffered.subarray(end + 4), framing: bodyFraming(status, text) });
  };
  const onEnd = (): void => finish(new Error('the API server closed the connection before answering'));
  socket.on('data', onData);
  socket.once('end', onEnd);
}

/** RFC 9112 section 6.3: chunked wins over Content-Length; no framing means the body runs to the close. */
export function bodyFraming(status: number, headText: string): BodyFraming {
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { kind: 'length', bytes: 0 };
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(headText)) return { kind: 'chunked' };
  const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(headText);
  if (length) return { kind: 'length', bytes: Number(length[1]) };
  return { kind: 'until-close' };
}

/**
 * Copies one response body from `upstream` to `client` (with backpressure) and calls `done` once it
 * has been written in full, or when either side goes away. Bytes after the body are never copied.
 */
export function relayResponseBody(upstream: Socket, client: Socket, answer: ResponseHead, done: () => void): void {
  const tracker = new BodyEnd(answer.framing);
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    upstream.off('data', onData);
    upstream.off('end', finish);
    upstream.off('close', finish);
    client.off('close', finish);
    done();
  };
  const forward = (chunk: Buffer): boolean => {
    const take = tracker.consume(chunk);
    if (take > 0 && !client.write(chunk.subarray(0, take))) {
      upstream.pause();
      client.once('drain', () => upstream.resume());
    }
    return tracker.complete;
  };
  const onData = (chunk: Buffer): void => {
    if (forward(chunk)) finish();
  };
  if (forward(answer.rest)) {
    finish();
    return;
  }
  upstream.on('data', onData);
  upstream.once('end', finish);
  upstream.once('close', finish);
  client.once('close', finish);
  upstream.resume();
}

/** Finds where a body ends in a stream of chunks, without keeping them. */
export class BodyEnd {
  #remaining: number;
  readonly #chunked: boolean;
  /** Chunked decoding state: reading a size line, chunk data, the CRLF after it, or trailers. */
  #state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  #line = '';
  #complete = false;

  constructor(framing: BodyFraming) {
    this.#chunked = framing.kind === 'chunked';
    this.#remaining = framing.kind === 'length' ? framing.bytes : framing.kind === 'chunked' ? 0 : Number.POSITIVE_INFINITY;
    if (framing.kind === 'length' && framing.bytes === 0) this.#complete = true;
  }

  get complete(): boolean {
    return this.#complete;
  }

  /** How many bytes of `chunk` belong to the body. */
  consume(chunk: Buffer): number {
    if (this.#complete) return 0;
    if (!this.#chunked) {
      const take = Math.min(chunk.length, this.#remaining);
      this.#remaining -= take;
      if (this.#remaining === 0) this.#complete = true;
      return take;
    }
    let offset = 0;
    while (offset < chunk.length && !this.#complete) offset = this.#step(chunk, offset);
    return offset;
  }

  #step(chunk: Buffer, offset: number): number {
    if (this.#state === 'data') {
      const take = Math.min(chunk.length - offset, this.#remaining);
      this.#remaining -= take;
      if (this.#remaining === 0) this.#state = 'data-end';
      return offset + take;
    }
    const newline = chunk.indexOf(0x0a, offset);
    const end = newline === -1 ? chunk.length : newline + 1;
    this.#line += chunk.subarray(offset, end).toString('latin1');
    if (newline === -1) return end;
    const line = this.#line.replace(/\r?\n$/, '');
    this.#line = '';
    if (this.#state === 'data-end') this.#state = 'size';
    else if (this.#state === 'size') this.#sizeLine(line);
    else if (line === '') this.#complete = true;
    return end;
  }

  #sizeLine(line: string): void {
    const size = Number.parseInt(line.split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) {
      // Not chunked after all: stop at once rather than relay what we cannot delimit.
      this.#complete = true;
      return;
    }
    if (size === 0) this.#state = 'trailer';
    else {
      this.#remaining = size;
      this.#state = 'data';
    }
  }
}
