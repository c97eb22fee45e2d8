// Static files under --www-prefix with Go http.FileServer's behaviour, and never a byte from outside --www.

import { realpath, readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix, sep } from 'node:path';
import send from '@fastify/send';

export interface StaticOptions {
  /** Absolute directory given with --www. */
  readonly root: string;
}

function writeText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Go's localRedirect: a relative Location, the query kept, no body. */
function localRedirect(request: IncomingMessage, response: ServerResponse, location: string): void {
  const url = request.url ?? '';
  const question = url.indexOf('?');
  const query = question === -1 ? '' : url.slice(question + 1);
  response.writeHead(301, { location: query ? `${location}?${query}` : location, 'content-length': 0 });
  response.end();
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/** An href as Go's url.URL{Path: name}.String() writes it. */
function hrefFor(name: string): string {
  const escaped = encodeURIComponent(name)
    .replace(/%2F/g, '/')
    .replace(/%3A/g, ':')
    .replace(/%24/g, '$')
    .replace(/%26/g, '&')
    .replace(/%2B/g, '+')
    .replace(/%2C/g, ',')
    .replace(/%3B/g, ';')
    .replace(/%3D/g, '=')
    .replace(/%40/g, '@')
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  // A first segment with a colon would read as a scheme.
  const first = escaped.split('/')[0] ?? '';
  return first.includes(':') ? `./${escaped}` : escaped;
}

/** Go's dirList: sorted entries, directories with a trailing slash. */
export function directoryListing(entries: readonly { name: string; isDirectory: boolean }[]): string {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = sorted.map(({ name, isDirectory }) => {
    const shown = isDirectory ? `${name}/` : name;
    return `<a href="${hrefFor(shown)}">${shown.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] as string)}</a>\n`;
  });
  return `<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n${lines.join('')}</pre>\n`;
}

/** True when `target` (already resolved through symlinks) lies inside `root`. */
function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * Serves `path` (decoded, after the prefix, starting with '/') from the --www directory, any
 * method, as Go's FileServer does: index.html for directories, listings, Range, and 301s for
 * `…/index.html` and for directories without a trailing slash.
 */
export async function serveStatic(request: IncomingMessage, response: ServerResponse, path: string, options: StaticOptions): Promise<void> {
  if (path.includes('\0')) {
    writeText(response, 404, '404 page not found\n');
    return;
  }
  if (path.endsWith('/index.html')) {
    localRedirect(request, response, './');
    return;
  }
  const name = posix.normalize(`/${path}`).replace(/\/+$/, '') || '/';
  const root = await realpath(options.root).catch(() => undefined);
  if (root === undefined) {
    writeText(response, 404, '404 page not found\n');
    return;
  }
  // Resolve symlinks before deciding anything: a link that leads outside --www does not exist.
  const resolved = await realpath(posix.join(root, name)).catch(() => undefined);
  if (resolved === undefined || !inside(root, resolved)) {
    writeText(response, 404, '404 page not found\n');
    return;
  }
  const info = await stat(resolved);
  if (info.isDirectory()) {
    if (!path.endsWith('/')) {
      localRedirect(request, response, `${posix.basename(path)}/`);
      return;
    }
    const index = await realpath(posix.join(resolved, 'index.html')).catch(() => undefined);
    if (index !== undefined && inside(root, index) && (await stat(index)).isFile()) {
      await sendFile(request, response, root, index);
      return;
    }
    const entries = await readdir(resolved, { withFileTypes: true });
    const body = directoryListing(entries.map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() })));
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'last-modified': info.mtime.toUTCString(),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  if (path.endsWith('/')) {
    localRedirect(request, response, `../${posix.basename(name)}`);
    return;
  }
  await sendFile(request, response, root, resolved);
}

async function sendFile(request: IncomingMessage, response: ServerResponse, root: string, file: string): Promise<void> {
  const relative = file.slice(root.length).split(sep).map(encodeURIComponent).join('/');
  const result = await send(request, relative, { root, dotfiles: 'allow', index: false, cacheControl: false, etag: true });
  if (result.type === 'error') {
    writeText(response, result.statusCode === 404 ? 404 : result.statusCode, result.statusCode === 404 ? '404 page not found\n' : `${result.statusCode}\n`);
    return;
  }
  response.writeHead(result.statusCode, result.headers);
  result.stream.on('error', () => response.destroy());
  result.stream.pipe(response);
}
