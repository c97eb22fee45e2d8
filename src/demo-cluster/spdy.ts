// The server side of SPDY/3.1, as much as `kubectl port-forward` uses: streams the client opens
// (SYN_STREAM), replies (SYN_REPLY), data with FIN, RST_STREAM, PING and GOAWAY. Header blocks are zlib
// streams primed with the protocol's dictionary, one stream per direction for the whole connection.
// Flow control is not enforced, as in the Go library kubectl uses (moby/spdystream), which sends no
// WINDOW_UPDATE frames and ignores them.

import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

export const SPDY_VERSION = 3;
export const FRAME = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here. */
export const RST = { protocolError: 1, cancel: 5 } as const;
const HEADER_BYTES = 8;
/** Larger frames are refused: nothing port-forward sends comes near it, and a garbled length must not make us buffer forever. */
const MAX_FRAME_BYTES = 1 << 20;
const MAX_DATA_CHUNK = 16 * 1024;

const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 Non-Authoritative Information' +
  '204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error' +
  '501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,public' +
  'privatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The zlib dictionary of SPDY/3 header blocks (draft 3, section 2.6.10.1): length-prefixed words, then a plain tail. */
export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((word) => [uint32s(word.length), Buffer.from(word, 'latin1')]),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

export type SpdyHeaders = Record<string, string>;

/** 32-bit big-endian words, the unit of every SPDY length, id and status. */
export function uint32s(...values: number[]): Buffer {
  const buffer = Buffer.alloc(4 * values.length);
  values.forEach((value, i) => buffer.writeUInt32BE(value >>> 0, 4 * i));
  return buffer;
}

/** Every frame: a first word (control bit, version and type; or the stream id), then flags and length. */
function frame(first: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([uint32s(first, ((flags & 0xff) << 24) | payload.length), payload]);
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return frame(((0x8000 | SPDY_VERSION) << 16) | type, flags, payload);
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  return frame(streamId & 0x7fffffff, flags, payload);
}

/** The uncompressed name/value block: a count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [uint32s(entries.length)];
  for (const [name, value] of entries) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    parts.push(uint32s(nameBytes.length), nameBytes, uint32s(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let offset = 0;
  const read = (): string => {
    if (offset + 4 > block.length) throw new Error('header block truncated');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new Error('header block truncated');
    const text = block.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  if (block.length < 4) throw new Error('header block truncated');
  const count = block.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i++) {
    const name = read();
    // Several values of one name are joined by NUL; port-forward sends one each.
    headers[name.toLowerCase()] = read().split('\0').join(', ');
  }
  return headers;
}

/**
 * One direction's header compression context. Every block is written and sync-flushed into the same
 * zlib stream, so a block's bytes depend on all earlier ones: calls run one at a time, in frame order.
 */
export class HeaderCodec {
  readonly #stream: Deflate | Inflate;
  #output: Buffer[] = [];
  #failure: Error | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(direction: 'compress' | 'decompress') {
    this.#stream = direction === 'compress' ? createDeflate({ dictionary: SPDY_DICTIONARY }) : createInflate({ dictionary: SPDY_DICTIONARY });
    // One listener for the stream's whole life: the stream flows from the start, so no output can be
    // held back and handed to a later block.
    this.#stream.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#stream.on('error', (error: Error) => (this.#failure = error));
  }

  run(input: Buffer): Promise<Buffer> {
    const result = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve, reject) => {
        // A corrupt block errors the stream instead of completing the flush.
        const onError = (error: Error): void => reject(error);
        this.#stream.once('error', onError);
        this.#stream.write(input);
        this.#stream.flush(zlibConstants.Z_SYNC_FLUSH, () => {
          this.#stream.off('error', onError);
          resolve();
        });
      });
      // Output pushed while the flush completed may still be on its way to the listener: let it land.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#failure) throw this.#failure;
      const block = Buffer.concat(this.#output);
      this.#output = [];
      return block;
    });
    this.#chain = result.catch(() => {});
    return result;
  }

  close(): void {
    this.#stream.destroy();
  }
}

/** A stream the client opened: a Duplex of its DATA frames, plus the headers of its SYN_STREAM. */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  readonly #session: SpdyServerSession;
  #replied = false;

  constructor(session: SpdyServerSession, id: number, headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
    this.#session = session;
    this.id = id;
    this.headers = headers;
  }

  /** SYN_REPLY: the client's CreateStream waits for it, and ignores our DATA until it has come. */
  async reply(headers: SpdyHeaders = {}): Promise<void> {
    if (this.#replied) return;
    this.#replied = true;
    await this.#session.sendReply(this.id, headers);
  }

  /** RST_STREAM, and this side is done. */
  reset(status: number = RST.cancel): void {
    this.#session.sendReset(this.id, status);
    this.destroy();
  }

  override _read(): void {
    // DATA frames are pushed as they arrive; port-forward's peers read as fast as they are sent.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_CHUNK) {
      this.#session.sendData(this.id, 0, chunk.subarray(offset, offset + MAX_DATA_CHUNK));
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#session.sendData(this.id, FLAG_FIN, Buffer.alloc(0));
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.#session.forget(this.id);
    callback(error);
  }
}

