// How a request's facts read in the list and the detail.

import type { Summary } from './types.js';

export function resourceText(s: Summary): string {
  if (s.resource === '') return '';
  const group = s.apiGroup === '' ? '' : `${s.apiGroup}/`;
  return `${group}${s.resource}${s.subresource === '' ? '' : `/${s.subresource}`}`;
}

export function statusText(s: Summary): string {
  if (s.stream !== null && s.open) return s.status === 0 ? 'opening' : `${s.status} open`;
  if (s.status === 0) return s.open ? '…' : 'no answer';
  return s.cutShort && s.stream === null ? `${s.status} (cut short)` : String(s.status);
}

export function statusClass(s: Summary): string {
  if (s.open && s.stream !== null) return 'sopen';
  return s.status === 0 ? '' : `s${Math.floor(s.status / 100)}`;
}

export function clock(time: number): string {
  const date = new Date(time);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function bytes(n: number): string {
  return n < 1024 ? String(n) : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)}k` : `${(n / 1024 / 1024).toFixed(1)}M`;
}

export function note(s: Summary): string {
  if (s.refusedBy !== null) return `refused: ${s.refusedBy}`;
  if (s.stream === 'watch') return `watch: ${s.events} event${s.events === 1 ? '' : 's'}${s.open ? '' : ', ended'}`;
  if (s.stream === 'tunnel') return `tunnel: ${s.events} write${s.events === 1 ? '' : 's'}${s.open ? '' : ', ended'}`;
  return '';
}
