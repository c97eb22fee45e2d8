// Inflates a gzip answer on its way to a client that never asked for gzip, as a stream with backpressure both ways.
//
// Go's Transport asks the API server for gzip on the client's behalf (headers.ts askForGzip) and
// hands ReverseProxy the inflated body; this is that step. Nothing is buffered beyond zlib's own
// high-water marks: a slow client pauses the inflater, a full inflater pauses the upstream.

import { createGunzip, type Gunzip } from 'node:zlib';
import { inflatedBufferReclaimer, type BufferReclaimer } from './buffer-reclaimer.js';

/** Where the inflated bytes go (the client response). */
export interface InflateSink {
  /** Writes inflated bytes; false when the client takes no more for now. */
  write(chunk: Buffer): boolean;
  /** Calls `resume` once, when the client has drained after a write returned false. */
  onceDrained(resume: () => void): void;
  /** The whole body was inflated. */
  end(): void;
  /** The body is not valid gzip (corrupt, or cut short): the answer must be aborted. */
  fail(error: Error): void;
}

/** The side that feeds compressed bytes: paused while the inflater's input is full. */
export interface InflateSource {
  pause(): void;
  resume(): void;
}

/**
 * zlib's output chunk. Each chunk zlib fills is one more round trip to libuv's thread pool, one
 * more Buffer and one more chunked write to the client, on top of one of each per piece of input
 * (what a piece inflates to goes out as it is): the bench's 2,000-pod LIST (7.1 MB) fills some 450
 * chunks at zlib's default, 16 KiB, about 110 at 64 KiB and 28 at 256 KiB. Measured (`taskset -c 0
 * node dist/test/bench/inflate-cpu.js`: that LIST gzipped at level 1, fed in 16 KiB pieces, the
 * process's CPU per LIST): 12.3 ms at 16 KiB, 6.5–6.7 at 64, 5.1 at 256. Across the bench's slow
 * link the difference is below the noise. The cost is one 256 KiB buffer per answer being inflated,
 * and only large answers are (kube-apiserver gzips answers of 128 KiB and more).
 */
export const INFLATED_CHUNK_BYTES = 256 * 1024;

export class GzipInflater {
  readonly #gunzip: Gunzip = createGunzip({ chunkSize: INFLATED_CHUNK_BYTES });
  #done = false;
  /** The source was told to pause and waits for the inflater's drain (one wait at a time). */
  #sourcePaused = false;
  /** Whether any compressed byte arrived. */
  #fed = false;
  readonly #sink: InflateSink;

  /** `reclaimer` is told each chunk's size: the chunks are fresh buffers, garbage once written (buffer-reclaimer.ts). */
  constructor(sink: InflateSink, reclaimer: BufferReclaimer = inflatedBufferReclaimer()) {
    this.#sink = sink;
    const gunzip = this.#gunzip;
    gunzip.on('data', (chunk: Buffer) => {
      if (this.#done) return;
      reclaimer.handedOut(chunk.length);
      if (sink.write(chunk)) return;
      gunzip.pause();
      sink.onceDrained(() => gunzip.resume());
    });
    gunzip.once('end', () => {
      if (this.#settle()) sink.end();
    });
    gunzip.once('error', (error: Error) => {
      if (this.#settle()) sink.fail(error);
    });
  }

  /** Feeds compressed bytes from the API server. */
  write(chunk: Buffer, source: InflateSource): void {
    if (this.#done || chunk.length === 0) return;
    this.#fed = true;
    if (!this.#gunzip.write(chunk) && !this.#sourcePaused) {
      this.#sourcePaused = true;
      source.pause();
      this.#gunzip.once('drain', () => {
        this.#sourcePaused = false;
        source.resume();
      });
    }
  }

  /** The API server's body ended: what is left is inflated, then the sink ends (or fails, when the gzip was cut short). */
  end(): void {
    if (this.#done) return;
    // zlib calls an empty input a truncated stream; Go's gzip reader sees EOF before any header and
    // ends cleanly (an empty body that says gzip is an empty body).
    if (!this.#fed) {
      this.destroy();
      this.#sink.end();
      return;
    }
    this.#gunzip.end();
  }

  /** The client went away or the upstream failed: stop, and tell the sink nothing more. */
  destroy(): void {
    this.#done = true;
    this.#gunzip.destroy();
  }

  #settle(): boolean {
    if (this.#done) return false;
    this.#done = true;
    return true;
  }
}
