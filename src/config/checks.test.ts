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
      // Each its own host port, as environments on one cluster need.
      `nodeExporter: {port: ${9100 + env.length * 10 + env.charCodeAt(0)}}`,
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
      'qa.yaml: namespaces.monitoring: namespace "monitoring" is also namespaces.monitoring of environment "prod" (prod.yaml); ' +
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
      'qa.yaml: prometheus.remoteWriteUrl: backend URL "https://vm.example.com/api/v1/write" is also prometheus.remoteWriteUrl of environment "prod" ' +
        '(prod.yaml); environments must not share a backend URL (only repository.url, alerting.runbookBaseUrl, gitops.destinationServer, ' +
        'topology.central.remoteWriteUrl, topology.central.lokiPushUrl, topology.central.otlpUrl may be shared)',
    ]);
  });

  test('fails if two environments on one cluster take the same node-exporter host port, or one PostgreSQL namespace', () => {
    const withPortAndDb = (c: StackConfig, port: number, db: string) =>
      ({ ...c, nodeExporter: { ...c.nodeExporter, port }, postgres: { namespace: db } }) as StackConfig;
    expect(
      checkEnvironmentIsolation([
        { file: 'qa.yaml', config: withPortAndDb(config('qa', 'monitoring-qa', 'monitoring-agents-qa'), 9110, 'tasks-qa') },
        { file: 'staging.yaml', config: withPortAndDb(config('staging', 'monitoring-st', 'monitoring-agents-st'), 9110, 'tasks-qa') },
      ]),
    ).toStrictEqual([
      'staging.yaml: postgres.namespace: namespace "tasks-qa" is also postgres.namespace of environment "qa" (qa.yaml); ' +
        'each environment needs its own namespaces, so one can never read or write the backends of another',
      'staging.yaml: nodeExporter.port: host port 9110 is also nodeExporter.port of environment "qa" (qa.yaml); ' +
        "environments on one cluster need their own host ports, or the second one's pods never schedule",
    ]);
  });

  test('GIVEN an agent cluster and a central one with the same namespaces THEN no problem: an agent is alone in its cluster', () => {
    const agent = { ...config('edge', 'monitoring', 'monitoring-agents'), topology: { role: 'agent' } } as StackConfig;
    expect(
      checkEnvironmentIsolation([
        { file: 'central.yaml', config: config('central', 'monitoring', 'monitoring-agents') },
        { file: 'edge.yaml', config: agent },
      ]),
    ).toStrictEqual([]);
  });

  test('GIVEN only one file is synthesized THEN it is blamed, with the line of each field', () => {
    const lineOf = (line: number) => () => ` (line ${line})`;
    expect(
      checkEnvironmentIsolation(
        [
          { file: 'staging.yaml', config: config('staging', 'monitoring', 'monitoring-agents-st'), lineOf: lineOf(4) },
          { file: 'prod.yaml', config: config('prod', 'monitoring', 'monitoring-agents'), lineOf: lineOf(13) },
        ],
        new Set(['staging.yaml']),
      ),
    ).toStrictEqual([
      'staging.yaml: namespaces.monitoring: namespace "monitoring" (line 4) is also namespaces.monitoring of environment "prod" (prod.yaml, line 13); ' +
        'each environment needs its own namespaces, so one can never read or write the backends of another',
    ]);
  });
});
