import t from 'tap';
import { openApiSchemas, schemaName } from '../../src/demo-cluster/openapi-schemas.js';
import { RESOURCE_TYPES, openApiV3Document } from '../../src/demo-cluster/resources.js';

type Schema = { properties?: Record<string, Schema>; items?: Schema; allOf?: { $ref: string }[]; 'x-kubernetes-group-version-kind'?: unknown[] };

function refsIn(schema: Schema): string[] {
  const own = (schema.allOf ?? []).map((part) => part.$ref);
  const nested = Object.values(schema.properties ?? {}).flatMap(refsIn);
  return [...own, ...nested, ...(schema.items ? refsIn(schema.items) : [])];
}

t.test('every kind the demo serves has a schema named as Kubernetes names it, tagged with its group-version-kind', async (t) => {
  t.equal(schemaName({ group: '', version: 'v1', kind: 'Pod' }), 'io.k8s.api.core.v1.Pod');
  t.equal(schemaName({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' }), 'io.k8s.api.rbac.v1.Role');
  for (const type of RESOURCE_TYPES) {
    const schemas = openApiSchemas([type]) as Record<string, Schema>;
    const schema = schemas[schemaName(type)];
    t.ok(schema, `${type.kind} has a schema`);
    t.same(schema?.['x-kubernetes-group-version-kind'], [{ group: type.group, version: type.version, kind: type.kind }]);
    t.ok(schema?.properties?.metadata && schema.properties.apiVersion && schema.properties.kind, `${type.kind}: apiVersion, kind, metadata`);
  }
});

t.test('each group-version document carries its kinds, and every reference in it resolves', async (t) => {
  const document = openApiV3Document('api/v1') as { components: { schemas: Record<string, Schema> } };
  const names = Object.keys(document.components.schemas);
  t.ok(names.includes('io.k8s.api.core.v1.Pod') && names.includes('io.k8s.api.core.v1.Secret'));
  t.notOk(names.includes('io.k8s.api.apps.v1.Deployment'), 'apps kinds are in the apps/v1 document');
  for (const ref of Object.values(document.components.schemas).flatMap(refsIn)) {
    t.ok(document.components.schemas[ref.replace('#/components/schemas/', '')], `${ref} resolves`);
  }
  const apps = openApiV3Document('apis/apps/v1') as { components: { schemas: Record<string, Schema> } };
  t.ok(apps.components.schemas['io.k8s.api.apps.v1.Deployment']?.properties?.spec?.properties?.template);
});
