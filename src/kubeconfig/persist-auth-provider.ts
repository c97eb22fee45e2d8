// Writes refreshed auth-provider values (an OIDC id-token, a rotated refresh-token) back into the kubeconfig file they came from.

import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type YAMLMap } from 'yaml';
import { fileError } from '../errors.js';
import { YAML_OPTIONS } from './parse.js';

/** A plain YAML scalar needs no quotes: JWTs and opaque tokens are letters, digits and `-_.~+/=`. */
const PLAIN_SAFE = /^[A-Za-z0-9_~+/=][A-Za-z0-9._~+/=-]*$/;

function render(value: string): string {
  return PLAIN_SAFE.test(value) && !/^(?:y|n|yes|no|on|off|true|false|null|~|[-+.0-9].*)$/i.test(value) ? value : JSON.stringify(value);
}

function configMap(document: Document, userName: string): YAMLMap | undefined {
  const users = document.get('users', true);
  if (!isSeq(users)) return undefined;
  for (const item of users.items) {
    if (!isMap(item) || item.get('name') !== userName) continue;
    const config = item.getIn(['user', 'auth-provider', 'config'], true);
    return isMap(config) ? config : undefined;
  }
  return undefined;
}

/**
 * Replaces only the bytes of each value (comments, order, quoting and line breaks elsewhere stay as
 * they were); a key that is missing, or a value written as a block scalar, falls back to
 * re-rendering the document with the yaml package, which keeps comments.
 */
export function updateAuthProviderConfig(text: string, userName: string, updates: Readonly<Record<string, string>>): string | undefined {
  // Read as parse.ts reads kubeconfig (go-yaml's YAML 1.1), so the entry found here is the one that was loaded.
  const document = parseDocument(text, { ...YAML_OPTIONS, keepSourceTokens: true });
  const config = configMap(document, userName);
  if (config === undefined) return undefined;
  const splices: { start: number; end: number; text: string }[] = [];
  let rerender = false;
  for (const [key, value] of Object.entries(updates)) {
    const node = config.get(key, true);
    const inline = isScalar(node) && node.range && (node.type === Scalar.PLAIN || node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE);
    if (inline && node.range) splices.push({ start: node.range[0], end: node.range[1], text: render(value) });
    else rerender = true;
    config.set(key, value);
  }
  if (rerender) return document.toString();
  let result = text;
  for (const splice of splices.sort((a, b) => b.start - a.start)) result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
  return result;
}

/** Atomic: a temporary file beside it, with the same mode, renamed over it (an editor or kubectl never sees half a file). */
export async function persistAuthProviderConfig(file: string, userName: string, updates: Readonly<Record<string, string>>): Promise<void> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const updated = updateAuthProviderConfig(text, userName, updates);
    if (updated === undefined) throw new Error(`user "${userName}" has no auth-provider config in it any more`);
    const temporary = `${file}.kubegate-${process.pid}.tmp`;
    await writeFile(temporary, updated, { mode: info.mode & 0o777 });
    await rename(temporary, file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw fileError(`could not persist new tokens to ${file}: ${reason}`, error);
  }
}
