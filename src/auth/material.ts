// Reads certificate, key and token files, re-reading them when they change on disk (rotation without restart).

import { readFileSync, statSync, type Stats } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { MaterialSource } from '../kubeconfig/rest-config.js';

export interface FileReader {
  /** The file's current contents; re-read only when its identity or timestamps changed. */
  read(): Buffer;
  /** Forget the cached contents: the next read() goes to disk. */
  invalidate(): void;
}

function fingerprint(stats: Stats): string {
  // stat follows symlinks, so a kubelet-style `..data` swap changes the inode seen here.
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * How long a stat result is trusted. A stat on every request made 5% of kubegate's CPU at 12,000
 * requests/s with a certificate, key and CA file (npm run bench -- --profile DIR); one per 100 ms
 * per file is free and still shows a rotated file long before anything expires (the kubelet rotates
 * at 80% of a token's life; the issue asks for 2 s). A 401 invalidates at once.
 */
export const RECHECK_INTERVAL_MS = 100;

export interface FileCheckOptions {
  /** Defaults to RECHECK_INTERVAL_MS; 0 stats on every read. */
  readonly recheckMs?: number;
  /** A monotonic clock in milliseconds (tests pass their own). */
  readonly now?: () => number;
}

/**
 * A synchronous stat (at most every RECHECK_INTERVAL_MS) makes a rotated file visible to the next
 * request after it; no watcher can promise that (its event may arrive after the request), and there
 * is no watch to lose when the kubelet swaps the `..data` symlink.
 */
export function createFileReader(path: string, options: FileCheckOptions = {}): FileReader {
  const recheckMs = options.recheckMs ?? RECHECK_INTERVAL_MS;
  const now = options.now ?? (() => performance.now());
  let cached: { readonly print: string; readonly data: Buffer; checkedAt: number } | undefined;
  return {
    read() {
      const time = now();
      if (cached && time - cached.checkedAt < recheckMs) return cached.data;
      const print = fingerprint(statSync(path));
      if (cached?.print === print) {
        cached.checkedAt = time;
        return cached.data;
      }
      const data = readFileSync(path);
      cached = { print, data, checkedAt: time };
      return data;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** Inline `*-data` never changes; files are read through a FileReader. */
export function createMaterialReader(source: MaterialSource, options: FileCheckOptions = {}): FileReader {
  if (source.kind === 'data') {
    return { read: () => source.data, invalidate: () => {} };
  }
  return createFileReader(source.path, options);
}
