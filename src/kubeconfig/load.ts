// Finds and reads the kubeconfig files client-go would read: --kubeconfig, else $KUBECONFIG, else ~/.kube/config.

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { KubegateError, fileError } from '../errors.js';
import type { KubeconfigEnvironment } from './rest-config.js';

export interface KubeconfigFile {
  readonly path: string;
  readonly text: string;
}

export interface KubeconfigFiles {
  readonly files: readonly KubeconfigFile[];
  /** Every place that was considered, for the "no kubeconfig" message. */
  readonly searched: readonly string[];
}

function readKubeconfig(path: string): KubeconfigFile {
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw fileError(`error loading config file "${path}": ${reason}`, error);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * client-go's loading rules (tools/clientcmd/loader.go): an explicit file must exist; KUBECONFIG
 * entries are split on ':', de-duplicated, and missing ones skipped; otherwise ~/.kube/config.
 */
export function loadKubeconfigFiles(explicit: string | undefined, environment: KubeconfigEnvironment): KubeconfigFiles {
  if (explicit !== undefined && explicit !== '') {
    const path = isAbsolute(explicit) ? explicit : resolve(environment.cwd, explicit);
    try {
      statSync(path);
    } catch (error) {
      throw new KubegateError(
        'KG_ERR_FILE',
        `stat ${explicit}: no such file or directory (the file given with --kubeconfig does not exist)`,
        { cause: error },
      );
    }
    return { files: [readKubeconfig(path)], searched: [path] };
  }
  const list = environment.env.KUBECONFIG;
  if (list !== undefined && list !== '') {
    const seen = new Set<string>();
    const files: KubeconfigFile[] = [];
    for (const entry of list.split(':')) {
      if (entry === '') continue;
      const path = isAbsolute(entry) ? entry : resolve(environment.cwd, entry);
      if (seen.has(path)) continue;
      seen.add(path);
      if (exists(path)) files.push(readKubeconfig(path));
    }
    return { files, searched: [...seen].map((path) => `${path} (from KUBECONFIG)`) };
  }
  const home = join(environment.homedir, '.kube', 'config');
  return { files: exists(home) ? [readKubeconfig(home)] : [], searched: [home] };
}
