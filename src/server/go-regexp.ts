// Go's regexp.Compile + MatchString for kubectl's filter flags, on re2js (a port of RE2 with Go's
// syntax and linear-time matching), so a pattern means in kubegate what it means in kubectl.

import { RE2JS } from 're2js';
import { GO_UNICODE_CLASSES } from './go-unicode-classes.js';

/** A compiled Go regexp; `test` is Go's MatchString: an unanchored search. */
export interface GoRegexp {
  test(text: string): boolean;
}

/**
 * Each escape in a pattern, as one token, so `\\p` (a literal backslash, then p) and `\Q\p{Cn}\E`
 * (quoted text) are never read as a Unicode class. Group 1 is a `\p`/`\P` class name.
 */
const ESCAPE = /\\(?:Q[\s\S]*?(?:\\E|$)|[pP](\{[^}]*\}|[\s\S])?|[\s\S])/g;

/**
 * re2js knows Unicode class names that Go 1.23 does not (see go-unicode-classes.ts); Go refuses a
 * pattern using one, with this message, so kubegate refuses it too.
 */
function checkUnicodeClasses(source: string): void {
  for (const match of source.matchAll(ESCAPE)) {
    const spelled = match[1];
    if (spelled === undefined) continue;
    const braced = spelled.startsWith('{');
    const name = (braced ? spelled.slice(1, -1) : spelled).replace(/^\^/, '');
    if (!GO_UNICODE_CLASSES.has(name)) {
      throw new Error(`error parsing regexp: invalid character class range: \`${match[0]}\``);
    }
  }
}

/** Go's regexp.Compile: Perl-like RE2 syntax (re2js's default flags), refusing what Go refuses. */
export function compileGoRegexp(source: string): GoRegexp {
  checkUnicodeClasses(source);
  const compiled = RE2JS.compile(source);
  return { test: (text) => compiled.test(text) };
}
