/**
 * Loki, Promtail and Grafana are AGPL, so the tests never run them: every key the stack writes into their
 * configuration files is checked against their configuration references at the images' versions instead,
 * kept as lists of key paths in test/references/ (see scripts/refresh-config-references.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { IMAGES } from '../src/lib/images';
import { KeyReference, parseReferenceList, readReferenceList, referenceFileName } from '../scripts/config-references/reference';
import { REFERENCES_DIR } from '../scripts/refresh-config-references';
import { semverOfTag } from '../scripts/tools/catalog';
import { ComponentConfig, componentConfigs, ConfigKind } from './support/component-configs';
import { REPO_ROOT, synthesizedExamples } from './support/synth-fixture';

type Component = 'loki' | 'promtail' | 'grafana';
const IMAGE_OF: Record<Component, keyof typeof IMAGES> = { loki: 'loki', promtail: 'promtail', grafana: 'grafana' };

/** The committed list for a component at its image's version; a bumped image without a refreshed list fails here. */
function referenceListOf(component: Component) {
  const image = IMAGES[IMAGE_OF[component]];
  const version = semverOfTag(image.tag);
  const file = path.join(REFERENCES_DIR, referenceFileName(component, version));
  if (!fs.existsSync(file)) {
    const have = fs.readdirSync(REFERENCES_DIR).filter((f) => f.startsWith(`${component}-`));
    throw new Error(
      `${path.relative(REPO_ROOT, file)} is missing: the ${component} image is ${image.tag}, but test/references/ has ${have.join(', ') || 'no list'} for it. ` +
        `Regenerate the list from the upstream reference at that version: npx tsx scripts/refresh-config-references.ts ` +
        (component === 'grafana' ? '--grafana-repo <git dir of grafana/grafana>' : '--loki-repo <git dir of grafana/loki>') +
        `, review the diff, and delete the old list.`,
    );
  }
  return readReferenceList(file);
}

const lists = { loki: referenceListOf('loki'), promtail: referenceListOf('promtail'), grafana: referenceListOf('grafana') };

const REFERENCE_OF: Record<Exclude<ConfigKind, 'alloy'>, KeyReference> = {
  loki: KeyReference.fromList(lists.loki),
  promtail: KeyReference.fromList(lists.promtail),
  'grafana-datasources': KeyReference.fromList(lists.grafana, 'datasources'),
  'grafana-dashboards': KeyReference.fromList(lists.grafana, 'dashboards'),
  'grafana-alerting': KeyReference.fromList(lists.grafana, 'alerting'),
};

/** `<where>: <key path>` for every key a reference does not list. */
function violations(configs: readonly ComponentConfig[]): string[] {
  return configs.flatMap((c) => (c.kind === 'alloy' ? [] : REFERENCE_OF[c.kind].violations(parse(c.text)).map((p) => `${c.where}: ${p}`)));
}

describe('the reference lists', () => {
  test.each(Object.keys(IMAGE_OF) as Component[])('GIVEN the %s image WHEN its list is read THEN it is the one for the image tag, and its header names that version', (component) => {
    const version = semverOfTag(IMAGES[IMAGE_OF[component]].tag);
    const list = lists[component];
    expect(list.header[0]).toMatch(new RegExp(`^# \\w+ ${version.replace(/\./g, '\\.')} \\(image `));
    expect(list.header.join('\n')).toMatch(/Source:|Not read at tag/);
  });

  test('GIVEN the lists WHEN counted THEN each describes a whole configuration, not a handful of keys', () => {
    expect(lists.loki.paths.get('')!.length).toBeGreaterThan(3000);
    expect(lists.promtail.paths.get('')!.length).toBeGreaterThan(400);
    expect(lists.grafana.paths.get('alerting')!.length).toBeGreaterThan(100);
  });
});

