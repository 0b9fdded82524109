import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** The configuration files the stack hands to a component, by the component that reads them. */
export type ConfigKind = 'loki' | 'promtail' | 'alloy' | 'grafana-datasources' | 'grafana-dashboards' | 'grafana-alerting';

export interface ComponentConfig {
  readonly kind: ConfigKind;
  /** Where it is, for messages: `dist/qa/loki.k8s.yaml ConfigMap/loki-config loki.yaml`. */
  readonly where: string;
  readonly text: string;
}

function kindOf(configMap: string, key: string): ConfigKind | undefined {
  if (configMap === 'loki-config' && key === 'loki.yaml') return 'loki';
  if (configMap === 'promtail-config' && key === 'promtail.yaml') return 'promtail';
  if (configMap === 'alloy-config' && key.endsWith('.alloy')) return 'alloy';
  if (configMap === 'grafana-provisioning' && key === 'datasources.yaml') return 'grafana-datasources';
  if (configMap === 'grafana-provisioning' && key === 'dashboards.yaml') return 'grafana-dashboards';
  if (configMap === 'grafana-alerting') return 'grafana-alerting';
  return undefined;
}

/**
 * Every Loki, Promtail, Alloy and Grafana provisioning file in a directory of synthesized environments
 * (`<dir>/<env>/…`): the ConfigMaps' data, and the alerting files written beside them (`grafana-alerting/`).
 * `label` replaces `dir` in `where`.
 */
export function componentConfigs(dir: string, label: string): ComponentConfig[] {
  const out: ComponentConfig[] = [];
  for (const env of fs.readdirSync(dir).sort()) {
    const envDir = path.join(dir, env);
    if (!fs.statSync(envDir).isDirectory()) continue;
    for (const file of fs.readdirSync(envDir).sort()) {
      if (!file.endsWith('.k8s.yaml')) continue;
      for (const doc of parseAllDocuments(fs.readFileSync(path.join(envDir, file), 'utf8'))) {
        const o = doc.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> } | null;
        if (o?.kind !== 'ConfigMap' || !o.data) continue;
        for (const [key, text] of Object.entries(o.data)) {
          const kind = kindOf(o.metadata?.name ?? '', key);
          if (kind) out.push({ kind, where: `${label}/${env}/${file} ConfigMap/${o.metadata?.name} ${key}`, text });
        }
      }
    }
    const alerting = path.join(envDir, 'grafana-alerting');
    if (fs.existsSync(alerting)) {
      for (const file of fs.readdirSync(alerting).sort()) {
        out.push({ kind: 'grafana-alerting', where: `${label}/${env}/grafana-alerting/${file}`, text: fs.readFileSync(path.join(alerting, file), 'utf8') });
      }
    }
  }
  return out;
}