export interface SpdyServerSessionEvents {
  stream: [SpdyStream];
  close: [];
}

/** Reads frames from `socket` (already past the HTTP upgrade) and emits a `stream` for each SYN_STREAM. */
export class SpdyServerSession extends EventEmitter<SpdyServerSessionEvents> {
  readonly #socket: Duplex;
  readonly #compress = new HeaderCodec('compress');
  readonly #decompress = new HeaderCodec('decompress');
  readonly #streams = new Map<number, SpdyStream>();
  #pending: Buffer = Buffer.alloc(0);
  /** Frames are handled one after another: header blocks decompress asynchronously, and order matters. */
  #queue: Promise<void> = Promise.resolve();
  #lastStreamId = 0;
  #closed = false;

  constructor(socket: Duplex, initial?: Buffer) {
    super();
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
    if (initial && initial.length > 0) this.#receive(initial);
  }

  /** Open streams (tests count them). */
  get openStreams(): number {
    return this.#streams.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams.values()) stream.destroy();
    this.#streams.clear();
    this.#compress.close();
    this.#decompress.close();
    // end(), not destroy(): a GOAWAY just written must still reach the client. A client that never
    // closes its side is cut a second later.
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1_000).unref();
    this.emit('close');
  }

  /** GOAWAY, then close: used when the client breaks the protocol. */
  goAway(status: number = RST.protocolError): void {
    if (this.#closed) return;
    this.#write(controlFrame(FRAME.goAway, 0, uint32s(this.#lastStreamId, status)));
    this.close();
  }

  async sendReply(streamId: number, headers: SpdyHeaders): Promise<void> {
    const block = await this.#compress.run(encodeHeaderBlock(headers));
    this.#write(controlFrame(FRAME.synReply, 0, Buffer.concat([uint32s(streamId & 0x7fffffff), block])));
  }

  sendData(streamId: number, flags: number, payload: Buffer): void {
    this.#write(dataFrame(streamId, flags, payload));
  }

  sendReset(streamId: number, status: number): void {
    this.#write(controlFrame(FRAME.rstStream, 0, uint32s(streamId & 0x7fffffff, status)));
  }

  forget(streamId: number): void {
    this.#streams.delete(streamId);
  }

  #write(frame: Buffer): void {
    if (!this.#closed && this.#socket.writable) this.#socket.write(frame);
  }

  #receive(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= HEADER_BYTES) {
      const length = this.#pending.readUInt32BE(4) & 0xffffff;
      if (length > MAX_FRAME_BYTES) {
        this.goAway();
        return;
      }
      if (this.#pending.length < HEADER_BYTES + length) return;
      const frame = this.#pending.subarray(0, HEADER_BYTES + length);
      this.#pending = this.#pending.subarray(HEADER_BYTES + length);
      this.#queue = this.#queue.then(() => this.#handle(frame)).catch(() => this.goAway());
    }
  }

  async #handle(frame: Buffer): Promise<void> {
    if (this.#closed) return;
    const flags = frame[4] ?? 0;
    const payload = frame.subarray(HEADER_BYTES);
    if ((frame[0] ?? 0) & 0x80) {
      const version = frame.readUInt16BE(0) & 0x7fff;
      if (version !== SPDY_VERSION) throw new Error(`SPDY version ${version}`);
      await this.#control(frame.readUInt16BE(2), flags, payload);
      return;
    }
    const stream = this.#streams.get(frame.readUInt32BE(0) & 0x7fffffff);
    if (!stream) return; // already reset or closed: dropped, as spdystream does
    if (payload.length > 0) stream.push(Buffer.from(payload));
    if (flags & FLAG_FIN) stream.push(null);
  }

  async #control(type: number, flags: number, payload: Buffer): Promise<void> {
    switch (type) {
      case FRAME.synStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.#decompress.run(payload.subarray(10)));
        // Client streams have odd ids. The spec also wants them increasing, but kubectl's Go client takes an
        // id and writes the frame under separate locks, so concurrent connections can send 3 before 1:
        // accept any id not in use (a strict server resets the loser, and kubectl reports "Stream reset").
        if (id % 2 === 0 || this.#streams.has(id)) {
          this.sendReset(id, RST.protocolError);
          return;
        }
        this.#lastStreamId = Math.max(this.#lastStreamId, id);
        const stream = new SpdyStream(this, id, headers);
        this.#streams.set(id, stream);
        if (flags & FLAG_FIN) stream.push(null);
        this.emit('stream', stream);
        return;
      }
      case FRAME.headers:
      case FRAME.synReply:
        // Keep the decompression context in step (both carry a stream id, then a header block); nothing
        // port-forward sends in them matters here.
        await this.#decompress.run(payload.subarray(4));
        return;
      case FRAME.rstStream: {
        const stream = this.#streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        stream?.destroy();
        return;
      }
      case FRAME.ping:
        // This side never pings, so every PING is the client's: echo it.
        this.#write(controlFrame(FRAME.ping, 0, payload.subarray(0, 4)));
        return;
      case FRAME.goAway:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and anything newer: nothing to do.
        return;
    }
  }
}
