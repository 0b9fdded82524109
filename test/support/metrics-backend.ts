import { PROMETHEUS_ONLY_SETTINGS } from '../../src/components/prometheus/config';
import { VM_PORTS } from '../../src/components/victoriametrics/victoriametrics';
import { StackConfig } from '../../src/config/schema';

/**
 * What a config's metrics.backend runs on an all-in-one or central cluster, as kind/name of the synthesized
 * workloads, so tests follow the backend the config under test chose instead of assuming Prometheus.
 */
export interface MetricsBackend {
  /** The workloads that keep the samples on a volume. */
  readonly stores: string[];
  /** The workload that scrapes the jobs, and the ConfigMap and key holding its scrape configs. */
  readonly scraper: { readonly owner: string; readonly configMap: string; readonly key: string };
  /** Where Grafana queries and where the collector remote-writes: `kind/name:port`. */
  readonly query: string;
  readonly write: string;
  /** The remote-write path on `write`. */
  readonly writePath: string;
}

export function metricsBackend(config: StackConfig): MetricsBackend {
  const vmagent = { owner: 'StatefulSet/vmagent', configMap: 'vmagent-config', key: 'scrape.yml' };
  switch (config.metrics.backend) {
    case 'prometheus':
      return {
        stores: ['StatefulSet/prometheus'],
        scraper: { owner: 'StatefulSet/prometheus', configMap: 'prometheus-config', key: 'prometheus.yml' },
        query: 'StatefulSet/prometheus:9090',
        write: 'StatefulSet/prometheus:9090',
        writePath: '/api/v1/write',
      };
    case 'victoriametrics':
      return {
        stores: ['StatefulSet/victoriametrics'],
        scraper: vmagent,
        query: `StatefulSet/victoriametrics:${VM_PORTS.single}`,
        write: `StatefulSet/victoriametrics:${VM_PORTS.single}`,
        writePath: '/api/v1/write',
      };
    case 'victoriametrics-cluster':
      return {
        stores: ['StatefulSet/vmstorage'],
        scraper: vmagent,
        query: `Deployment/vmselect:${VM_PORTS.vmselect}`,
        write: `Deployment/vminsert:${VM_PORTS.vminsert}`,
        // Tenant 0 of the cluster.
        writePath: '/insert/0/prometheus/api/v1/write',
      };
    case 'prometheus-operator':
      throw new Error('metrics.backend "prometheus-operator" runs no metrics store of its own: the cluster\'s Prometheus Operator does');
  }
}

/**
 * The settings that switch a config to `backend`, as a user would: the other store's settings go too, since synth
 * refuses settings of a store the environment does not run (`undefined` removes a field in copyConfig).
 */
export function backendSwitch(backend: StackConfig['metrics']['backend']): Array<[Array<string | number>, unknown]> {
  const prometheusOnly: Array<[Array<string | number>, unknown]> = PROMETHEUS_ONLY_SETTINGS.map((at) => [['prometheus', ...at], undefined]);
  return [[['metrics', 'backend'], backend], ...(backend === 'prometheus' ? [[['metrics', 'victoriaMetrics'], undefined] as [string[], unknown]] : prometheusOnly)];
}
