import { metricsConfig } from '../components/victoriametrics/config';
import { parseConfig } from '../config/loader';
import { localMetricsWriteUrl, lokiOtlpFromPush, telemetryLinks } from './links';

const BASE = [
  'environment: dev',
  'cluster: dev',
  'repository: {url: "https://git.example.test/platform/observability"}',
  'grafana: {adminCredentials: {secretName: grafana-admin}}',
];
const parse = (...lines: string[]) => parseConfig([...BASE, ...lines].join('\n'), 'dev.yaml');

describe('telemetryLinks', () => {
  test('GIVEN all-in-one THEN everything goes to the in-cluster Prometheus and the single-tenant Loki', () => {
    expect(telemetryLinks(parse())).toEqual({
      role: 'all-in-one',
      runsBackends: true,
      metricsWriteUrl: 'http://prometheus.monitoring.svc:9090/api/v1/write',
      lokiPushUrl: 'http://loki.monitoring.svc:3100/loki/api/v1/push',
      lokiOtlpUrl: 'http://loki.monitoring.svc:3100/otlp',
      lokiTenant: undefined,
      grafanaLokiTenants: [],
      jaegerOtlpEndpoint: 'jaeger.monitoring.svc:4317',
    });
  });

  test('GIVEN central THEN its own logs are the tenant named after the cluster, and Grafana reads the agents too', () => {
    const links = telemetryLinks(parse('topology: {role: central, tenants: [edge-a]}', 'metrics: {backend: victoriametrics}'));
    expect(links.lokiTenant).toBe('dev');
    expect(links.grafanaLokiTenants).toEqual(['dev', 'edge-a']);
    expect(links.metricsWriteUrl).toBe('http://victoriametrics.monitoring.svc:8428/api/v1/write');
  });

  test('GIVEN an agent without a tenant THEN it sends everything to the central URLs under its cluster name', () => {
    const links = telemetryLinks(
      parse(
        'topology:',
        '  role: agent',
        '  central:',
        '    remoteWriteUrl: https://m.example.com/api/v1/write',
        '    lokiPushUrl: https://l.example.com/loki/api/v1/push/',
        '    otlpUrl: https://o.example.com',
      ),
    );
    expect(links).toMatchObject({
      runsBackends: false,
      metricsWriteUrl: 'https://m.example.com/api/v1/write',
      lokiOtlpUrl: 'https://l.example.com/otlp',
      lokiTenant: 'dev',
      centralOtlpUrl: 'https://o.example.com',
    });
  });

  test('the cluster write URL is vminsert tenant 0', () => {
    expect(localMetricsWriteUrl(metricsConfig.parse({ backend: 'victoriametrics-cluster' }), 'obs')).toBe('http://vminsert.obs.svc:8480/insert/0/prometheus/api/v1/write');
  });

  test('fails if a Loki push URL has another path', () => {
    expect(() => lokiOtlpFromPush('https://l.example.com/push')).toThrow(
      'a Loki push URL must end with /loki/api/v1/push, got "https://l.example.com/push"',
    );
  });
});
