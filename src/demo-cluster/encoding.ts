// JSON text as kube-apiserver writes it (Go's encoding/json), so what a reader sees from the demo is
// what a real cluster sends: the apiserver's serializer writes compact JSON ending in a newline
// (json.Encoder), or, when the request asks for it, json.MarshalIndent with two spaces and no final
// newline (apimachinery's runtime/serializer/json). Both escape <, > and & (Go's default HTML escaping).

/** How a response body is formatted, after the apiserver code path that writes it. */
export type JsonFormat =
  /** API objects, lists, Status and discovery: pretty when prettyRequested says so (WriteObjectNegotiated). */
  | 'negotiated'
  /** /version: always indented (responsewriters.WriteRawJSON). */
  | 'indented'
  /** OpenAPI documents: json.Marshal bytes as served, compact with no final newline (kube-openapi). */
  | 'raw';

/** strconv.ParseBool's true spellings; anything else, its false spellings and errors included, is false. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** User-Agent prefixes the apiserver treats as a human at a terminal or a browser (negotiation.isPrettyPrint). */
const HUMAN_AGENTS = ['curl', 'Wget', 'Mozilla/5.0'];

/**
 * kube-apiserver's rule: a non-empty `pretty` query parameter decides alone (parsed as a Go bool);
 * without one, curl, Wget and browsers get indented JSON and every other client compact JSON.
 */
export function prettyRequested(target: string, userAgent: string | undefined): boolean {
  const queryStart = target.indexOf('?');
  const pretty = queryStart === -1 ? null : new URLSearchParams(target.slice(queryStart + 1)).get('pretty');
  if (pretty) return GO_TRUE.has(pretty);
  const agent = userAgent ?? '';
  return HUMAN_AGENTS.some((prefix) => agent.startsWith(prefix));
}

const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** Go escapes these inside strings; they cannot occur outside a string in JSON text, so a global replace is exact. */
function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** The body Go's encoder would write for `value` on the given path. */
export function encodeJson(value: unknown, format: JsonFormat, pretty: boolean): string {
  if (format === 'indented' || (format === 'negotiated' && pretty)) return escapeLikeGo(JSON.stringify(value, null, 2));
  const compact = escapeLikeGo(JSON.stringify(value));
  return format === 'raw' ? compact : `${compact}\n`;
}
