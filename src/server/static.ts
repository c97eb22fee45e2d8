// Static files under --www-prefix with Go http.FileServer's behaviour, and never a byte from outside --www.

import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix, sep } from 'node:path';
import send from '@fastify/send';
import { detectContentType, SNIFF_LENGTH } from './sniff.js';

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
 * Where an open descriptor can be named as a path: opening `/proc/self/fd/N` opens the very file
 * behind descriptor N again, whatever its name points at by now (macOS has `/dev/fd`).
 */
const DESCRIPTOR_DIRECTORY = process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd';

/** O_NONBLOCK: a FIFO put in --www must not hold a thread of libuv's pool until a writer appears. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

interface OpenedEntry {
  readonly handle: FileHandle;
  readonly info: Stats;
  /** `/proc/self/fd/N`: the opened file, immune to a rename or symlink swap after the open. */
  readonly path: string;
}

/**
 * Where the opened file really is. Linux names it: /proc/self/fd/N links to the path of the file the
 * descriptor holds, whatever happened to the name since. Elsewhere, the name is resolved again and
 * must lead to the same device and inode without a symlink at its end (best effort: a swap of a
 * directory in the middle of the path between the two looks could still pass there).
 */
async function openedFilePath(handle: FileHandle, path: string, opened: Stats): Promise<string | undefined> {
  if (process.platform === 'linux') return readlink(`/proc/self/fd/${handle.fd}`);
  const resolved = await realpath(path);
  const named = await lstat(resolved);
  return named.ino === opened.ino && named.dev === opened.dev ? resolved : undefined;
}

/**
 * Opens `name` under `root` first and only then looks where the opened file is: a symlink swapped
 * between a check and an open cannot slip an outside file in, because what is served is the
 * descriptor, never the name again (issue 13). Only regular files and directories count; anything
 * else does not exist.
 */
async function openInside(root: string, name: string): Promise<OpenedEntry | undefined> {
  const path = posix.join(root, name);
  const handle = await open(path, OPEN_FLAGS).catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const info = await handle.stat();
    const where = await openedFilePath(handle, path, info);
    if (where !== undefined && inside(root, where) && (info.isFile() || info.isDirectory())) {
      return { handle, info, path: `${DESCRIPTOR_DIRECTORY}/${handle.fd}` };
    }
  } catch {
    // gone meanwhile: not found
  }
  await handle.close().catch(() => undefined);
  return undefined;
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
  // A symlink that leads outside --www does not exist, unlike Go's http.Dir, which follows it.
  const entry = root === undefined ? undefined : await openInside(root, name);
  if (root === undefined || entry === undefined) {
    writeText(response, 404, '404 page not found\n');
    return;
  }
  // The descriptor stays open until the response is done: its number must not be reused meanwhile.
  response.once('close', () => void entry.handle.close().catch(() => undefined));
  if (entry.info.isDirectory()) {
    await serveDirectory(request, response, path, root, name, entry);
    return;
  }
  if (path.endsWith('/')) {
    localRedirect(request, response, `../${posix.basename(name)}`);
    return;
  }
  await sendFile(request, response, entry, name);
}

async function serveDirectory(request: IncomingMessage, response: ServerResponse, path: string, root: string, name: string, entry: OpenedEntry): Promise<void> {
  if (!path.endsWith('/')) {
    localRedirect(request, response, `${posix.basename(path)}/`);
    return;
  }
  const index = await openInside(root, posix.join(name, 'index.html'));
  if (index !== undefined && index.info.isFile()) {
    response.once('close', () => void index.handle.close().catch(() => undefined));
    await sendFile(request, response, index, 'index.html');
    return;
  }
  await index?.handle.close().catch(() => undefined);
  const entries = await readdir(entry.path, { withFileTypes: true });
  const body = directoryListing(entries.map((item) => ({ name: item.name, isDirectory: item.isDirectory() })));
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'last-modified': entry.info.mtime.toUTCString(),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Go's filepath.Ext: from the last dot of the last element, or nothing. */
function extensionOf(name: string): string {
  const base = posix.basename(name);
  const dot = base.lastIndexOf('.');
  return dot === -1 ? '' : base.slice(dot);
}

/**
 * Go's serveContent: the type the extension names (with @fastify/send's rule for a charset), else
 * the type sniffed from the first 512 bytes, as http.DetectContentType does.
 */
async function contentTypeFor(name: string, handle: FileHandle): Promise<string> {
  const extension = extensionOf(name);
  const type = extension === '' ? null : send.mime.getType(extension);
  if (type !== null) return /^(?:text\/|application\/json|application\/javascript)/.test(type) ? `${type}; charset=utf-8` : type;
  const head = Buffer.alloc(SNIFF_LENGTH);
  const { bytesRead } = await handle.read(head, 0, SNIFF_LENGTH, 0);
  return detectContentType(head.subarray(0, bytesRead));
}

/** send() reads the descriptor's path (Range, ETag, conditionals); the Content-Type comes from the real name. */
async function sendFile(request: IncomingMessage, response: ServerResponse, entry: OpenedEntry, name: string): Promise<void> {
  const descriptor = posix.basename(entry.path);
  // Sniffed before send() opens its stream, so a failed read leaves nothing open.
  const contentType = await contentTypeFor(name, entry.handle);
  const result = await send(request, descriptor, { root: posix.dirname(entry.path), dotfiles: 'allow', index: false, cacheControl: false, etag: true, contentType: false });
  if (result.type === 'error') {
    writeText(response, result.statusCode === 404 ? 404 : result.statusCode, result.statusCode === 404 ? '404 page not found\n' : `${result.statusCode}\n`);
    return;
  }
  const sendsContent = result.type === 'file' && (result.statusCode === 200 || result.statusCode === 206);
  const headers = sendsContent ? { ...result.headers, 'Content-Type': contentType } : result.headers;
  response.writeHead(result.statusCode, headers);
  result.stream.on('error', () => response.destroy());
  result.stream.pipe(response);
}
