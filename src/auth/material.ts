// Reads certificate, key and token files, re-reading them when they change on disk (rotation without restart).

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import type { MaterialSource } from '../kubeconfig/rest-config.js';
import type { ClientCertificate } from './credentials.js';

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
 * Reads a file that must be a regular one. O_NONBLOCK makes the open of a FIFO put in its place
 * return at once (a blocking open would wait for a writer, and with it every request: issue 13);
 * the descriptor's own fstat then refuses it.
 */
export function readRegularFile(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw Object.assign(new Error(`${path} is not a regular file (${fileKind(stats)})`), { code: 'ENOTREG' });
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a file';
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
  /** After invalidate(): the bytes last read, so a re-read that finds them again hands back the same Buffer. */
  let dropped: Buffer | undefined;
  return {
    read() {
      const time = now();
      if (cached && time - cached.checkedAt < recheckMs) return cached.data;
      const print = fingerprint(statSync(path));
      if (cached?.print === print) {
        cached.checkedAt = time;
        return cached.data;
      }
      const read = readRegularFile(path);
      // The same object for the same bytes: the pool is rebuilt (new TLS handshakes) only for new material.
      const data = dropped?.equals(read) ? dropped : read;
      dropped = undefined;
      cached = { print, data, checkedAt: time };
      return data;
    },
    invalidate() {
      dropped = cached?.data ?? dropped;
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

/** Where material came from, as a message names it: the file, or the kubeconfig field of inline data. */
function describeSource(source: MaterialSource): string {
  return source.kind === 'file' ? source.path : source.origin;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Messages name the problem, never the material: keep only the first line, no PEM can ride along.
  return (message.split('\n')[0] ?? '').slice(0, 200);
}

/** Why a CA bundle would not verify anything: no certificate in it, or one that does not parse. */
function caProblem(data: Buffer): string | undefined {
  const blocks = data.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'no PEM certificate in it';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return reasonOf(error);
    }
  }
  return undefined;
}

/** Why a certificate and key could not be used together, naming the file at fault. */
function pairProblem(pair: ClientCertificate, cert: string, key: string): string | undefined {
  try {
    new X509Certificate(pair.cert);
  } catch (error) {
    return `client certificate file ${cert} is not usable (${reasonOf(error)})`;
  }
  try {
    createPrivateKey(pair.key);
  } catch (error) {
    return `client key file ${key} is not usable (${reasonOf(error)})`;
  }
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (error) {
    return `client certificate file ${cert} is not usable (it does not match the key in ${key}: ${reasonOf(error)})`;
  }
  return undefined;
}

export interface TlsMaterialSources {
  readonly ca?: MaterialSource | undefined;
  readonly cert?: MaterialSource | undefined;
  readonly key?: MaterialSource | undefined;
}

export interface TlsMaterialOptions extends FileCheckOptions {
  /** Told once per change of a file that cannot be used (the CLI logs it as a warning). */
  readonly onProblem?: (message: string) => void;
  /** Wall-clock time for "loaded at" (tests pass their own). */
  readonly wallClock?: () => Date;
}

/** The CA and client certificate for new connections, each the last good one on disk. */
export interface TlsMaterial {
  certificateAuthority(): Buffer | undefined;
  clientCertificate(): ClientCertificate | undefined;
  /** What is wrong on disk right now while older material is still used; empty when all is well. */
  problems(): readonly string[];
  invalidate(): void;
}

interface KeptValue<T> {
  /** The last good value, or undefined before the first. */
  current(): T | undefined;
  readonly problem: string | undefined;
}

/**
 * client-go keeps the certificate it loaded while a rotated file is unreadable or garbage (its cert
 * rotation reloads only what parses): a file replaced by garbage or a key that no longer matches
 * leaves kubegate on the last good material, says so once per change, and reports it for /readyz.
 */
function keepLastGood<T>(read: () => T, same: (a: T, b: T) => boolean, problemOf: (value: T) => string | undefined, describe: (error: unknown) => string, options: TlsMaterialOptions): KeptValue<T> {
  const wallClock = options.wallClock ?? (() => new Date());
  let good: { value: T; loadedAt: Date } | undefined;
  /** The last value read and what was wrong with it, so an unchanged file is judged only once. */
  let seen: { value: T; problem: string | undefined } | undefined;
  let problem: string | undefined;
  const report = (message: string): void => {
    if (message !== problem) options.onProblem?.(message);
    problem = message;
  };
  const still = (message: string): string => (good ? `${message}; still using the one loaded at ${good.loadedAt.toISOString()}` : message);
  return {
    current() {
      let value: T;
      try {
        value = read();
      } catch (error) {
        report(still(describe(error)));
        return good?.value;
      }
      if (seen === undefined || !same(seen.value, value)) {
        const found = problemOf(value);
        seen = { value, problem: found === undefined ? undefined : still(found) };
        if (found === undefined) good = { value, loadedAt: wallClock() };
        // Said once per change of the file, even when two kinds of garbage read alike.
        else options.onProblem?.(seen.problem as string);
      }
      problem = seen.problem;
      if (problem === undefined) return value;
      // Nothing good yet: hand out what there is, so the TLS error names the problem as before.
      return good?.value ?? value;
    },
    get problem() {
      return problem;
    },
  };
}

export function createTlsMaterial(sources: TlsMaterialSources, options: TlsMaterialOptions = {}): TlsMaterial {
  const readers = [sources.ca, sources.cert, sources.key].map((source) => (source ? createMaterialReader(source, options) : undefined));
  const [caReader, certReader, keyReader] = readers;
  const caName = sources.ca ? describeSource(sources.ca) : '';
  const ca =
    caReader &&
    keepLastGood(
      () => caReader.read(),
      (a, b) => a === b,
      (data) => {
        const problem = caProblem(data);
        return problem === undefined ? undefined : `certificate authority file ${caName} is not usable (${problem})`;
      },
      (error) => `certificate authority file ${caName} is not usable (${reasonOf(error)})`,
      options,
    );
  const certName = sources.cert ? describeSource(sources.cert) : '';
  const keyName = sources.key ? describeSource(sources.key) : '';
  const pair =
    certReader && keyReader
      ? keepLastGood<ClientCertificate>(
          () => ({ cert: certReader.read(), key: keyReader.read() }),
          (a, b) => a.cert === b.cert && a.key === b.key,
          (value) => pairProblem(value, certName, keyName),
          (error) => `client certificate file ${certName} or key file ${keyName} is not usable (${reasonOf(error)})`,
          options,
        )
      : undefined;
  let lastPair: ClientCertificate | undefined;
  return {
    certificateAuthority: () => ca?.current(),
    clientCertificate() {
      const next = pair?.current();
      // Same buffers → same object, so the connector can tell nothing changed.
      if (next !== undefined && (lastPair?.cert !== next.cert || lastPair.key !== next.key)) lastPair = next;
      return next === undefined ? undefined : lastPair;
    },
    problems: () => [ca?.problem, pair?.problem].filter((problem): problem is string => problem !== undefined),
    invalidate() {
      for (const reader of readers) reader?.invalidate();
    },
  };
}
