import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { validateObjects } from '../../../test/support/k8s-schema';
import { Jaeger, jaegerConfig } from './jaeger';

describe('Jaeger on a search store', () => {
  const chart = new Chart(Testing.app(), 'test');
  new Jaeger(chart, 'jaeger', {
    namespace: 'monitoring',
    storage: 'elasticsearch',
    searchStore: {
      serverUrls: ['https://es-0.example.com:9200', 'https://es-1.example.com:9200'],
      indexPrefix: 'prod',
      replicas: 3,
      credentials: { secretName: 'es-creds', usernameKey: 'user', passwordKey: 'pass' },
    },
  });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  test('GIVEN Elasticsearch WHEN synthesized THEN it matches the snapshot and is strictly valid', () => {
    expect(objects).toMatchSnapshot();
    expect(validateObjects(objects)).toEqual([]);
  });

  test('Jaeger becomes a stateless Deployment with no volume claim', () => {
    expect(find('Deployment', 'jaeger').spec.replicas).toBe(3);
    expect(objects.filter((o) => o.kind === 'StatefulSet' || o.kind === 'PersistentVolumeClaim')).toEqual([]);
  });

  test('the backend lists the servers, names the index prefix, and reads basic auth from the environment', () => {
    const config = parse(find('ConfigMap', 'jaeger-config').data['config.yaml']);
    const backend = config.extensions.jaeger_storage.backends.traces.elasticsearch;
    expect(backend.server_urls).toEqual(['https://es-0.example.com:9200', 'https://es-1.example.com:9200']);
    // Daily indices are Jaeger's default; test/integration/jaeger.test.ts sees the real binary write them.
    expect(backend.indices).toEqual({ index_prefix: 'prod' });
    expect(backend.auth).toEqual({ basic: { username: '${env:JAEGER_SEARCH_USERNAME}', password: '${env:JAEGER_SEARCH_PASSWORD}' } });
    expect(find('Deployment', 'jaeger').spec.template.spec.containers[0].env).toEqual([
      { name: 'JAEGER_SEARCH_USERNAME', valueFrom: { secretKeyRef: { name: 'es-creds', key: 'user' } } },
      { name: 'JAEGER_SEARCH_PASSWORD', valueFrom: { secretKeyRef: { name: 'es-creds', key: 'pass' } } },
    ]);
  });

  test('GIVEN OpenSearch without credentials THEN the backend is named opensearch and has no auth', () => {
    const config = jaegerConfig({ storage: 'opensearch', retention: '7d', maxTraces: 1000, searchStore: { serverUrls: ['http://os:9200'] } }) as any;
    expect(Object.keys(config.extensions.jaeger_storage.backends.traces)).toEqual(['opensearch']);
    expect(config.extensions.jaeger_storage.backends.traces.opensearch.auth).toBeUndefined();
    expect(config.extensions.jaeger_storage.backends.traces.opensearch.indices.index_prefix).toBe('jaeger');
  });

  test('fails if a search storage has no server URLs', () => {
    expect(() => jaegerConfig({ storage: 'opensearch', retention: '7d', maxTraces: 1000 })).toThrow(
      'Jaeger: storage "opensearch" needs a searchStore (server URLs), got none',
    );
  });
});
