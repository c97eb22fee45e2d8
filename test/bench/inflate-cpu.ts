// CPU per inflated LIST at a few zlib output chunk sizes: the figures behind INFLATED_CHUNK_BYTES
// (src/upstream/inflate.ts). The bench's 2,000-pod LIST, gzipped at level 1 as kube-apiserver does,
// fed in 16 KiB pieces as TLS hands them over; the process's CPU (all threads: zlib runs in libuv's
// pool) per LIST, median of 5 batches of 20. Pin it to one core as the bench pins the proxy:
// `taskset -c 0 node dist/test/bench/inflate-cpu.js`.

import { once } from 'node:events';
import { createGunzip, gzipSync } from 'node:zlib';
import { buildPod, podList } from './pods.js';
import { percentile } from './report.js';
import { BENCH_NAMESPACE, POD_COUNT } from './upstream.js';

const CHUNK_SIZES = [16 * 1024, 64 * 1024, 256 * 1024];
const PIECE_BYTES = 16 * 1024;
const BATCHES = 5;
const PER_BATCH = 20;

async function inflateOnce(pieces: readonly Buffer[], chunkSize: number): Promise<number> {
  const gunzip = createGunzip({ chunkSize });
  let bytes = 0;
  gunzip.on('data', (chunk: Buffer) => (bytes += chunk.length));
  for (const piece of pieces) gunzip.write(piece);
  gunzip.end();
  await once(gunzip, 'end');
  return bytes;
}

async function main(): Promise<void> {
  const plain = Buffer.from(JSON.stringify(podList(Array.from({ length: POD_COUNT }, (_, index) => buildPod(index, BENCH_NAMESPACE)), '1')));
  const gzipped = gzipSync(plain, { level: 1 });
  const pieces = Array.from({ length: Math.ceil(gzipped.length / PIECE_BYTES) }, (_, index) => gzipped.subarray(index * PIECE_BYTES, (index + 1) * PIECE_BYTES));
  process.stdout.write(`LIST: ${(plain.length / 1e6).toFixed(2)} MB, ${(gzipped.length / 1e6).toFixed(2)} MB gzipped, in ${pieces.length} pieces\n`);
  for (const chunkSize of CHUNK_SIZES) {
    for (let warm = 0; warm < 5; warm++) await inflateOnce(pieces, chunkSize);
    const batches: number[] = [];
    for (let batch = 0; batch < BATCHES; batch++) {
      const before = process.cpuUsage();
      for (let run = 0; run < PER_BATCH; run++) if ((await inflateOnce(pieces, chunkSize)) !== plain.length) throw new Error('inflated to the wrong length');
      const used = process.cpuUsage(before);
      batches.push((used.user + used.system) / 1000 / PER_BATCH);
    }
    process.stdout.write(`chunk ${chunkSize / 1024} KiB: ${percentile(batches, 50).toFixed(1)} ms of CPU per LIST (batches ${Math.min(...batches).toFixed(1)}–${Math.max(...batches).toFixed(1)})\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`inflate-cpu: ${(error as Error).message}\n`);
  process.exit(1);
});
