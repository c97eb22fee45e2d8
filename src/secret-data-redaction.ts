// Hides the values of Secret `data`/`stringData` in a -v=9 body excerpt, JSON or YAML, whole or cut short.

/**
 * Keys whose values are secret in a Secret, whatever their own names (`tls.key`, `x`): everything under
 * `data` and `stringData`, and kubectl apply's copy of the whole object in its annotation.
 */
const SENSITIVE_KEYS = new Set(['data', 'stringData', 'kubectl.kubernetes.io/last-applied-configuration']);

/** Top-level kinds that carry Secrets' data; a document whose kind is unknown is treated the same. */
const SECRET_CARRYING_KINDS = new Set(['Secret', 'SecretList', 'List']);

export const REDACTED = '[REDACTED]';

interface DocumentFacts {
  /** The document's own kind (a watch event's object's kind when the event has none). */
  kind: string | undefined;
  /** Some object in it says `kind: Secret` (a List, a Table with objects, a watch event). */
  mentionsSecret: boolean;
}

/**
 * Only documents known to be something else keep their `data`: a body cut before its `kind` (kubectl
 * apply sorts `data` before `kind`), a patch without one, or a watch event all count as Secrets.
 */
function carriesSecrets(facts: DocumentFacts | undefined): boolean {
  if (facts === undefined || facts.kind === undefined || facts.mentionsSecret) return true;
  return SECRET_CARRYING_KINDS.has(facts.kind);
}

interface Frame {
  readonly kind: 'object' | 'array';
  /** Under a sensitive key: every string value inside is secret. */
  readonly sensitive: boolean;
  /** The object's current key, or undefined while a key is expected. */
  key: string | undefined;
  expectKey: boolean;
}

interface StringSpan {
  /** Offsets of the string's contents, without its quotes (to the end of the text when cut). */
  readonly start: number;
  readonly end: number;
  readonly document: number;
}

/** The end of a string starting after its opening quote: the closing quote's index, or text.length if cut. */
function stringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === '"') return i;
  }
  return text.length;
}

function noteKind(facts: DocumentFacts, stack: readonly Frame[], value: string): void {
  if (value === 'Secret' || value === 'SecretList') facts.mentionsSecret = true;
  const parent = stack[stack.length - 2];
  if (stack.length === 1) facts.kind = value;
  else if (stack.length === 2 && parent?.key === 'object') facts.kind ??= value;
}

/**
 * A tolerant scanner over a JSON text or a prefix of one (several documents, as a watch stream has):
 * it finds the string values under sensitive keys and each document's kind, never throwing.
 */
function scanJson(text: string): { spans: StringSpan[]; documents: DocumentFacts[] } {
  const spans: StringSpan[] = [];
  const documents: DocumentFacts[] = [];
  const stack: Frame[] = [];
  let document = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === '{' || ch === '[') {
      const sensitive = top !== undefined && (top.sensitive || (top.kind === 'object' && SENSITIVE_KEYS.has(top.key ?? '')));
      stack.push({ kind: ch === '{' ? 'object' : 'array', sensitive, key: undefined, expectKey: ch === '{' });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      if (stack.length === 0) document++;
    } else if (ch === ',' && top?.kind === 'object') top.expectKey = true;
    else if (ch === ':' && top?.kind === 'object') top.expectKey = false;
    else if (ch === '"') {
      const end = stringEnd(text, i + 1);
      const value = text.slice(i + 1, end);
      const facts = (documents[document] ??= { kind: undefined, mentionsSecret: false });
      if (top?.kind === 'object' && top.expectKey) top.key = value;
      else if (top !== undefined) {
        if (top.sensitive || (top.kind === 'object' && SENSITIVE_KEYS.has(top.key ?? ''))) spans.push({ start: i + 1, end, document });
        // A kind cut short (`"Sec`) says nothing.
        if (top.kind === 'object' && top.key === 'kind' && end < text.length) noteKind(facts, stack, value);
      }
      i = end;
    }
  }
  return { spans, documents };
}

function redactJsonSecrets(text: string): string {
  const { spans, documents } = scanJson(text);
  let out = '';
  let from = 0;
  for (const span of spans) {
    if (!carriesSecrets(documents[span.document]) || span.end === span.start) continue;
    out += text.slice(from, span.start) + REDACTED;
    from = span.end;
  }
  return out + text.slice(from);
}

/** `key: value` with the key's column; `- ` list markers count as indentation. */
const YAML_KEY_LINE = /^(\s*(?:-\s+)*)("[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:(?=\s|$)(.*)$/;
const YAML_BLOCK_INDICATOR = /^\s*[|>][-+0-9]*\s*$/;

function unquote(key: string): string {
  return /^["'].*["']$/.test(key) ? key.slice(1, -1) : key;
}

function yamlDocumentFacts(lines: readonly string[]): DocumentFacts {
  const facts: DocumentFacts = { kind: undefined, mentionsSecret: false };
  for (const line of lines) {
    const top = /^kind:\s*["']?([A-Za-z]+)/.exec(line);
    if (top) facts.kind ??= top[1];
    if (/^\s*(?:-\s+)*kind:\s*["']?(?:Secret|SecretList)["']?\s*$/.test(line)) facts.mentionsSecret = true;
  }
  return facts;
}

/** A line inside a sensitive block: its value (or, for a continuation line, all of it) replaced. */
function redactYamlLine(line: string): string {
  const match = YAML_KEY_LINE.exec(line);
  if (!match) return `${/^\s*/.exec(line)?.[0] ?? ''}${REDACTED}`;
  const [, indent = '', key = '', value = ''] = match;
  if (value.trim() === '' || YAML_BLOCK_INDICATOR.test(value)) return line;
  return `${indent}${key}: ${REDACTED}`;
}

/** `cut`: the document's last line is where the text was cut, so a `kind: Sec` there says nothing. */
function redactYamlDocument(lines: string[], cut: boolean): void {
  if (!carriesSecrets(yamlDocumentFacts(cut ? lines.slice(0, -1) : lines))) return;
  let sensitiveColumn: number | undefined;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const match = YAML_KEY_LINE.exec(line);
    const column = match ? (match[1] ?? '').length : (/^\s*/.exec(line)?.[0].length ?? 0);
    if (sensitiveColumn !== undefined && column > sensitiveColumn) {
      lines[index] = redactYamlLine(line);
      return;
    }
    sensitiveColumn = undefined;
    if (!match || !SENSITIVE_KEYS.has(unquote(match[2] ?? ''))) return;
    sensitiveColumn = column;
    // A flow mapping or plain value on the key's own line (`data: {x: eA==}`) is hidden whole.
    const value = match[3] ?? '';
    if (value.trim() !== '' && !YAML_BLOCK_INDICATOR.test(value)) lines[index] = `${match[1] ?? ''}${match[2] ?? ''}: ${REDACTED}`;
  });
}

function redactYamlSecrets(text: string): string {
  const lines = text.split('\n');
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i === lines.length || /^---/.test(lines[i] ?? '')) {
      const document = lines.slice(start, i);
      redactYamlDocument(document, i === lines.length);
      lines.splice(start, document.length, ...document);
      start = i + 1;
    }
  }
  return lines.join('\n');
}

/**
 * A Secret's values hidden in a body excerpt, JSON (one or more documents) or YAML, whole or cut at
 * the -v=9 limit: the scanner never needs the end of the text, so a value cut in half is hidden too.
 */
export function redactSecretData(text: string): string {
  if (!/data/i.test(text)) return text;
  return /^\s*[{[]/.test(text) ? redactJsonSecrets(text) : redactYamlSecrets(text);
}
