// Reads certificate, key and token files, re-reading them when they change on disk (rotation without restart).

import { readFileSync, statSync, type Stats } from 'node:fs';
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
 * A synchronous stat per read costs a few microseconds and makes a rotated file visible to the very
 * next request; no watcher can promise that (its event may arrive after the request).
 */
export function createFileReader(path: string): FileReader {
  let cached: { readonly print: string; readonly data: Buffer } | undefined;
  return {
    read() {
      const print = fingerprint(statSync(path));
      if (cached?.print === print) return cached.data;
      const data = readFileSync(path);
      cached = { print, data };
      return data;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** Inline `*-data` never changes; files are read through a FileReader. */
export function createMaterialReader(source: MaterialSource): FileReader {
  if (source.kind === 'data') {
    return { read: () => source.data, invalidate: () => {} };
  }
  return createFileReader(source.path);
}
