// The first bytes of a body, copied (never a reference into a large chunk), and every byte counted.

/** As much of a body as -v=9 shows (src/upstream/trace.ts TRACE_BODY_LIMIT). */
export const SAMPLE_LIMIT = 4096;

export class BodyHead {
  readonly #parts: Buffer[] = [];
  #kept = 0;
  total = 0;

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.#kept >= SAMPLE_LIMIT) return;
    // A copy: a subarray would keep the whole chunk (up to 64 KiB) alive for as long as the record.
    const part = Buffer.from(chunk.subarray(0, SAMPLE_LIMIT - this.#kept));
    this.#parts.push(part);
    this.#kept += part.length;
  }

  bytes(): Buffer {
    return this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts);
  }
}

/** A write's chunk as bytes (ServerResponse.write takes strings too). */
export function chunkBytes(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  return undefined;
}

/** Newlines in a chunk: a JSON watch stream writes one event per line. */
export function countLines(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}
