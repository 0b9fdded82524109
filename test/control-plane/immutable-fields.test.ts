/**
 * The fields the API server refuses to change on an existing object must not hold anything that changes when an
 * image is bumped, or every upgrade of that image would be refused at sync: a StatefulSet's selector,
 * serviceName and volumeClaimTemplates, a Deployment's or DaemonSet's selector. (The upgrade test on the real
 * API server proves it for the revisions in git; this catches it before any bump.)
 */
import { semverOfTag } from '../../scripts/tools/catalog';
import { IMAGES, ImageRef } from '../../src/lib/images';
import { idOf, loadEnvironment } from './argocd-sync';
import { environmentDirs } from './environment';

const versions = [...new Set(Object.values(IMAGES).flatMap((i) => [(i as ImageRef).tag, semverOfTag((i as ImageRef).tag)]))];

/** Every string inside a value, with its path. */
function strings(value: unknown, at: string): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}.${k}`));
  return [];
}

describe.each(environmentDirs())('%s', (_env, envDir) => {
  test('no immutable field of a StatefulSet, Deployment or DaemonSet holds an image version', () => {
    const found: string[] = [];
    for (const { object } of loadEnvironment(envDir)) {
      const immutable: Record<string, unknown> =
        object.kind === 'StatefulSet'
          ? { selector: object.spec.selector, serviceName: object.spec.serviceName, volumeClaimTemplates: object.spec.volumeClaimTemplates }
          : object.kind === 'Deployment' || object.kind === 'DaemonSet'
            ? { selector: object.spec.selector }
            : {};
      for (const [field, value] of Object.entries(immutable)) {
        for (const [where, text] of strings(value, `spec.${field}`)) {
          if (versions.some((v) => text === v || text.endsWith(`:${v}`))) found.push(`${idOf(object)}: ${where} = ${text}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});

test('GIVEN a claim template labelled with its image version WHEN checked THEN the version is found', () => {
  const tag = (IMAGES.prometheus as ImageRef).tag;
  expect(strings({ metadata: { labels: { 'app.kubernetes.io/version': semverOfTag(tag) } } }, 'spec.volumeClaimTemplates').some(([, t]) => versions.includes(t))).toBe(true);
});
