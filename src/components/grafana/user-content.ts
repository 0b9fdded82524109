/**
 * Dashboards and datasources a platform team brings: from the config
 * (`grafana.dashboards`, `grafana.datasources`) or from code (StackOptions).
 * They get the checks the built-in ones get, and may neither shadow a built-in
 * uid or name nor put a secret into dist/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { k8s } from 'cdk8s-plus-28';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { GrafanaConfig } from './config';
import { checkDashboardJson, renderDashboard, RenderedDashboard } from '../../kit/dashboard';
import type { GrafanaDatasource } from './grafana';

export type UserDatasourceSpec = GrafanaConfig['datasources'][number];

/**
 * The user's datasources in provisioning form. Each secure field is read by
 * Grafana from an environment variable filled from the Secret (`$__env{...}`);
 * the variable is not GF_-prefixed, which Grafana would read as a setting.
 */
export function userDatasources(
  specs: readonly UserDatasourceSpec[],
  builtIn: readonly GrafanaDatasource[],
  field: (i: number) => string,
): { datasources: GrafanaDatasource[]; env: k8s.EnvVar[] } {
  const uids = new Map(builtIn.map((d) => [d.uid, 'a built-in datasource']));
  const names = new Map(builtIn.map((d) => [d.name, 'a built-in datasource']));
  const datasources: GrafanaDatasource[] = [];
  const env: k8s.EnvVar[] = [];
  specs.forEach((spec, i) => {
    const where = field(i);
    const uidOwner = uids.get(spec.uid);
    if (uidOwner) throw new Error(`${where}.uid: "${spec.uid}" is already the uid of ${uidOwner}; choose another`);
    const nameOwner = names.get(spec.name);
    if (nameOwner) throw new Error(`${where}.name: "${spec.name}" is already the name of ${nameOwner}; choose another`);
    uids.set(spec.uid, where);
    names.set(spec.name, where);
    const secure: Record<string, string> = {};
    for (const [key, ref] of Object.entries(spec.secureJsonData ?? {})) {
      const variable = `DATASOURCE_${spec.uid}_${key}`.replace(/-/g, '_').toUpperCase();
      env.push({ name: variable, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } } });
      secure[key] = `$__env{${variable}}`;
    }
    datasources.push({
      name: spec.name,
      type: spec.type,
      uid: spec.uid,
      url: spec.url,
      access: 'proxy',
      editable: false,
      ...(spec.user ? { user: spec.user } : {}),
      ...(spec.jsonData ? { jsonData: { ...spec.jsonData } } : {}),
      ...(Object.keys(secure).length > 0 ? { secureJsonData: secure } : {}),
    });
  });
  return { datasources, env };
}

export interface UserDashboardSources {
  /** `grafana.dashboards[].file`, relative to `baseDir`. */
  readonly files: readonly { readonly file: string }[];
  readonly baseDir: string;
  /** Built with the grafana-foundation-sdk in the team's own code. */
  readonly builders: readonly DashboardBuilder[];
  /** Every datasource uid Grafana will have, the user's included. */
  readonly datasourceUids: readonly string[];
  /** The built-in dashboards' uids, which a user dashboard may not take. */
  readonly builtInUids: readonly string[];
}

/** Reads, checks and renders the user's dashboards; every problem names the field, the file and what is wrong. */
export function userDashboards(src: UserDashboardSources): RenderedDashboard[] {
  const taken = new Map(src.builtInUids.map((uid) => [uid, 'a built-in dashboard']));
  const claim = (d: RenderedDashboard, where: string) => {
    const owner = taken.get(d.uid);
    if (owner) throw new Error(`${where}: uid "${d.uid}" is already the uid of ${owner}; choose another`);
    taken.set(d.uid, where);
    return d;
  };
  const fromFiles = src.files.map(({ file }, i) => {
    const where = `grafana.dashboards[${i}].file "${file}"`;
    const full = path.resolve(src.baseDir, file);
    let model: unknown;
    try {
      model = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (err) {
      throw new Error(`${where}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such file (${full})` : (err as Error).message}`);
    }
    let dashboard: RenderedDashboard;
    try {
      dashboard = checkDashboardJson(model, src.datasourceUids);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    return claim(dashboard, where);
  });
  const fromCode = src.builders.map((builder, i) => claim(renderDashboard(builder, src.datasourceUids), `StackOptions.dashboards[${i}]`));
  return [...fromFiles, ...fromCode];
}
