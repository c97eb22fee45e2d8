// A bearer token read from a file that may rotate under kubegate (tokenFile, projected service-account tokens).

import { constants, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { credentialError } from '../errors.js';
import { fileKind, RECHECK_INTERVAL_MS, type FileCheckOptions } from './material.js';

export interface TokenFileSource {
  /**
   * `Bearer <token>` for the current file contents: the cached value, synchronously, while the file
   * is unchanged; a Promise for one asynchronous read when it changed (or could not be used).
   */
  authorization(): string | Promise<string>;
  /**
   * The check authorization() would make once the interval ran out, made now and only then, and
   * only for a token in use (one read before and no look under way): never the first read.
   */
  recheck(): void;
  invalidate(): void;
  /** The last problem reading the file, while the last good token is still being used. */
  readonly problem: string | undefined;
}

/** How long one look at the token file may take before that request fails (a hung NFS mount, say). */
export const TOKEN_READ_TIMEOUT_MS = 5_000;

export interface TokenFileOptions extends FileCheckOptions {
  /** Told when a changed file gave a new token (success) or could not be used (failure). */
  readonly onRefresh?: (outcome: 'success' | 'failure') => void;
  /** Defaults to TOKEN_READ_TIMEOUT_MS. */
  readonly readTimeoutMs?: number;
  /** Test hook: replaces the look at the file (a read that never finishes stands for a hung mount). */
  readonly readFileForTest?: typeof readIfChanged;
}

function fingerprint(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * One look at the file: its contents, or undefined when its fingerprint is `known` (unchanged).
 * O_NONBLOCK: a FIFO put in its place opens at once instead of holding a thread of libuv's pool (and
 * every request) until a writer comes; the descriptor's own fstat then refuses it (issue 13).
 */
async function readIfChanged(path: string, known: string | undefined): Promise<{ print: string; data: Buffer | undefined }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw Object.assign(new Error(`not a regular file (${fileKind(stats)})`), { code: 'ENOTREG' });
    const print = fingerprint(stats);
    return { print, data: print === known ? undefined : await handle.readFile() };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The synchronous part of the hot path, once per recheck interval: a stat, never a read. A stat does
 * not wait for a FIFO's writer (only an open does), so a file swapped for one shows as changed here
 * and is then looked at asynchronously.
 */
function unchanged(path: string, known: string | undefined): boolean {
  try {
    return known !== undefined && fingerprint(statSync(path)) === known;
  } catch {
    return false;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, path: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`reading it took longer than ${ms} ms`), { code: 'ETIMEDOUT', path })), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code === 'ENOTREG' || code === 'ETIMEDOUT' || code === undefined ? message : code;
}

/**
 * client-go trims the token and, when a later read fails or yields nothing, keeps the last good
 * one (transport/token_source.go). The first read must succeed. No read blocks the event loop: once
 * per recheck interval a stat tells whether the file changed; only a changed (or failing) file is
 * read, asynchronously (one look shared by the requests that arrive meanwhile), and a look that
 * takes too long fails only the requests waiting for it; the next request after that looks again.
 */
export function createTokenFileSource(path: string, options: TokenFileOptions = {}): TokenFileSource {
  const recheckMs = options.recheckMs ?? RECHECK_INTERVAL_MS;
  const now = options.now ?? (() => performance.now());
  const timeoutMs = options.readTimeoutMs ?? TOKEN_READ_TIMEOUT_MS;
  let lastGood: string | undefined;
  let print: string | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let problem: string | undefined;
  let looking: Promise<string> | undefined;

  const failed = (reason: string, error?: unknown): string => {
    if (problem === undefined) options.onRefresh?.('failure');
    problem = `Unable to rotate token: ${reason}`;
    if (lastGood !== undefined) return lastGood;
    throw credentialError(`cannot use the token file ${path}: ${reason}`, error);
  };

  const look = async (): Promise<string> => {
    let read: { print: string; data: Buffer | undefined };
    try {
      read = await withTimeout((options.readFileForTest ?? readIfChanged)(path, print), timeoutMs, path);
    } catch (error) {
      print = undefined;
      return failed(`cannot read the token file ${path}: ${reasonOf(error)}`, error);
    } finally {
      checkedAt = now();
    }
    if (read.data === undefined && lastGood !== undefined && problem === undefined) return lastGood;
    print = read.print;
    const token = (read.data ?? Buffer.alloc(0)).toString('utf8').trim();
    if (token === '') return failed(`read empty token from file ${path}`);
    problem = undefined;
    const next = `Bearer ${token}`;
    if (lastGood !== undefined && next !== lastGood) options.onRefresh?.('success');
    lastGood = next;
    return lastGood;
  };

  const authorization = (): string | Promise<string> => {
    if (lastGood !== undefined && now() - checkedAt < recheckMs) return lastGood;
    if (lastGood !== undefined && problem === undefined && looking === undefined && unchanged(path, print)) {
      checkedAt = now();
      return lastGood;
    }
    looking ??= look().finally(() => (looking = undefined));
    // Handled here too: a caller that only peeks (expiresAt) and drops the Promise causes no unhandled rejection.
    looking.catch(() => undefined);
    return looking;
  };

  return {
    authorization,
    recheck() {
      if (lastGood === undefined || looking !== undefined || now() - checkedAt < recheckMs) return;
      // Synchronous when unchanged; a changed file starts the look a request would have started.
      void authorization();
    },
    // After a 401 the file is looked at again at once; an unchanged one keeps its token synchronously,
    // so the proxy sees "same credential" and does not retry a token the server just refused.
    invalidate: () => {
      checkedAt = Number.NEGATIVE_INFINITY;
    },
    get problem() {
      return problem;
    },
  };
}
