import { parseConfig } from './loader';

/** A valid all-in-one config plus the given YAML lines. */
const BASE = [
  'environment: dev',
  'cluster: dev',
  'repository: {url: "https://git.example.test/platform/observability"}',
  'grafana: {adminCredentials: {secretName: grafana-admin}}',
];
const parse = (...lines: string[]) => parseConfig([...BASE, ...lines].join('\n'), 'dev.yaml');
const CENTRAL = [
  '  central:',
  '    remoteWriteUrl: https://metrics.central.example.com/api/v1/write',
  '    lokiPushUrl: https://logs.central.example.com/loki/api/v1/push',
  '    otlpUrl: https://otlp.central.example.com',
];

describe('scaling defaults', () => {
  test('GIVEN no scaling keys WHEN loaded THEN the single-node backends and the all-in-one role are chosen', () => {
    const config = parse();
    expect(config.metrics.backend).toBe('prometheus');
    expect(config.logs.backend).toBe('loki');
    expect(config.traces.storage).toBe('badger');
    expect(config.topology).toEqual({ role: 'all-in-one', tenants: [] });
    expect(config.otelCollector.replicas).toBe(1);
    expect(config.otelCollector.tailSampling).toBeUndefined();
  });

  test('GIVEN an agent with its central endpoints THEN it loads', () => {
    expect(parse('topology:', '  role: agent', ...CENTRAL).topology.central?.otlpUrl).toBe('https://otlp.central.example.com');
  });
});

describe('topology checks', () => {
  test('fails if an agent has no central endpoints', () => {
    expect(() => parse('topology: {role: agent}')).toThrow(
      'dev.yaml: topology.central: is missing; role "agent" ships everything to a central cluster',
    );
  });

  test('fails if an all-in-one cluster names central endpoints it would ignore', () => {
    expect(() => parse('topology:', ...CENTRAL)).toThrow(
      'topology.central: is only allowed with topology.role "agent"; role "all-in-one" runs its own backends and would ignore it',
    );
  });

  test('fails if an agent chooses a backend', () => {
    expect(() => parse('topology:', '  role: agent', ...CENTRAL, 'metrics: {backend: victoriametrics}', 'logs: {backend: loki-ha}')).toThrow(
      /metrics\.backend: "victoriametrics" is not allowed with topology\.role "agent"[^\n]*\n.*logs\.backend: "loki-ha" is not allowed with topology\.role "agent"/,
    );
  });

  test('fails if an agent enables tail sampling', () => {
    expect(() => parse('topology:', '  role: agent', ...CENTRAL, 'otelCollector: {tailSampling: {}}')).toThrow(
      'otelCollector.tailSampling: is not allowed with topology.role "agent"',
    );
  });

  test('fails if an agent declares the shared PostgreSQL', () => {
    expect(() =>
      parse(
        'topology:',
        '  role: agent',
        ...CENTRAL,
        'postgres: {superuserCredentials: {secretName: pg}, observabilityCredentials: {secretName: pg-obs}}',
      ),
    ).toThrow('postgres: is not allowed with topology.role "agent"');
  });

  test('fails if the central Loki URL is not a push URL', () => {
    const lines = [...CENTRAL];
    lines[2] = '    lokiPushUrl: https://logs.central.example.com/';
    expect(() => parse('topology:', '  role: agent', ...lines)).toThrow(
      'topology.central.lokiPushUrl: "https://logs.central.example.com/" does not end with /loki/api/v1/push',
    );
  });

  test('fails if an agent lists its own alert rules, which nothing there would evaluate', () => {
    expect(() =>
      parse(
        'topology:',
        '  role: agent',
        ...CENTRAL,
        'extraAlertRules: [{alert: CheckoutDown, expr: "up == 0", severity: warning, summary: "Checkout is down.", description: "x"}]',
      ),
    ).toThrow('extraAlertRules: is not allowed with topology.role "agent": an agent evaluates no rules');
  });

  test('fails if ingress namespaces for agents are given to a cluster that has none', () => {
    expect(() => parse('topology: {ingressNamespaces: [ingress-nginx]}')).toThrow(
      'topology.ingressNamespaces: is only allowed with topology.role "central"',
    );
  });

  test('fails if tenants are listed outside a central cluster', () => {
    expect(() => parse('topology: {tenants: [edge-a]}')).toThrow('topology.tenants: is only allowed with topology.role "central"');
  });

  test('fails if a central cluster lists its own tenant', () => {
    expect(() => parse('topology: {role: central, tenants: [dev, edge-a]}')).toThrow(
      'topology.tenants: "dev" is this cluster\'s own tenant',
    );
  });
});

describe('backend checks', () => {
  test('fails if the VictoriaMetrics cluster keeps more copies than it has vmstorage nodes', () => {
    expect(() => parse('metrics: {backend: victoriametrics-cluster, victoriaMetrics: {replicationFactor: 3, vmstorage: 2}}')).toThrow(
      'metrics.victoriaMetrics.replicationFactor: 3 is above metrics.victoriaMetrics.vmstorage (2)',
    );
  });

  test('fails if Loki HA has no object store', () => {
    expect(() => parse('logs: {backend: loki-ha}')).toThrow('logs.ha.objectStore: is missing; backend "loki-ha" keeps chunks');
  });

  test('fails if Loki HA has fewer replicas than the replication factor', () => {
    expect(() => parse('logs: {backend: loki-ha, ha: {replicas: 2}}')).toThrow(
      'logs.ha.replicas: expected at least 3 replicas (replication_factor is 3), got number 2',
    );
  });

  test('fails if traces go to OpenSearch without server URLs', () => {
    expect(() => parse('traces: {storage: opensearch}')).toThrow('traces.searchStore: is missing; traces.storage "opensearch" needs');
  });

  test('fails if a search store is given to Badger, which would ignore it', () => {
    expect(() => parse('traces: {searchStore: {serverUrls: ["https://os.example.com:9200"]}}')).toThrow(
      'traces.searchStore: is only used with traces.storage "opensearch" or "elasticsearch", got storage "badger"',
    );
  });

  test('fails if the S3 endpoint carries a scheme', () => {
    expect(() =>
      parse(
        'logs:',
        '  backend: loki-ha',
        '  ha:',
        '    objectStore: {bucket: logs, endpoint: "https://s3.example.com", credentials: {secretName: s3}}',
      ),
    ).toThrow('logs.ha.objectStore.endpoint: expected a host[:port]');
  });
});
