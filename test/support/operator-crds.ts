import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { registerCrdSchema } from './k8s-schema';

/** The same CRD file `cdk8s import` generated imports/monitoring.coreos.com.ts from. */
export const PROMETHEUS_OPERATOR_CRDS = path.join(__dirname, '..', '..', 'imports', 'crds', 'prometheus-operator.yaml');

/** The Prometheus Operator's CustomResourceDefinitions (PodMonitor, ServiceMonitor, PrometheusRule), as objects. */
export function prometheusOperatorCrds(): any[] {
  return parseAllDocuments(fs.readFileSync(PROMETHEUS_OPERATOR_CRDS, 'utf8'))
    .map((d) => d.toJS())
    .filter((d) => d?.kind === 'CustomResourceDefinition');
}

/** Registers their schemas, so validateObjects checks the CRs strictly against the operator's own. */
export function registerPrometheusOperatorCrds(): void {
  for (const crd of prometheusOperatorCrds()) {
    for (const version of crd.spec.versions) {
      registerCrdSchema(`${crd.spec.group}/${version.name}`, crd.spec.names.kind, version.schema.openAPIV3Schema);
    }
  }
}
