// Who is asking: kube-apiserver's authenticators in order (client certificate, bearer token, basic), then impersonation.

import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
  readonly uid?: string;
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export const ANONYMOUS: UserInfo = Object.freeze({ name: 'system:anonymous', groups: ['system:unauthenticated'] });

export interface AuthenticationOptions {
  /** kube-apiserver --token-auth-file format: `token,user,uid,"group1,group2"`; re-read on every request. */
  readonly tokenFile?: string;
  readonly tokens?: Readonly<Record<string, UserInfo>>;
  readonly basicUsers?: Readonly<Record<string, { readonly password: string; readonly groups?: readonly string[] }>>;
}

export type Authentication =
  | { readonly kind: 'authenticated'; readonly user: UserInfo; readonly via: 'certificate' | 'token' | 'basic' | 'anonymous' }
  | { readonly kind: 'unauthorized' };

export interface PeerCertificateSummary {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

/** The CSV kube-apiserver reads, quotes allowed around the group list. */
export function parseTokenFile(text: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields: string[] = [];
    let current = '';
    let quoted = false;
    for (const ch of line.trim()) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        fields.push(current);
        current = '';
      } else current += ch;
    }
    fields.push(current);
    const [token, name, uid, groups] = fields;
    if (!token || !name) continue;
    tokens.set(token, {
      name,
      ...(uid ? { uid } : {}),
      groups: [...(groups ? groups.split(',').filter(Boolean) : []), 'system:authenticated'],
    });
  }
  return tokens;
}

/** The verified client certificate's CN and O, or undefined when none was presented. */
export function peerCertificate(socket: TLSSocket): { summary: PeerCertificateSummary; trusted: boolean } | undefined {
  const certificate = socket.getPeerCertificate?.();
  if (!certificate || Object.keys(certificate).length === 0 || !certificate.subject) return undefined;
  const subject = certificate.subject as unknown as Record<string, string | string[] | undefined>;
  const cn = subject.CN;
  const o = subject.O;
  return {
    summary: {
      commonName: Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? ''),
      organizations: o === undefined ? [] : Array.isArray(o) ? o : [o],
    },
    trusted: socket.authorized === true,
  };
}

export function authenticate(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  certificate: { summary: PeerCertificateSummary; trusted: boolean } | undefined,
  options: AuthenticationOptions,
): Authentication {
  if (certificate) {
    if (!certificate.trusted) return { kind: 'unauthorized' };
    return {
      kind: 'authenticated',
      via: 'certificate',
      user: { name: certificate.summary.commonName, groups: [...certificate.summary.organizations, 'system:authenticated'] },
    };
  }
  const authorization = typeof headers.authorization === 'string' ? headers.authorization : undefined;
  if (authorization?.startsWith('Bearer ')) {
    const token = authorization.slice('Bearer '.length).trim();
    const fromFile = options.tokenFile ? parseTokenFile(safeRead(options.tokenFile)).get(token) : undefined;
    const user = fromFile ?? options.tokens?.[token];
    return user ? { kind: 'authenticated', via: 'token', user } : { kind: 'unauthorized' };
  }
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = decoded.slice(0, colon);
    const entry = options.basicUsers?.[username];
    if (colon === -1 || !entry || entry.password !== decoded.slice(colon + 1)) return { kind: 'unauthorized' };
    return { kind: 'authenticated', via: 'basic', user: { name: username, groups: [...(entry.groups ?? []), 'system:authenticated'] } };
  }
  if (authorization !== undefined) return { kind: 'unauthorized' };
  return { kind: 'authenticated', via: 'anonymous', user: ANONYMOUS };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(',').map((item) => item.trim());
}

export type Impersonation =
  | { readonly kind: 'none' }
  | { readonly kind: 'impersonating'; readonly user: UserInfo }
  | { readonly kind: 'forbidden'; readonly message: string };

/** Impersonate-* headers, honoured for members of system:masters (the demo's only impersonators). */
export function impersonate(headers: Readonly<Record<string, string | string[] | undefined>>, requester: UserInfo): Impersonation {
  const target = headers['impersonate-user'];
  const groups = list(headers['impersonate-group']);
  const uid = headers['impersonate-uid'];
  const extraNames = Object.keys(headers).filter((name) => name.startsWith('impersonate-extra-'));
  if (target === undefined) {
    if (groups.length > 0 || uid !== undefined || extraNames.length > 0) {
      return { kind: 'forbidden', message: 'requested [impersonate-group/uid/extra] without impersonating a user' };
    }
    return { kind: 'none' };
  }
  const name = Array.isArray(target) ? (target[0] ?? '') : target;
  if (!requester.groups.includes('system:masters')) {
    return {
      kind: 'forbidden',
      message: `users "${name}" is forbidden: User "${requester.name}" cannot impersonate resource "users" in API group "" at the cluster scope`,
    };
  }
  const extra: Record<string, string[]> = {};
  for (const header of extraNames) extra[decodeURIComponent(header.slice('impersonate-extra-'.length))] = list(headers[header]);
  return {
    kind: 'impersonating',
    user: {
      name,
      groups: [...groups, 'system:authenticated'],
      ...(typeof uid === 'string' ? { uid } : {}),
      ...(extraNames.length > 0 ? { extra } : {}),
    },
  };
}
