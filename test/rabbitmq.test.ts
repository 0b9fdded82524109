/**
 * RabbitMQ's recorded /metrics/detailed output (RabbitMQ 3.10.8, test/fixtures/rabbitmq/README.md) against the
 * metric catalogue, and each environment's own vhost. (test/integration/rabbitmq-scrape.test.ts has the real
 * Prometheus scrape a stand-in broker answering with this recording.)
 */
import { seriesCatalogue } from '../src/catalog/metrics';
import { RABBITMQ_METRICS } from '../src/components/rabbitmq/scrape';
import { checkEnvironmentIsolation } from '../src/config/checks';
import { parseConfig } from '../src/config/loader';
import { RECORDED, recorded } from './support/rabbitmq-recording';

/** `name{labels}` samples of an exposition text, without comments. */
function samples(text: string): Array<{ name: string; labels: Record<string, string> }> {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(l)!;
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      return { name: m[1], labels };
    });
}


describe('the recording is the plugin\'s /metrics/detailed format, and the catalogue matches it', () => {
  test.each(Object.keys(RECORDED))('vhost %s: every catalogued RabbitMQ series is in it, with exactly the catalogued labels', (vhost) => {
    const found = samples(recorded(vhost));
    const catalogue = seriesCatalogue();
    for (const name of Object.values(RABBITMQ_METRICS)) {
      const mine = found.filter((s) => s.name === name);
      expect({ name, present: mine.length > 0 }).toEqual({ name, present: true });
      const allowed = catalogue.get(name)!.labels;
      for (const s of mine) expect({ name, extra: Object.keys(s.labels).filter((l) => !allowed.has(l)) }).toEqual({ name, extra: [] });
    }
    // The vhost parameter filters the queue families only: channel families of the other vhost still arrive,
    // which is why the scrape job filters on the labels as well.
    const other = Object.keys(RECORDED).find((v) => v !== vhost)!;
    expect(found.some((s) => s.labels.vhost === other || s.labels.queue_vhost === other)).toBe(true);
    expect(found.filter((s) => s.name === RABBITMQ_METRICS.depth).every((s) => s.labels.vhost === vhost)).toBe(true);
  });
});

describe("QA's own vhost is enforced across environments", () => {
  // Two environments of their own, on one cluster and one broker: only the vhost differs between the cases.
  const environment = (env: string, port: number, vhost: string) =>
    parseConfig(
      [
        `environment: ${env}`,
        `cluster: ${env}`,
        'repository: { url: https://github.com/example-org/observability-platform }',
        'grafana: { adminCredentials: { secretName: grafana-admin } }',
        `namespaces: { monitoring: monitoring-${env}, nodeAgents: monitoring-agents-${env} }`,
        `nodeExporter: { port: ${port} }`,
        `rabbitmq: { vhost: "${vhost}", brokers: [{ name: rabbitmq, namespace: shop }] }`,
      ].join('\n'),
      `config/${env}.yaml`,
    );
  const prod = environment('prod', 9100, '/');

  test('GIVEN QA on the same broker and vhost as production THEN synth refuses, naming the broker and the vhost', () => {
    expect(checkEnvironmentIsolation([
      { file: 'config/prod.yaml', config: prod },
      { file: 'config/qa.yaml', config: environment('qa', 9110, '/') },
    ])).toEqual([expect.stringMatching(/^config\/qa\.yaml: rabbitmq\.brokers\[0\]: RabbitMQ broker and vhost "shop\/rabbitmq \/" is also rabbitmq\.brokers\[0\] of environment "prod" \(config\/prod\.yaml\); give each environment its own vhost/)]);
  });

  test('GIVEN each environment its own vhost THEN they may share the broker', () => {
    expect(checkEnvironmentIsolation([
      { file: 'config/prod.yaml', config: prod },
      { file: 'config/qa.yaml', config: environment('qa', 9110, '/qa') },
    ])).toEqual([]);
  });
});
