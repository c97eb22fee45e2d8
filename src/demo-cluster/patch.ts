// The PATCH formats kubectl sends: JSON merge patch, strategic merge patch (the common cases) and JSON patch.

type Json = unknown;

function isMap(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: maps merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return patch;
  const result: Record<string, Json> = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * Strategic merge patch, as far as `kubectl apply` needs it: maps merge, null deletes, `$`
 * directives are ignored, and lists of maps that carry a `name` merge by name (the merge key of
 * containers, env, volumes, ports...); other lists are replaced.
 */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return patch;
  const result: Record<string, Json> = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (Array.isArray(value) && Array.isArray(current) && value.every((item) => isMap(item) && typeof item.name === 'string')) {
      const merged = [...current];
      for (const item of value as Record<string, Json>[]) {
        const index = merged.findIndex((existing) => isMap(existing) && existing.name === item.name);
        if (item.$patch === 'delete') {
          if (index !== -1) merged.splice(index, 1);
        } else if (index === -1) merged.push(strategicMergePatch({}, item));
        else merged[index] = strategicMergePatch(merged[index], item);
      }
      result[key] = merged;
    } else {
      result[key] = strategicMergePatch(current, value);
    }
  }
  return result;
}

function pointer(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 add/replace/remove/test; throws on a path that does not exist. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new Error('a JSON patch is a list of operations');
  let document: Json = structuredClone(target);
  for (const operation of operations) {
    if (!isMap(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') throw new Error('invalid JSON patch operation');
    const parts = pointer(operation.path);
    if (parts.length === 0) {
      document = operation.value;
      continue;
    }
    let parent: Json = document;
    for (const part of parts.slice(0, -1)) {
      parent = Array.isArray(parent) ? parent[Number(part)] : isMap(parent) ? parent[part] : undefined;
      if (parent === undefined) throw new Error(`path ${operation.path} does not exist`);
    }
    const last = parts[parts.length - 1] as string;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (operation.op === 'replace') parent[index] = operation.value;
      else if (operation.op === 'remove') parent.splice(index, 1);
    } else if (isMap(parent)) {
      if (operation.op === 'add' || operation.op === 'replace') parent[last] = operation.value;
      else if (operation.op === 'remove') delete parent[last];
      else if (operation.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) throw new Error(`test failed at ${operation.path}`);
    }
  }
  return document;
}
