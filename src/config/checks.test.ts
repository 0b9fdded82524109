import { parseConfig } from './loader';
import { checkEnvironmentIsolation } from './checks';
import { StackConfig } from './schema';

const config = (env: string, monitoring: string, nodeAgents: string): StackConfig =>
  parseConfig(
    [
      `environment: ${env}`,
      `cluster: ${env}`,
      'repository: {url: "https://github.com/example-org/observability-platform"}',
      `namespaces: {monitoring: ${monitoring}, nodeAgents: ${nodeAgents}}`,
      'grafana: {adminCredentials: {secretName: grafana-admin}}',
      'alerting: {runbookBaseUrl: "https://docs.example.com/runbooks"}',
    ].join('\n'),
    `${env}.yaml`,
  );

describe('checkEnvironmentIsolation', () => {
  test('GIVEN own namespaces and only shared repository, runbook and API server URLs THEN no problem', () => {
    expect(
      checkEnvironmentIsolation([
        { file: 'prod.yaml', config: config('prod', 'monitoring', 'monitoring-agents') },
        { file: 'qa.yaml', config: config('qa', 'monitoring-qa', 'monitoring-agents-qa') },
      ]),
    ).toStrictEqual([]);
  });

  test('fails if QA uses a namespace of production', () => {
    expect(
      checkEnvironmentIsolation([
        { file: 'prod.yaml', config: config('prod', 'monitoring', 'monitoring-agents') },
        { file: 'qa.yaml', config: config('qa', 'monitoring', 'monitoring-agents-qa') },
      ]),
    ).toStrictEqual([
      'qa.yaml: namespaces.monitoring: "monitoring" is also namespaces.monitoring of environment "prod" (prod.yaml); ' +
        'each environment needs its own namespaces, so one can never read or write the backends of another',
    ]);
  });

  test('fails if two environments point at the same backend URL, in any field', () => {
    // No shipped config field points at an external backend yet; the check walks every URL-valued
    // field, so the ones other components add (remote write, brokers, external Loki) are covered.
    const withBackend = (c: StackConfig, url: string) => ({ ...c, prometheus: { ...c.prometheus, remoteWriteUrl: url } }) as StackConfig;
    expect(
      checkEnvironmentIsolation([
        { file: 'prod.yaml', config: withBackend(config('prod', 'monitoring', 'monitoring-agents'), 'https://vm.example.com/api/v1/write') },
        { file: 'qa.yaml', config: withBackend(config('qa', 'monitoring-qa', 'monitoring-agents-qa'), 'https://vm.example.com/api/v1/write/') },
      ]),
    ).toStrictEqual([
      'qa.yaml: prometheus.remoteWriteUrl: "https://vm.example.com/api/v1/write" is also prometheus.remoteWriteUrl of environment "prod" ' +
        '(prod.yaml); environments must not share a backend URL (only repository.url, alerting.runbookBaseUrl, gitops.destinationServer may be shared)',
    ]);
  });
});
