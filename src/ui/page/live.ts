// The live list: every request kubegate decides, from its event stream; filter, pause, clear, open one.

import { fetchDetail, renderDetail } from './detail.js';
import { byId, clear, el } from './dom.js';
import { bytes, clock, note, resourceText, statusClass, statusText } from './format.js';
import type { Summary } from './types.js';

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'proxy'];
const STATUSES = ['2xx', '3xx', '4xx', '5xx', 'refused', 'open'];
/** The list draws at most this many rows (the newest); the server keeps --ui-history. */
const DRAWN = 1000;

export class LiveList {
  readonly #records = new Map<number, Summary>();
  readonly #queued: Summary[] = [];
  #paused = false;
  #clearedThrough = 0;
  #selected: number | undefined;
  #drawPending = false;
  #detailTimer: number | undefined;
  readonly #waiters = new Set<(s: Summary) => boolean>();

  constructor() {
    fillSelect(byId<HTMLSelectElement>('filter-verb'), VERBS);
    fillSelect(byId<HTMLSelectElement>('filter-status'), STATUSES);
    for (const id of ['filter-verb', 'filter-status', 'filter-resource']) byId(id).addEventListener('input', () => this.#draw());
    byId('pause').addEventListener('click', () => this.#togglePause());
    byId('clear').addEventListener('click', () => this.#clear());
    byId('requests').addEventListener('click', (event) => this.#rowClicked(event));
  }

  /** Connects to kubegate's event stream (EventSource reconnects by itself). */
  connect(): void {
    const status = byId('connection');
    const source = new EventSource('events');
    source.addEventListener('open', () => ((status.textContent = 'live'), (status.className = 'connection live')));
    source.addEventListener('error', () => ((status.textContent = 'reconnecting…'), (status.className = 'connection down')));
    source.addEventListener('snapshot', (event) => {
      this.#records.clear();
      for (const summary of JSON.parse((event as MessageEvent<string>).data) as Summary[]) this.#accept(summary);
      this.#scheduleDraw();
    });
    source.addEventListener('request', (event) => this.#received(JSON.parse((event as MessageEvent<string>).data) as Summary));
  }

  /** Resolves with the first request (held or still to come) that `match` picks, or undefined after `ms`. */
  waitFor(match: (s: Summary) => boolean, ms: number): Promise<Summary | undefined> {
    for (const summary of this.#records.values()) if (match(summary)) return Promise.resolve(summary);
    return new Promise((resolve) => {
      const waiter = (s: Summary): boolean => (match(s) ? (resolve(s), true) : false);
      this.#waiters.add(waiter);
      setTimeout(() => this.#waiters.delete(waiter) && resolve(undefined), ms);
    });
  }

  #received(summary: Summary): void {
    for (const waiter of this.#waiters) if (waiter(summary)) this.#waiters.delete(waiter);
    if (this.#paused) this.#queued.push(summary);
    else this.#accept(summary);
    if (summary.id === this.#selected) this.#refreshDetailSoon();
    this.#scheduleDraw();
  }

  #accept(summary: Summary): void {
    if (summary.id > this.#clearedThrough) this.#records.set(summary.id, summary);
  }

  #togglePause(): void {
    this.#paused = !this.#paused;
    const button = byId('pause');
    button.textContent = this.#paused ? 'Resume' : 'Pause';
    button.classList.toggle('on', this.#paused);
    if (!this.#paused) for (const summary of this.#queued.splice(0)) this.#accept(summary);
    this.#scheduleDraw();
  }

  #clear(): void {
    this.#clearedThrough = Math.max(this.#clearedThrough, ...this.#records.keys(), ...this.#queued.map((s) => s.id));
    this.#records.clear();
    this.#queued.length = 0;
    this.#draw();
  }

  #scheduleDraw(): void {
    if (this.#drawPending) return;
    this.#drawPending = true;
    requestAnimationFrame(() => ((this.#drawPending = false), this.#draw()));
  }

  #draw(): void {
    const shown = [...this.#records.values()].filter(filterFromToolbar()).sort((a, b) => b.id - a.id).slice(0, DRAWN);
    const body = byId('requests').querySelector('tbody') as HTMLTableSectionElement;
    clear(body);
    for (const summary of shown) body.append(row(summary, summary.id === this.#selected));
    byId('empty').hidden = this.#records.size > 0;
    byId('count').textContent = `${shown.length} shown of ${this.#records.size}${this.#paused ? ` (paused, ${this.#queued.length} waiting)` : ''}`;
  }

  #rowClicked(event: Event): void {
    const tr = (event.target as HTMLElement).closest('tr[data-id]');
    if (tr === null) return;
    this.#selected = Number(tr.getAttribute('data-id'));
    this.#draw();
    void this.#showDetail();
  }

  #refreshDetailSoon(): void {
    if (this.#detailTimer !== undefined) return;
    this.#detailTimer = window.setTimeout(() => ((this.#detailTimer = undefined), void this.#showDetail()), 1000);
  }

  async #showDetail(): Promise<void> {
    if (this.#selected === undefined) return;
    const detail = await fetchDetail(this.#selected);
    const target = byId('detail');
    if (detail === undefined) {
      clear(target);
      target.append(el('p', { class: 'hint' }, 'kubegate no longer holds this request (its --ui-history is full).'));
    } else if (detail.id === this.#selected) renderDetail(target, detail);
  }
}

function fillSelect(select: HTMLSelectElement, values: readonly string[]): void {
  select.append(el('option', { value: '' }, 'all'), ...values.map((value) => el('option', {}, value)));
}

function filterFromToolbar(): (s: Summary) => boolean {
  const verb = byId<HTMLSelectElement>('filter-verb').value;
  const status = byId<HTMLSelectElement>('filter-status').value;
  const resource = byId<HTMLInputElement>('filter-resource').value.trim().toLowerCase();
  return (s) => {
    if (verb !== '' && s.verb !== verb) return false;
    if (resource !== '' && !`${resourceText(s)} ${s.url}`.toLowerCase().includes(resource)) return false;
    if (status === 'refused') return s.refusedBy !== null;
    if (status === 'open') return s.open;
    return status === '' || String(s.status).startsWith(status[0] as string);
  };
}

function row(s: Summary, selected: boolean): HTMLTableRowElement {
  const where = [s.namespace, s.name].filter((part) => part !== '').join('/');
  const tr = el(
    'tr',
    { 'data-id': String(s.id), 'data-verb': s.verb, 'data-status': String(s.status), ...(selected ? { class: 'selected' } : {}) },
    el('td', { class: 'mono' }, clock(s.time)),
    el('td', {}, s.method),
    el('td', { 'data-col': 'verb' }, s.verb),
    // A non-resource request (discovery, /version, /healthz) is named by its path.
    resourceText(s) === '' ? el('td', { class: 'mono plain' }, s.url.split('?')[0] ?? '') : el('td', {}, resourceText(s)),
    el('td', {}, where),
    el('td', { class: statusClass(s), 'data-col': 'status' }, statusText(s)),
    el('td', { class: s.refusedBy !== null ? 'refused' : '', 'data-col': 'note' }, note(s)),
    el('td', {}, s.durationMs === null ? '' : String(s.durationMs)),
    el('td', {}, `${bytes(s.bytesIn)} / ${bytes(s.bytesOut)}`),
    el('td', { class: 'mono', title: s.url }, s.url),
  );
  return tr;
}
