// What a credential plugin prints is untrusted: shown nowhere raw, logged only redacted and made visible.

import { redactBody, redactUrl } from '../log.js';

/**
 * C0 controls (ESC, CR, NUL, ...), DEL, C1 controls, and the invisible characters that reorder or hide
 * text on a terminal (line/paragraph separators, bidi overrides and isolates: "Trojan Source").
 */
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const INVISIBLE_WITH_LINES = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const codePoint = (character: string): string => `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The text with every control character written out as `U+XXXX` (as kubectl shows ESC as U+001B), so
 * it can neither drive a terminal nor forge log lines. Tabs always stay; newlines stay when `multiline`.
 */
export function visibleText(text: string, multiline = false): string {
  return text.replace(multiline ? INVISIBLE : INVISIBLE_WITH_LINES, codePoint);
}

/** `Bearer <token>` or `Basic <base64>` anywhere in free text. */
const AUTH_SCHEME = /(\b(?:bearer|basic)\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/=-]+/gi;
/** A JWT (ID tokens, service-account tokens): three base64url parts, the first a JSON header (`eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** `name=value` or `name: value` where the name says it is a secret (refresh_token=..., client-secret: ...). */
const SECRET_ASSIGNMENT =
  /(\b(?:[A-Za-z]+[_-])?(?:token|secret|password|passwd|api[_-]?key|credentials?|authorization)["']?\s*[=:]\s*["']?)(?!\[REDACTED\]|bearer\s|basic\s)[^\s"'&,;]+/gi;

/**
 * Plugin stderr for kubegate's own log: credential-shaped strings replaced (log.ts's JSON-field and
 * query-parameter rules, plus bearer tokens, JWTs and `secret=value` assignments), control characters visible.
 */
export function redactPluginOutput(text: string): string {
  const redacted = redactUrl(redactBody(text))
    .replace(AUTH_SCHEME, '$1[REDACTED]')
    .replace(JWT, '[REDACTED]')
    .replace(SECRET_ASSIGNMENT, '$1[REDACTED]');
  return visibleText(redacted, true);
}
