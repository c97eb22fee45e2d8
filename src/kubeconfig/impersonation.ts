// Who kubegate acts as (--as, --as-group, --as-uid over the user's as, as-groups, as-uid, as-user-extra).

import type { ImpersonationConfig, KubeconfigFlags } from './rest-config.js';

/** The impersonation fields a kubeconfig user may carry; in-cluster there is none. */
export interface UserImpersonation {
  readonly as?: string;
  readonly asUid?: string;
  readonly asGroups: readonly string[];
  readonly asUserExtra: Readonly<Record<string, readonly string[]>>;
}

const NO_USER_IMPERSONATION: UserImpersonation = { asGroups: [], asUserExtra: {} };

export interface ResolvedImpersonation {
  readonly impersonate?: ImpersonationConfig;
  /** client-go's validation message when groups, uid or extra come without a user. */
  readonly error?: string;
}

/** Flags win over the user's fields, each on its own (client-go's AuthInfo override merge). */
export function resolveImpersonation(flags: KubeconfigFlags, owner: string, user: UserImpersonation = NO_USER_IMPERSONATION): ResolvedImpersonation {
  const as = flags.as || user.as || '';
  const groups = flags.asGroups && flags.asGroups.length > 0 ? flags.asGroups : user.asGroups;
  const uid = flags.asUid || user.asUid || '';
  const extra = user.asUserExtra;
  if (!as && (uid || groups.length > 0 || Object.keys(extra).length > 0)) {
    return { error: `requesting uid, groups or user-extra for ${owner} without impersonating a user` };
  }
  return as ? { impersonate: { user: as, ...(uid ? { uid } : {}), groups, extra } } : {};
}
