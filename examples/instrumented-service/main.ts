import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { instrument } from '../../src/instrumentation/instrument';

/**
 * A user's own service, instrumented for the platform in one call: an
 * order-service with its database on the stack's PostgreSQL, scraped by
 * Prometheus and sending traces to the stack's collector. Its credentials come
 * from the Secret `order-service-db` (keys `username` and `password`), which
 * the team creates; nothing secret is in the synthesized manifests.
 */
export function buildExample(app: App): Chart {
  const chart = new Chart(app, 'order-service', { namespace: 'go-ecommerce', disableResourceNameHashes: true });
  const deployment = new kplus.Deployment(chart, 'deployment', {
    metadata: { name: 'order-service' },
    replicas: 2,
    securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
    containers: [
      {
        name: 'order-service',
        image: 'ghcr.io/example-org/order-service:1.4.2',
        portNumber: 8080,
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
        },
      },
    ],
  });
  instrument(deployment, {
    service: 'order-service',
    collectorNamespace: 'monitoring',
    environment: 'prod',
    httpPort: 8080,
    database: { host: 'postgres.java-tasks.svc', name: 'orderdb', credentialsSecret: 'order-service-db' },
  });
  return chart;
}

if (require.main === module) {
  const app = new App({ outdir: process.argv[2] ?? 'dist/examples/instrumented-service' });
  buildExample(app);
  app.synth();
}
