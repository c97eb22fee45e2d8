// What a credential plugin prints is untrusted: shown nowhere raw, logged and echoed only redacted and made visible.

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
/**
 * `name=value` or `name: value` where the name says it is a secret (refresh_token=..., client-secret: ...).
 * A URL is never the value: "sign in for a token: https://microsoft.com/devicelogin" must stay readable
 * (a secret inside a URL's query is caught by the query-parameter rule instead).
 */
const SECRET_ASSIGNMENT =
  /(\b(?:[A-Za-z]+[_-])?(?:token|secret|password|passwd|api[_-]?key|credentials?|authorization)["']?\s*[=:]\s*["']?)(?!\[REDACTED\]|bearer\s|basic\s|https?:\/\/)[^\s"'&,;]+/gi;

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

/** How long a line without its newline (a prompt such as `Enter MFA code: `) waits for the rest before it is shown. */
export const PARTIAL_LINE_MS = 100;
/** A line longer than this is shown in pieces, so a plugin that never prints a newline cannot grow the buffer. */
const LINE_LIMIT = 4096;

export interface LiveEcho {
  /** More of the plugin's stderr, as it arrives (decoded text). */
  push(text: string): void;
  /** The plugin has exited: show what is left. */
  end(): void;
}

/**
 * The plugin's stderr shown to the person at kubegate's terminal as it comes, as client-go shows it
 * (a device code, an MFA prompt): a line at a time, so each line is redacted whole and its control
 * characters made visible; a trailing prompt without a newline is shown after PARTIAL_LINE_MS.
 */
export function createLiveEcho(write: (text: string) => void): LiveEcho {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  // CRLF line ends are line ends, not a stray U+000D on every line.
  const show = (text: string, newline: boolean): void => {
    if (text !== '' || newline) write(`${redactPluginOutput(text.replace(/\r$/, ''))}${newline ? '\n' : ''}`);
  };
  const flushPartial = (): void => {
    timer = undefined;
    show(pending, false);
    pending = '';
  };
  return {
    push(text) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) show(line, true);
      while (pending.length > LINE_LIMIT) {
        show(pending.slice(0, LINE_LIMIT), false);
        pending = pending.slice(LINE_LIMIT);
      }
      if (pending !== '') timer = setTimeout(flushPartial, PARTIAL_LINE_MS).unref();
    },
    end() {
      if (timer) clearTimeout(timer);
      if (pending !== '') show(pending, true);
      pending = '';
      timer = undefined;
    },
  };
}
