import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';

/** The prometheus.yml inside the synthesized `prometheus-config` ConfigMap of an environment. */
export function prometheusYaml(envDir: string): string {
  const docs = parseAllDocuments(fs.readFileSync(path.join(envDir, 'prometheus.k8s.yaml'), 'utf8')).map((d) => d.toJS());
  const cm = docs.find((d) => d?.kind === 'ConfigMap' && d.metadata.name === 'prometheus-config');
  if (!cm) throw new Error(`${envDir}: no prometheus-config ConfigMap`);
  return cm.data['prometheus.yml'];
}

export interface RuleFile {
  readonly file: string;
  readonly groups: Array<{ name: string; rules: Array<Record<string, any>> }>;
}

export function ruleFiles(envDir: string): RuleFile[] {
  const dir = path.join(envDir, 'rules');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), groups: parse(fs.readFileSync(path.join(dir, f), 'utf8')).groups }));
}

export function dashboards(envDir: string): Array<{ file: string; json: any }> {
  const dir = path.join(envDir, 'dashboards');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), json: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }));
}
