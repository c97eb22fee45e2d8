// A bearer token read from a file that may rotate under kubegate (tokenFile, projected service-account tokens).

import { credentialError } from '../errors.js';
import { createFileReader, type FileCheckOptions } from './material.js';

export interface TokenFileSource {
  /** `Bearer <token>` for the current file contents. */
  authorization(): string;
  invalidate(): void;
  /** The last problem reading the file, while the last good token is still being used. */
  readonly problem: string | undefined;
}

export interface TokenFileOptions extends FileCheckOptions {
  /** Told when a changed file gave a new token (success) or could not be used (failure). */
  readonly onRefresh?: (outcome: 'success' | 'failure') => void;
}

/**
 * client-go trims the token and, when a later read fails or yields nothing, keeps the last good
 * one (transport/token_source.go). The first read must succeed.
 */
export function createTokenFileSource(path: string, options: TokenFileOptions = {}): TokenFileSource {
  const reader = createFileReader(path, options);
  let lastGood: string | undefined;
  let lastRaw: Buffer | undefined;
  let problem: string | undefined;

  const authorization = (): string => {
    let raw: Buffer;
    try {
      raw = reader.read();
    } catch (error) {
      if (problem === undefined) options.onRefresh?.('failure');
      problem = `Unable to rotate token: ${(error as Error).message}`;
      if (lastGood !== undefined) return lastGood;
      throw credentialError(`cannot read the token file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, error);
    }
    if (raw === lastRaw && lastGood !== undefined) return lastGood;
    lastRaw = raw;
    const token = raw.toString('utf8').trim();
    if (token === '') {
      if (problem === undefined) options.onRefresh?.('failure');
      problem = `Unable to rotate token: read empty token from file ${path}`;
      if (lastGood !== undefined) return lastGood;
      throw credentialError(`the token file ${path} is empty`);
    }
    problem = undefined;
    const next = `Bearer ${token}`;
    if (lastGood !== undefined && next !== lastGood) options.onRefresh?.('success');
    lastGood = next;
    return lastGood;
  };

  return {
    authorization,
    invalidate: () => reader.invalidate(),
    get problem() {
      return problem;
    },
  };
}
