// The API explorer: discovery and OpenAPI v3 read through kubegate; list, get or watch from the page.
// The page never shows a body it fetched itself: it shows kubegate's redacted record of the request.

import { fetchDetail, renderDetail } from './detail.js';
import { readDiscovery, schemaOfKind, OpenApi, type ApiResource, type GroupVersion } from './discovery.js';
import { byId, clear, el } from './dom.js';
import type { LiveList } from './live.js';
import { renderSchema } from './schema.js';

export class Explorer {
  readonly #openApi: OpenApi;
  #loaded = false;
  #watch: AbortController | undefined;

  constructor(
    private readonly prefix: string,
    private readonly live: LiveList,
  ) {
    this.#openApi = new OpenApi(prefix);
  }

  /** Reads discovery the first time the tab is opened (those requests show in the live list). */
  async open(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    const nav = byId('groups');
    try {
      const versions = await readDiscovery(this.prefix);
      clear(nav);
      for (const gv of versions) nav.append(...this.#groupEntries(gv));
    } catch (error) {
      this.#loaded = false;
      clear(nav);
      nav.append(el('p', { class: 'hint' }, `Discovery failed: ${(error as Error).message}`));
    }
  }

  #groupEntries(gv: GroupVersion): HTMLElement[] {
    const title = el('h4', {}, gv.group === '' ? `core ${gv.version}` : `${gv.group}/${gv.version}`);
    const buttons = gv.resources
      .filter((resource) => !resource.name.includes('/'))
      .map((resource) => {
        const button = el('button', { type: 'button', 'data-resource': `${gv.group}/${resource.name}` }, resource.name);
        button.addEventListener('click', () => {
          for (const other of byId('groups').querySelectorAll('button.selected')) other.classList.remove('selected');
          button.classList.add('selected');
          this.#show(gv, resource);
        });
        return button;
      });
    return [title, ...buttons];
  }

  #show(gv: GroupVersion, resource: ApiResource): void {
    const panel = byId('resource');
    clear(panel);
    const subresources = gv.resources.filter((r) => r.name.startsWith(`${resource.name}/`)).map((r) => r.name.slice(resource.name.length + 1));
    panel.append(
      el('h2', {}, `${resource.kind} (${resource.name})`),
      el('dl', { class: 'facts' }, ...facts(gv, resource, subresources)),
      el('h3', {}, 'verbs'),
      el('div', { class: 'chips' }, ...resource.verbs.map((verb) => el('span', { class: 'chip' }, verb))),
      el('h3', {}, 'schema (OpenAPI v3)'),
      this.#schemaButton(gv, resource),
      el('h3', {}, 'send a request through kubegate'),
      this.#runForm(gv, resource),
      el('div', { id: 'run-result', class: 'result' }),
    );
  }

  #runForm(gv: GroupVersion, resource: ApiResource): HTMLElement {
    const namespace = el('input', { id: 'run-namespace', placeholder: 'namespace (empty: all)', size: '18', value: resource.namespaced ? 'default' : '' });
    namespace.disabled = !resource.namespaced;
    const name = el('input', { id: 'run-name', placeholder: 'name (empty: list)', size: '22' });
    const get = el('button', { type: 'button', id: 'run-get' }, 'GET');
    const watch = el('button', { type: 'button', id: 'run-watch' }, 'Watch');
    get.addEventListener('click', () => void this.#get(pathFor(gv, resource, namespace.value.trim(), name.value.trim())));
    watch.addEventListener('click', () => this.#toggleWatch(watch, pathFor(gv, resource, namespace.value.trim(), name.value.trim())));
    return el('div', { class: 'run' }, namespace, name, get, watch);
  }

  #schemaButton(gv: GroupVersion, resource: ApiResource): HTMLElement {
    const holder = el('div', { id: 'schema' });
    const button = el('button', { type: 'button', id: 'show-schema' }, 'Show schema');
    button.addEventListener('click', () => {
      button.remove();
      void this.#openApi
        .document(gv)
        .then((document) => {
          const found = document && schemaOfKind(document, gv, resource.kind);
          holder.append(found && document ? renderSchema(document, found[0], found[1]) : el('p', { class: 'hint' }, 'The cluster publishes no schema for this kind.'));
        })
        .catch((error: unknown) => holder.append(el('p', { class: 'hint' }, `OpenAPI failed: ${(error as Error).message}`)));
    });
    holder.append(button);
    return holder;
  }

  /** Sends the GET, drops the body unread, and shows kubegate's record of it (redacted there). */
  async #get(path: string): Promise<void> {
    const auditId = crypto.randomUUID();
    const result = byId('run-result');
    clear(result);
    result.append(el('p', { class: 'hint' }, `GET ${path}…`));
    const answer = await fetch(`${this.prefix}${path.slice(1)}`, { headers: { accept: 'application/json', 'audit-id': auditId }, cache: 'no-store' });
    await answer.body?.cancel();
    await this.#showRecord(result, auditId, `GET ${path}: ${answer.status}`);
  }

  async #showRecord(result: HTMLElement, auditId: string, what: string): Promise<void> {
    const summary = await this.live.waitFor((s) => s.auditId === auditId && !s.open, 5000);
    const detail = summary && (await fetchDetail(summary.id));
    clear(result);
    if (!detail) return void result.append(el('p', { class: 'hint' }, `${what} (not in the live list)`));
    renderDetail(result, detail);
  }

  #toggleWatch(button: HTMLButtonElement, path: string): void {
    if (this.#watch) {
      this.#watch.abort();
      this.#watch = undefined;
      button.textContent = 'Watch';
      return;
    }
    const controller = new AbortController();
    this.#watch = controller;
    button.textContent = 'Stop watch';
    const auditId = crypto.randomUUID();
    const url = `${this.prefix}${path.slice(1)}${path.includes('?') ? '&' : '?'}watch=true`;
    const result = byId('run-result');
    clear(result);
    result.append(el('p', { class: 'hint', id: 'watch-state' }, `Watching ${path}: its events are counted in the live list.`));
    void fetch(url, { headers: { accept: 'application/json', 'audit-id': auditId }, signal: controller.signal, cache: 'no-store' })
      .then(async (answer) => {
        const reader = answer.body?.getReader();
        // Read and dropped: the events are counted, and shown redacted, by kubegate.
        while (reader && !(await reader.read()).done);
      })
      .catch(() => undefined)
      .finally(() => void this.#showRecord(result, auditId, `watch ${path}`));
  }
}

function facts(gv: GroupVersion, resource: ApiResource, subresources: readonly string[]): HTMLElement[] {
  const pairs: [string, string][] = [
    ['group/version', gv.group === '' ? gv.version : `${gv.group}/${gv.version}`],
    ['namespaced', resource.namespaced ? 'yes' : 'no'],
    ['short names', (resource.shortNames ?? []).join(', ') || '—'],
    ['subresources', subresources.join(', ') || '—'],
  ];
  return pairs.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]);
}

function pathFor(gv: GroupVersion, resource: ApiResource, namespace: string, name: string): string {
  const where = resource.namespaced && namespace !== '' ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${gv.path}${where}/${resource.name}${name === '' ? '' : `/${encodeURIComponent(name)}`}`;
}