describe('a misspelled or misplaced key fails', () => {
  test('GIVEN a Loki config with retention_perod WHEN checked THEN that key path is reported, and nothing else', () => {
    const config = { auth_enabled: false, server: { http_listen_port: 3100 }, limits_config: { retention_perod: '336h', max_line_size: '256KB' } };
    expect(REFERENCE_OF.loki.violations(config)).toEqual(['limits_config.retention_perod']);
  });

  test('GIVEN a Loki key at the wrong level WHEN checked THEN it is reported where it is', () => {
    expect(REFERENCE_OF.loki.violations({ compactor: { retention_period: '1d' }, limits_config: { retention_period: '1d' } })).toEqual(['compactor.retention_period']);
  });

  test('GIVEN Loki list items, a map of arbitrary keys and the ruler remote-write client WHEN checked THEN they follow the reference', () => {
    const config = {
      schema_config: { configs: [{ from: '2024-04-01', store: 'tsdb', index: { prefix: 'index_', period: '24h', tags: { anything: 'x' } } }] },
      ruler: { remote_write: { enabled: true, clients: { anyName: { url: 'http://p/api/v1/write', queue_config: { capacity: 1 }, ulr: 'x' } } } },
    };
    expect(REFERENCE_OF.loki.violations(config)).toEqual(['ruler.remote_write.clients.anyName.ulr']);
  });

  test('GIVEN a Promtail stage nested in a match stage with a misspelled key WHEN checked THEN the nested path is reported', () => {
    const config = {
      scrape_configs: [
        {
          job_name: 'x',
          pipeline_stages: [{ cri: {} }, { match: { selector: '{a="b"}', stages: [{ regex: { expresion: '.*' } }, { labels: { any_label: null } }] } }],
        },
      ],
    };
    expect(REFERENCE_OF.promtail.violations(config)).toEqual(['scrape_configs[].pipeline_stages[].match.stages[].regex.expresion']);
  });

  test('GIVEN a Promtail stage that does not exist WHEN checked THEN it is reported', () => {
    expect(REFERENCE_OF.promtail.violations({ scrape_configs: [{ job_name: 'x', pipeline_stages: [{ label_keep: ['a'] }] }] })).toEqual([
      'scrape_configs[].pipeline_stages[].label_keep',
    ]);
  });

  test('GIVEN Grafana files with a misspelled key WHEN checked THEN it is reported; jsonData stays free-form', () => {
    const datasources = { apiVersion: 1, datasources: [{ name: 'P', type: 'prometheus', isDefualt: true, jsonData: { anything: { nested: [1] } } }] };
    expect(REFERENCE_OF['grafana-datasources'].violations(datasources)).toEqual(['datasources[].isDefualt']);
    const providers = { apiVersion: 1, providers: [{ name: 'p', options: { path: '/d', foldersFromFileStructure: true } }] };
    expect(REFERENCE_OF['grafana-dashboards'].violations(providers)).toEqual(['providers[].options.foldersFromFileStructure']);
  });

  test('GIVEN contact points WHEN checked THEN settings are checked against their own integration type', () => {
    const file = {
      apiVersion: 1,
      contactPoints: [
        {
          orgId: 1,
          name: 'cp',
          receivers: [
            { uid: 'a', type: 'telegram', settings: { bottoken: 'x', chatid: '1' } },
            { uid: 'b', type: 'telegram', settings: { bottoken: 'x', chat_id: '1' } },
            { uid: 'c', type: 'slack', settings: { chatid: '1' } },
            { uid: 'd', type: 'no-such-integration', settings: { url: 'x' } },
          ],
        },
      ],
    };
    expect(REFERENCE_OF['grafana-alerting'].violations(file)).toEqual([
      'contactPoints[].receivers[].settings(telegram).chat_id',
      'contactPoints[].receivers[].settings(slack).chatid',
      'contactPoints[].receivers[].settings(no-such-integration)',
    ]);
  });

  test('GIVEN a notification policy tree WHEN checked THEN nested routes follow the root policy schema', () => {
    const file = { apiVersion: 1, policies: [{ orgId: 1, receiver: 'r', routes: [{ receiver: 'a', continue: true, routes: [{ receiver: 'b', contnue: true }] }] }] };
    expect(REFERENCE_OF['grafana-alerting'].violations(file)).toEqual(['policies[].routes[].routes[].contnue']);
  });

  test('GIVEN a list text WHEN parsed THEN kinds, aliases, variants and comments are read', () => {
    const list = parseReferenceList(
      ['# header', 'k:a', 'k:a[]', 'k:a[].b  # a comment', 'k:a[].c', 'k:a[].c[]', '@alias k:a[].c[] => a[]', 'k:m.*', 'k:f.**  # free'].join('\n'),
    );
    const ref = KeyReference.fromList(list, 'k');
    expect(ref.violations({ a: [{ b: 1, c: [{ b: 2, c: [{ x: 3 }] }] }], m: { any: { deeper: 1 } }, f: { x: { y: 1 } } })).toEqual([
      'a[].c[].c[].x',
      'm.any.deeper',
    ]);
    expect(list.header).toEqual(['# header']);
  });
});

describe('every configuration the stack writes for Loki, Promtail and Grafana uses only keys their references list', () => {
  const configs = [...componentConfigs(path.join(REPO_ROOT, 'dist'), 'dist'), ...componentConfigs(synthesizedExamples(), 'examples')];

  test('GIVEN dist/ and the examples WHEN collected THEN the single-binary and HA Loki, Promtail and every Grafana provisioning file are there', () => {
    const where = (kind: ConfigKind) => configs.filter((c) => c.kind === kind).map((c) => c.where);
    expect(where('loki')).toEqual(
      expect.arrayContaining([
        'dist/prod/loki.k8s.yaml ConfigMap/loki-config loki.yaml',
        'dist/qa/loki.k8s.yaml ConfigMap/loki-config loki.yaml',
        'examples/central/loki.k8s.yaml ConfigMap/loki-config loki.yaml',
      ]),
    );
    // The central cluster runs Loki HA (a ring over memberlist, chunks in a bucket).
    const ha = parse(configs.find((c) => c.where.startsWith('examples/central/loki'))!.text);
    expect(ha.common.storage.s3).toBeDefined();
    expect(where('promtail').length).toBeGreaterThanOrEqual(3);
    expect(where('grafana-datasources').length).toBeGreaterThanOrEqual(3);
    expect(where('grafana-dashboards').length).toBeGreaterThanOrEqual(3);
    expect(where('grafana-alerting')).toEqual(expect.arrayContaining(['dist/qa/grafana-alerting/contact-points.yaml', 'dist/qa/grafana-alerting/policies.yaml', 'dist/qa/grafana-alerting/rules.yaml']));
  });

  test.each(['loki', 'promtail', 'grafana-datasources', 'grafana-dashboards', 'grafana-alerting'] as const)('GIVEN every %s file WHEN checked THEN no key is missing from the reference', (kind) => {
    expect(violations(configs.filter((c) => c.kind === kind))).toEqual([]);
  });
});
