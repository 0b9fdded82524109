import { ScrapeJob } from '../lib/scrape';

/*
 * The model of the platform's network flows: who connects to which pods on which ports, and why.
 * The security layer turns the flows into NetworkPolicies; components describe their own.
 */

/** Pods of the stack: `app.kubernetes.io/name` in a namespace. */
export interface Endpoint {
  readonly namespace: string;
  readonly app: string;
}

/** Who starts the connection. */
export type FlowSource =
  /** Pods of the stack. */
  | { readonly pods: Endpoint }
  /** Every pod of these namespaces (an ingress controller's, for example). */
  | { readonly namespaces: readonly string[] }
  /** Every pod of every namespace: applications the stack does not enumerate. */
  | { readonly anyNamespace: true };

export interface Flow {
  readonly from: FlowSource;
  readonly to: Endpoint;
  /** Port numbers, or names of the destination's container ports. TCP. */
  readonly ports: ReadonlyArray<number | string>;
  /** Why this flow exists; carried into the policy as an annotation for reviewers. */
  readonly why: string;
}


/** `<service>.<namespace>.svc[:port]` inside a URL or address: the stack names each Service after its pods' app name. */
const SERVICE_ADDRESS = /^(?:[a-z]+:\/\/)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)(?:\/.*)?$/;

/**
 * The destination of an in-cluster URL or `host:port` of the stack
 * (`http://loki.monitoring.svc:3100/otlp`). Throws for anything else, so a
 * flow can never silently point nowhere.
 */
export function serviceEndpoint(address: string): { endpoint: Endpoint; port: number } {
  const m = SERVICE_ADDRESS.exec(address);
  if (!m) throw new Error(`"${address}" is not an in-cluster address like "http://<service>.<namespace>.svc:<port>"`);
  return { endpoint: { namespace: m[2], app: m[1] }, port: Number(m[3]) };
}

/** A flow to the Service behind an in-cluster URL of the stack. */
export function urlFlow(from: FlowSource, address: string, why: string): Flow {
  const { endpoint, port } = serviceEndpoint(address);
  return { from, to: endpoint, ports: [port], why };
}

/**
 * Prometheus' flows to the stack's own scrape targets, read from the scrape
 * jobs themselves (`componentScrapeJob`: one namespace, a kept app name, a
 * kept port name), so a new exporter is admitted by being scraped.
 * Jobs of another shape (annotated pods, kubelets, itself) are not the stack's
 * pods and yield no flow.
 */
export function scrapeFlows(prometheus: Endpoint, jobs: readonly ScrapeJob[]): Flow[] {
  const flows: Flow[] = [];
  for (const job of jobs) {
    const sd = job.kubernetes_sd_configs ?? [];
    const namespaces = sd.flatMap((c) => (c.role === 'pod' ? (c.namespaces?.names ?? []) : []));
    const keep = (label: string) =>
      job.relabel_configs?.find((r) => r.action === 'keep' && r.source_labels?.length === 1 && r.source_labels[0] === label)?.regex;
    const app = keep('__meta_kubernetes_pod_label_app_kubernetes_io_name');
    const portName = keep('__meta_kubernetes_pod_container_port_name');
    if (namespaces.length === 0 || !app || !portName) continue;
    if (!/^[a-z0-9-]+$/.test(app) || !/^[a-z0-9-]+$/.test(portName)) {
      throw new Error(`scrape job "${job.job_name}": app "${app}" and port "${portName}" must be plain names to derive a NetworkPolicy`);
    }
    for (const namespace of namespaces) {
      flows.push({ from: { pods: prometheus }, to: { namespace, app }, ports: [portName], why: `scrape job ${job.job_name}` });
    }
  }
  return flows;
}
