import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { registerCrdSchema } from './k8s-schema';

/** The same CRD file `cdk8s import` generated imports/argoproj.io.ts from. */
export const ARGOCD_APPLICATION_CRD = path.join(__dirname, '..', '..', 'imports', 'crds', 'argocd-application.yaml');

/** Registers the Application schema, so validateObjects checks Applications strictly. */
export function registerArgoCdCrds(): void {
  const crd = parse(fs.readFileSync(ARGOCD_APPLICATION_CRD, 'utf8'));
  for (const version of crd.spec.versions) {
    registerCrdSchema(`${crd.spec.group}/${version.name}`, crd.spec.names.kind, version.schema.openAPIV3Schema);
  }
}
