// A wide-area link on loopback: a TCP relay that shapes each direction to a rate and delays each
// chunk, so the bench can show what a proxy costs when the API server is far away (issue 15). It
// passes bytes and never looks at them: TLS runs end to end between the proxy and the upstream.
//
// Per direction: a token bucket (tokens are bytes, refilled at the rate, holding at most one burst)
// decides when a piece may leave; a timer queue then holds it for the one-way delay before writing
// it on. When more than a buffer's worth waits for tokens, the sending socket is paused, so TCP's
// own flow control pushes back on the sender as a full router queue would. Nothing is dropped.
//
// `node dist/test/bench/link-emulator.js --target 127.0.0.1:6443 [--port 0] [--rate-mbit 50] [--delay-ms 10] [--piece-bytes 1448]`
// prints `listening PORT`; bench.ts forks it (IPC) and reads the port from a message.

import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

export interface LinkOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Each direction's rate, in megabits per second. */
  readonly rateMbit: number;
  /** Each direction's one-way delay, in milliseconds (the round trip is twice this). */
  readonly delayMs: number;
  /**
   * Largest piece that leaves at once (bytes): one packet. A real link hands the receiver each
   * packet as it arrives (1448 bytes of TCP payload in a 1500-byte Ethernet frame, every 0.23 ms at
   * 50 Mbit/s). Pieces ten times that made whatever straddled a piece boundary wait a whole piece
   * time (2.6 ms): a 16 KiB TLS record sent as 16,406 bytes lost its last 22 bytes to the next piece,
   * which a real link delays by one packet at most. (Node's timers tick in whole milliseconds, so
   * the pieces that are due leave a millisecond's worth together: about 6 KB at 50 Mbit/s.)
   */
  readonly pieceBytes?: number;
  /**
   * The bucket's depth (bytes): the burst the link lets through after an idle moment. Deeper than a
   * piece so that a timer firing a few milliseconds late loses no tokens (the rate stays exact).
   */
  readonly bucketBytes?: number;
  /** Bytes that may wait for tokens before the sender is paused. */
  readonly queueBytes?: number;
}

export const DEFAULT_LINK = { rateMbit: 50, delayMs: 10, pieceBytes: 1448, bucketBytes: 64 * 1024, queueBytes: 256 * 1024 } as const;

/** One direction of the link: source → bucket → delay queue → sink. */
class ShapedDirection {
  private readonly waiting: Buffer[] = [];
  private waitingBytes = 0;
  private readonly inFlight: { readonly at: number; readonly piece: Buffer }[] = [];
  private tokens: number;
  private refilledAt = performance.now();
  private bucketTimer: NodeJS.Timeout | undefined;
  private deliveryTimer: NodeJS.Timeout | undefined;
  private sourceEnded = false;
  private stopped = false;
  private readonly bytesPerMs: number;

  constructor(
    private readonly source: Socket,
    private readonly sink: Socket,
    rateMbit: number,
    private readonly delayMs: number,
    private readonly shape: { readonly pieceBytes: number; readonly bucketBytes: number; readonly queueBytes: number },
  ) {
    this.bytesPerMs = (rateMbit * 1e6) / 8 / 1000;
    this.tokens = shape.bucketBytes;
    source.on('data', (chunk: Buffer) => this.accept(chunk));
    source.on('end', () => this.sourceGone());
  }

  /** The source sent its last byte (or closed): the sink is ended once what is queued has gone out. */
  sourceGone(): void {
    this.sourceEnded = true;
    this.finishIfDrained();
  }

  /** The sink is gone: nothing more can be delivered. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    this.inFlight.length = 0;
    clearTimeout(this.bucketTimer);
    clearTimeout(this.deliveryTimer);
  }

  private accept(chunk: Buffer): void {
    if (this.stopped) return;
    this.waiting.push(chunk);
    this.waitingBytes += chunk.length;
    if (this.waitingBytes > this.shape.queueBytes) this.source.pause();
    this.drainBucket();
  }

  /** Lets pieces leave while there are tokens; otherwise sleeps until the head piece's tokens are in. */
  private drainBucket(): void {
    this.bucketTimer = undefined;
    const now = performance.now();
    this.tokens = Math.min(this.shape.bucketBytes, this.tokens + (now - this.refilledAt) * this.bytesPerMs);
    this.refilledAt = now;
    while (this.waiting.length > 0) {
      const head = this.waiting[0] as Buffer;
      const size = Math.min(head.length, this.shape.pieceBytes);
      if (this.tokens < size) {
        this.bucketTimer = setTimeout(() => this.drainBucket(), (size - this.tokens) / this.bytesPerMs);
        break;
      }
      this.tokens -= size;
      const piece = head.subarray(0, size);
      if (size === head.length) this.waiting.shift();
      else this.waiting[0] = head.subarray(size);
      this.waitingBytes -= size;
      this.inFlight.push({ at: now + this.delayMs, piece });
    }
    if (this.waitingBytes <= this.shape.queueBytes && this.source.isPaused()) this.source.resume();
    this.scheduleDelivery();
  }

