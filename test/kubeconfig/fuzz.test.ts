import t from 'tap';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isKubegateError } from '../../src/errors.js';
import { loadRestConfig } from '../../src/kubeconfig/load-rest-config.js';
import { environmentIn } from '../fixtures/kubeconfig/env.js';

// Random and mutated kubeconfig documents: every one gives either a usable configuration or a typed
// error that names the file, never a crash (TypeError, RangeError, a stack trace for the user).

const VALID = {
  apiVersion: 'v1',
  kind: 'Config',
  'current-context': 'c',
  clusters: [{ name: 'k', cluster: { server: 'https://10.0.0.1:6443', 'insecure-skip-tls-verify': true } }],
  users: [{ name: 'u', user: { token: 'fuzz-token' } }],
  contexts: [{ name: 'c', context: { cluster: 'k', user: 'u', namespace: 'default' } }],
};

/** Any JSON-ish value, including the wrong types for every field. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.constantFrom('', '~', 'https://', 'http://[::1', 'https://h:99999', '/nonexistent/file', '..', 'c', 'k', 'u'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('name', 'cluster', 'user', 'context', 'server', 'token', 'exec', 'command', 'apiVersion', 'x'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

type Json = unknown;

/** Replaces the value at a random path of the valid document (or deletes it). */
function mutate(document: Json, path: readonly number[], replacement: Json, remove: boolean): Json {
  if (path.length === 0 || document === null || typeof document !== 'object') return replacement;
  const entries = Array.isArray(document) ? [...document.entries()] : Object.entries(document as Record<string, Json>);
  if (entries.length === 0) return replacement;
  const [first, ...rest] = path;
  const index = (first ?? 0) % entries.length;
  const [key, child] = entries[index] as [string | number, Json];
  const copy: Record<string | number, Json> | Json[] = Array.isArray(document) ? [...document] : { ...(document as Record<string, Json>) };
  if (remove && rest.length === 0) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1);
    else delete (copy as Record<string | number, Json>)[key];
  } else {
    (copy as Record<string | number, Json>)[key] = mutate(child, rest, replacement, remove);
  }
  return copy;
}

const documents = fc.oneof(
  fc.tuple(fc.array(fc.nat(), { maxLength: 5 }), anyValue, fc.boolean()).map(([path, value, remove]) => stringify(mutate(VALID, path, value, remove))),
  anyValue.map((value) => stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.tuple(fc.nat(), fc.string({ maxLength: 5 })).map(([at, text]) => {
    const valid = stringify(VALID);
    const cut = at % valid.length;
    return `${valid.slice(0, cut)}${text}${valid.slice(cut)}`;
  }),
);

t.test('fuzzed kubeconfig documents: a configuration or a typed error naming the file, never a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-fuzz-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'cwd'));
  const file = join(dir, 'kubeconfig');
  let loaded = 0;
  let rejected = 0;
  await fc.assert(
    fc.asyncProperty(documents, async (text) => {
      writeFileSync(file, text);
      try {
        const config = await loadRestConfig({ kubeconfig: file }, environmentIn(dir), { appendServerPath: false });
        if (!(config.serverUrl instanceof URL)) throw new Error('a configuration without a server URL');
        loaded++;
      } catch (error) {
        if (!isKubegateError(error)) throw new Error(`crash on ${JSON.stringify(text)}: ${(error as Error).stack ?? String(error)}`);
        if (error.code !== 'KG_ERR_USAGE' && !error.message.includes(file) && !error.message.includes('kubeconfig')) {
          throw new Error(`error does not say which file: ${error.message}`);
        }
        rejected++;
      }
    }),
    { numRuns: 1500, seed: Number(process.env.KUBEGATE_FC_SEED ?? 20261128) },
  );
  t.ok(loaded > 0 && rejected > 0, `1500 documents: ${loaded} loaded, ${rejected} rejected with a typed error, 0 crashes`);
});
