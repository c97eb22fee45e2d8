// Label and field selectors, as much of them as the demo and the tests use (=, ==, !=, existence).

import type { KubeObject } from './store.js';

export function labelsMatch(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = object.metadata.labels ?? {};
  return selector.split(',').every((term) => {
    const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
    if (notEqual) return labels[(notEqual[1] as string).trim()] !== (notEqual[2] as string).trim();
    const equal = /^([^=]+)==?(.*)$/.exec(term);
    if (equal) return labels[(equal[1] as string).trim()] === (equal[2] as string).trim();
    return (term.trim() in labels);
  });
}

/** Only metadata.name and metadata.namespace are known: any other field reads as unset. */
export function fieldsMatch(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) return true;
    const value = match[1] === 'metadata.name' ? object.metadata.name : match[1] === 'metadata.namespace' ? object.metadata.namespace : undefined;
    return match[2] === '!=' ? value !== match[3] : value === match[3];
  });
}
