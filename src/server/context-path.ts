// How a kubeconfig context name is written in kubegate's URLs (`/clusters/NAME/`), and how a request path is split by it.
//
// The one URL form of a name must survive client-go, which decodes a server URL's path and escapes it
// again (Go's url.URL.EscapedPath) before every request: `%2F` comes back as a bare `/`. So every
// byte Go keeps in a path stays as it is, every byte Go escapes is written `%XX` (as Go writes it),
// and the two bytes that would not survive, `/` and `%`, are escaped twice (`%252F`, `%2525`).
// kubectl, curl and the printed kubeconfig then all send exactly this form, and kubegate compares
// bytes: no decoding, no case folding, so one context's path can never be read as another's.

/** The path under which served contexts live. */
export const CLUSTERS_PATH = '/clusters/';

const HEX = '0123456789ABCDEF';

/** Bytes Go's EscapedPath writes unescaped in a path, minus `/` (and `%`, which is not among them). */
function keptInPath(byte: number): boolean {
  if ((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39)) return true;
  return '-._~$&+,:;=@'.includes(String.fromCharCode(byte));
}

function percent(byte: number): string {
  return `%${HEX[byte >> 4] as string}${HEX[byte & 15] as string}`;
}

/** The URL path segment for a context name (its UTF-8 bytes; see the file comment for the rule). */
export function contextSegment(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    if (keptInPath(byte)) out += String.fromCharCode(byte);
    else if (byte === 0x2f || byte === 0x25) out += `%25${percent(byte).slice(1)}`;
    else out += percent(byte);
  }
  return out;
}

/**
 * Why a name cannot live under /clusters/, or undefined: a segment of dots (`.`, `..`) is removed by
 * every client's path cleaning (client-go's path.Join, Go's mux), whatever its escaping.
 */
export function unservableName(name: string): string | undefined {
  if (name === '.' || name === '..') return `context ${JSON.stringify(name)} cannot be served under ${CLUSTERS_PATH}: HTTP clients remove a path segment "${name}"; rename the context`;
  return undefined;
}

/** `/clusters/NAME` for a name, as written in URLs and the printed kubeconfig (no trailing slash). */
export function contextPath(name: string): string {
  return `${CLUSTERS_PATH}${contextSegment(name)}`;
}

/** Where a request path (raw, as received) points in the multi-context layout. */
export type ContextPathMatch =
  /** `/clusters/`: the list of served contexts. */
  | { readonly kind: 'listing' }
  /** `/clusters`: Go's mux would redirect to the slash form. */
  | { readonly kind: 'listing-redirect' }
  /** Not under /clusters/ at all. */
  | { readonly kind: 'outside' }
  /** `/clusters/SEGMENT...` where SEGMENT is no served context's URL form. */
  | { readonly kind: 'unknown'; readonly segment: string }
  /** `/clusters/SEGMENT` with nothing after it: redirect to the slash form. */
  | { readonly kind: 'context-redirect'; readonly segment: string }
  /** A served context; `rest` is the raw path after `/clusters/SEGMENT` (starts with `/`). */
  | { readonly kind: 'context'; readonly segment: string; readonly rest: string };

/**
 * Splits a raw request path by its first two segments. `segments` are the served contexts' URL
 * forms; the match is byte for byte on the path as received.
 */
export function matchContextPath(rawPath: string, segments: { has(segment: string): boolean }): ContextPathMatch {
  if (rawPath === '/clusters') return { kind: 'listing-redirect' };
  if (!rawPath.startsWith(CLUSTERS_PATH)) return { kind: 'outside' };
  const afterPrefix = rawPath.slice(CLUSTERS_PATH.length);
  if (afterPrefix === '') return { kind: 'listing' };
  const slash = afterPrefix.indexOf('/');
  const segment = slash === -1 ? afterPrefix : afterPrefix.slice(0, slash);
  if (!segments.has(segment)) return { kind: 'unknown', segment };
  if (slash === -1) return { kind: 'context-redirect', segment };
  return { kind: 'context', segment, rest: afterPrefix.slice(slash) };
}
