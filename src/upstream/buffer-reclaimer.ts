// Frees the buffers of inflated answers with a minor collection while the body is still arriving,
// instead of leaving them to the full collection V8's external-memory limit forces.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Each chunk zlib inflates is a fresh ArrayBuffer (inflate.ts: the bench's 2,000-pod LIST makes 28
 * of 256 KiB, 7 MB). They are garbage once the client has them, but kubegate makes so few JavaScript
 * objects that V8's young generation seldom fills, so no scavenge frees them; their bytes count as
 * external memory, and its growth makes V8 start a full mark-compact ("external memory pressure" in
 * --trace-gc). On the bench's WAN run that was one full collection every 4 or so plain LISTs: a 5 to
 * 8 ms pause plus marking steps of up to 16 ms with one CPU, often inside the next request. A minor
 * collection (a scavenge of a young generation holding little else) frees them in about 0.5 ms, and
 * it is made while the answer is still crossing the link, when the proxy is waiting anyway.
 * Measured (`node dist/test/bench/bench.js --upstream precomputed --only wan --rounds 1 --wan-fetches
 * 60 --kubectl-again off --timeline`, 122 LISTs, half of them plain): 32 full collections and 10
 * minor before, 1 full and 210 minor after; README "Performance" has the WAN pairs.
 */
export const RECLAIM_STEP_BYTES = 2 * 1024 * 1024;

/** Runs one minor collection (a scavenge), synchronously. */
export type MinorCollection = () => void;

export interface BufferReclaimer {
  /** `bytes` more of short-lived buffers were handed out (and written on). */
  handedOut(bytes: number): void;
}

/**
 * V8's own collector: the program's `gc` when node runs with --expose-gc, else reached the way that
 * flag does, set at run time for one throwaway context (the flag is read when a context is made, so
 * nothing else gets `gc`) and unset again. Undefined if this V8 refuses: kubegate then leaves
 * collection to V8, as before.
 */
export function v8MinorCollection(): MinorCollection | undefined {
  let gc: unknown = (globalThis as { gc?: unknown }).gc;
  try {
    if (typeof gc !== 'function') {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc');
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    return undefined;
  }
  if (typeof gc !== 'function') return undefined;
  const collect = gc as (options: { type: 'minor' }) => void;
  return () => collect({ type: 'minor' });
}

/**
 * One collection per `stepBytes` handed out, queued with setImmediate so that it runs after the
 * chunk that crossed the step was handed to the client's socket (over a slow client it may still be
 * queued there, and then survives this collection); several steps in one turn of the event loop
 * (many answers inflating at once) queue one. A collector that throws is not called again.
 */
export function createBufferReclaimer(collect: MinorCollection | undefined, stepBytes = RECLAIM_STEP_BYTES): BufferReclaimer {
  let collector = collect;
  let since = 0;
  let queued = false;
  return {
    handedOut(bytes) {
      if (collector === undefined) return;
      since += bytes;
      if (since < stepBytes || queued) return;
      queued = true;
      setImmediate(() => {
        // What was handed out until now goes with this collection too.
        since = 0;
        queued = false;
        try {
          collector?.();
        } catch {
          collector = undefined;
        }
      });
    },
  };
}

let processReclaimer: BufferReclaimer | undefined;

/** The process's reclaimer for inflated answers, set up by the first one (importing touches no V8 flag). */
export function inflatedBufferReclaimer(): BufferReclaimer {
  processReclaimer ??= createBufferReclaimer(v8MinorCollection());
  return processReclaimer;
}
