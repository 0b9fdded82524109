import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Grafana, GrafanaProps } from './grafana';
import { parseConfig } from '../../config/loader';
import { validateObjects } from '../../../test/support/k8s-schema';

const base: GrafanaProps = {
  namespace: 'monitoring',
  adminSecret: { name: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' },
  datasources: [{ name: 'Prometheus', type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090', isDefault: true }],
  dashboardConfigMaps: ['grafana-dashboard-a', 'grafana-dashboard-b'],
};

function synth(props: Partial<GrafanaProps> = {}) {
  const chart = Testing.chart();
  new Grafana(chart, 'grafana', { ...base, ...props });
  return Testing.synth(chart) as any[];
}

test('snapshot: Grafana with its defaults', () => {
  expect(synth()).toMatchSnapshot();
});

test('admin credentials come from the named Secret; anonymous access is Viewer only', () => {
  const env: any[] = synth().find((o) => o.kind === 'StatefulSet').spec.template.spec.containers[0].env;
  const byName = Object.fromEntries(env.map((e) => [e.name, e]));
  expect(byName.GF_SECURITY_ADMIN_USER.valueFrom.secretKeyRef).toEqual({ name: 'grafana-admin', key: 'admin-user' });
  expect(byName.GF_SECURITY_ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'grafana-admin', key: 'admin-password' });
  expect(byName.GF_AUTH_ANONYMOUS_ENABLED.value).toBe('true');
  expect(byName.GF_AUTH_ANONYMOUS_ORG_ROLE.value).toBe('Viewer');
});

test('every dashboard ConfigMap is mounted into the provisioned dashboards directory', () => {
  const objects = synth();
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const volume = sts.spec.template.spec.volumes.find((v: any) => v.name === 'dashboards');
  expect(volume.projected.sources.map((s: any) => s.configMap.name)).toEqual(['grafana-dashboard-a', 'grafana-dashboard-b']);
  const provider = parse(objects.find((o) => o.kind === 'ConfigMap').data['dashboards.yaml']).providers[0];
  const mount = sts.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'dashboards');
  expect(provider.options.path).toBe(mount.mountPath);
});

test('Prometheus is provisioned as the default datasource', () => {
  const datasources = parse(synth().find((o) => o.kind === 'ConfigMap').data['datasources.yaml']);
  expect(datasources.apiVersion).toBe(1);
  expect(datasources.datasources.filter((d: any) => d.isDefault).map((d: any) => d.uid)).toEqual(['prometheus']);
});

test('fails if there is no default datasource', () => {
  expect(() => synth({ datasources: [{ ...base.datasources[0], isDefault: false }] })).toThrow(/exactly one default datasource, got 0/);
});

describe('GIVEN an ingress', () => {
  const objects = synth({ ingress: { host: 'grafana.example.com', className: 'nginx', tlsSecretName: 'grafana-tls' } });
  const ingress = objects.find((o) => o.kind === 'Ingress');
  const service = objects.find((o) => o.kind === 'Service');

  test("THEN it routes the host, over TLS, to a port Grafana's Service has, and is valid for the API server", () => {
    const rule = ingress.spec.rules[0];
    expect(rule.host).toBe('grafana.example.com');
    const backend = rule.http.paths[0].backend.service;
    expect(backend.name).toBe(service.metadata.name);
    expect(service.spec.ports.map((p: any) => p.name)).toContain(backend.port.name);
    expect(ingress.spec.tls).toEqual([{ hosts: ['grafana.example.com'], secretName: 'grafana-tls' }]);
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(validateObjects([ingress])).toEqual([]);
  });

  test('THEN Grafana knows its public URL, for redirects and the links in its notifications', () => {
    const env: any[] = objects.find((o) => o.kind === 'StatefulSet').spec.template.spec.containers[0].env;
    expect(env).toEqual(expect.arrayContaining([{ name: 'GF_SERVER_ROOT_URL', value: 'https://grafana.example.com/' }]));
  });

  test('GIVEN none THEN there is no Ingress and no public URL', () => {
    const plain = synth();
    expect(plain.filter((o) => o.kind === 'Ingress')).toEqual([]);
    expect(JSON.stringify(plain)).not.toContain('GF_SERVER_ROOT_URL');
  });

  test('fails in the config if the host carries a scheme', () => {
    const yaml = [
      'environment: prod',
      'cluster: prod',
      'repository: { url: "https://example.com/repo" }',
      'grafana: { adminCredentials: { secretName: grafana-admin }, ingress: { host: "https://grafana.example.com" } }',
    ].join('\n');
    expect(() => parseConfig(yaml, 'c.yaml')).toThrow(/grafana\.ingress\.host: expected a host name like "grafana\.example\.com" \(lower-case, no scheme, port or path\)/);
  });
});
