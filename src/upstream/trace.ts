// What -v=9 shows of a body: the first few KiB, credentials and Secret values redacted, the rest counted.

import { redactBody } from '../log.js';

/** How much of a body -v=9 shows, as kubectl's -v=9 cuts long bodies. */
export const TRACE_BODY_LIMIT = 4096;

/** A body excerpt for -v=9: text shown (credentials redacted), anything else described. */
export function describeBody(chunks: readonly Buffer[], totalBytes: number, contentType: string | undefined, contentEncoding: string | undefined): string {
  if (totalBytes === 0) return '';
  if (contentEncoding && contentEncoding !== 'identity') return `[${totalBytes} bytes, ${contentEncoding}-encoded]`;
  if (contentType && !/json|yaml|text|xml/i.test(contentType)) return `[${totalBytes} bytes of ${contentType}]`;
  const text = redactBody(Buffer.concat(chunks).subarray(0, TRACE_BODY_LIMIT).toString('utf8'));
  return totalBytes > TRACE_BODY_LIMIT ? `${text}... [${totalBytes - TRACE_BODY_LIMIT} more bytes]` : text;
}

/** Keeps the first TRACE_BODY_LIMIT bytes of a body for -v=9 while counting all of it. */
export class BodySample {
  readonly chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept < TRACE_BODY_LIMIT) {
      const part = chunk.subarray(0, TRACE_BODY_LIMIT - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
  }
}

/** A header's value as one string (repeated lines joined), for content-type checks. */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
