/**
 * The first apply on an empty cluster, without Argo CD: `namespaces.k8s.yaml` first, then the Secrets, then every
 * other `*.k8s.yaml` of the environment. That order only works if the first file holds every namespace that any
 * other object lives in (a namespaced object applied into a missing namespace is refused), and if nothing but
 * namespaces and cluster-scoped objects sits in it. Checked for every synthesized environment, examples included.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { allSynthesizedEnvironments } from './support/synth-fixture';

const NAMESPACES_FILE = 'namespaces.k8s.yaml';

function objectsOf(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
}

describe.each(allSynthesizedEnvironments().map((e) => [e.config, e] as const))('the first apply of %s', (_, env) => {
  const files = fs.readdirSync(env.dir).filter((f) => f.endsWith('.k8s.yaml'));
  const first = objectsOf(path.join(env.dir, NAMESPACES_FILE));

  test(`GIVEN ${NAMESPACES_FILE} applied first THEN every namespace any other manifest uses exists`, () => {
    const created = new Set(first.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
    expect(created.size).toBeGreaterThan(0);
    const missing = files
      .filter((f) => f !== NAMESPACES_FILE)
      .flatMap((f) => objectsOf(path.join(env.dir, f)).map((o) => ({ file: f, object: `${o.kind}/${o.metadata.name}`, namespace: o.metadata.namespace })))
      .filter((o) => o.namespace !== undefined && !created.has(o.namespace));
    expect(missing).toEqual([]);
  });

  test(`THEN ${NAMESPACES_FILE} itself needs nothing else: only namespaces and cluster-scoped objects`, () => {
    expect(first.filter((o) => o.metadata.namespace !== undefined).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });
});
