// One request opened: what kubegate recorded of it, redacted on the server before it was sent here.

import { clear, el } from './dom.js';
import { resourceText, statusText } from './format.js';
import type { Detail } from './types.js';

function headerTable(headers: Readonly<Record<string, string | string[]>>): HTMLElement {
  const names = Object.keys(headers);
  if (names.length === 0) return el('p', { class: 'hint' }, 'none');
  const rows = names.map((name) => {
    const value = headers[name] as string | string[];
    return el('tr', {}, el('td', {}, name), el('td', { class: 'mono' }, Array.isArray(value) ? value.join(', ') : value));
  });
  return el('table', { class: 'headers' }, el('tbody', {}, ...rows));
}

function facts(detail: Detail): HTMLElement {
  const pairs: [string, string][] = [
    ['verb', detail.verb],
    ['resource', resourceText(detail) || '(not a resource)'],
    ['namespace', detail.namespace || '—'],
    ['name', detail.name || '—'],
    ['status', statusText(detail)],
    ['duration', detail.durationMs === null ? 'still open' : `${detail.durationMs} ms`],
    ['bytes', `${detail.bytesIn} in, ${detail.bytesOut} out`],
  ];
  if (detail.stream !== null) pairs.push([detail.stream === 'watch' ? 'watch events' : 'tunnel writes', String(detail.events)]);
  if (detail.refusedBy !== null) pairs.push(['refused by', detail.refusedBy]);
  if (detail.auditId !== null) pairs.push(['Audit-ID', detail.auditId]);
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([name, value]) => [el('dt', {}, name), el('dd', { 'data-fact': name }, value)]));
}

function body(text: string): HTMLElement {
  return text === '' ? el('p', { class: 'hint' }, 'no body') : el('pre', {}, text);
}

export function renderDetail(target: HTMLElement, detail: Detail): void {
  clear(target);
  target.append(
    el('h2', { class: 'mono' }, `${detail.method} ${detail.url}`),
    facts(detail),
    el('h3', {}, 'as kubectl'),
    detail.kubectl === null ? el('p', { class: 'hint' }, 'no kubectl command sends exactly this request') : el('pre', { class: 'kubectl' }, detail.kubectl),
    el('h3', {}, 'as curl'),
    el('pre', { class: 'curl' }, detail.curl),
    el('h3', {}, 'request headers (from the client)'),
    headerTable(detail.requestHeaders),
    el('h3', {}, 'request body'),
    body(detail.requestBody),
    el('h3', {}, 'response headers'),
    headerTable(detail.responseHeaders),
    el('h3', {}, 'response body (first 4 KiB)'),
    body(detail.responseBody),
  );
}

export async function fetchDetail(id: number): Promise<Detail | undefined> {
  const answer = await fetch(`requests/${id}`, { cache: 'no-store' });
  return answer.ok ? ((await answer.json()) as Detail) : undefined;
}