  private scheduleDelivery(): void {
    const head = this.inFlight[0];
    if (!head || this.deliveryTimer) return;
    this.deliveryTimer = setTimeout(() => this.deliver(), Math.max(0, head.at - performance.now()));
  }

  private deliver(): void {
    this.deliveryTimer = undefined;
    const now = performance.now();
    // Timers fire late, never early; everything that is due goes out together.
    while (this.inFlight.length > 0 && (this.inFlight[0]?.at ?? Infinity) <= now + 0.5) {
      const { piece } = this.inFlight.shift() as { piece: Buffer };
      if (!this.sink.destroyed) this.sink.write(piece);
    }
    this.scheduleDelivery();
    this.finishIfDrained();
  }

  private finishIfDrained(): void {
    if (this.sourceEnded && this.waiting.length === 0 && this.inFlight.length === 0 && !this.sink.destroyed) this.sink.end();
  }
}

function relay(client: Socket, options: LinkOptions): void {
  // Half-open on both sides: a FIN travels the link like data, after what was sent before it.
  const upstream = connect({ port: options.targetPort, host: options.targetHost, allowHalfOpen: true });
  const shape = {
    pieceBytes: options.pieceBytes ?? DEFAULT_LINK.pieceBytes,
    bucketBytes: options.bucketBytes ?? DEFAULT_LINK.bucketBytes,
    queueBytes: options.queueBytes ?? DEFAULT_LINK.queueBytes,
  };
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const outbound = new ShapedDirection(client, upstream, options.rateMbit, options.delayMs, shape);
  const inbound = new ShapedDirection(upstream, client, options.rateMbit, options.delayMs, shape);
  // An error tears both sides down at once; a close ends the other side once its queue has drained.
  const tearDown = (): void => {
    outbound.stop();
    inbound.stop();
    client.destroy();
    upstream.destroy();
  };
  client.on('error', tearDown).on('close', () => {
    inbound.stop();
    outbound.sourceGone();
  });
  upstream.on('error', tearDown).on('close', () => {
    outbound.stop();
    inbound.sourceGone();
  });
}

export async function startLinkEmulator(options: LinkOptions, port = 0): Promise<{ readonly server: Server; readonly port: number }> {
  const server = createServer({ allowHalfOpen: true }, (client) => relay(client, options));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      port: { type: 'string', default: '0' },
      'rate-mbit': { type: 'string', default: String(DEFAULT_LINK.rateMbit) },
      'delay-ms': { type: 'string', default: String(DEFAULT_LINK.delayMs) },
      'piece-bytes': { type: 'string', default: String(DEFAULT_LINK.pieceBytes) },
    },
  });
  const [host, port] = (values.target ?? '').split(/:(?=\d+$)/);
  if (!host || !port) throw new Error('usage: link-emulator --target HOST:PORT [--port 0] [--rate-mbit 50] [--delay-ms 10] [--piece-bytes 1448]');
  if (!(Number(values['piece-bytes']) >= 1)) throw new Error(`--piece-bytes must be 1 or more, not "${values['piece-bytes']}"`);
  const link = await startLinkEmulator(
    { targetHost: host, targetPort: Number(port), rateMbit: Number(values['rate-mbit']), delayMs: Number(values['delay-ms']), pieceBytes: Number(values['piece-bytes']) },
    Number(values.port),
  );
  if (process.send) {
    process.send({ type: 'listening', port: link.port });
    process.on('disconnect', () => process.exit(0));
  } else process.stdout.write(`listening ${link.port}\n`);
}

if (process.argv[1]?.endsWith('link-emulator.js')) {
  main().catch((error: unknown) => {
    process.stderr.write(`link-emulator: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
