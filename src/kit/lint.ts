import { DATASOURCE } from './datasources';

/** Grafana's grid is 24 columns wide. */
const GRID_WIDTH = 24;
const KNOWN_UIDS = new Set<string>(Object.values(DATASOURCE).map((d) => d.uid));
/** Grafana's "Mixed" pseudo-datasource: each target names its own. */
const MIXED = '-- Mixed --';

/**
 * What Grafana would silently get wrong in a dashboard's JSON model: duplicate
 * panel ids, panels that overlap or leave the grid (the SDK's automatic layout
 * does not wrap), panels or targets without a known datasource, targets without
 * a unique refId, and a dashboard without the deploy markers.
 */
export function lintDashboard(json: any, deployTag: string, extraDatasourceUids: readonly string[] = []): string[] {
  const uid = json.uid ?? '(no uid)';
  const known = new Set([...KNOWN_UIDS, ...extraDatasourceUids]);
  const problems: string[] = [];
  const panels: any[] = json.panels ?? [];
  // A collapsed row holds its panels (as a dashboard exported from Grafana may): they are checked like the others.
  const all: any[] = panels.flatMap((p) => [p, ...(p.type === 'row' ? (p.panels ?? []) : [])]);
  const ids = new Map<number, string>();
  all.forEach((p) => {
    const name = `panel "${p.title}"`;
    if (typeof p.id !== 'number') problems.push(`${name} has no id`);
    else if (ids.has(p.id)) problems.push(`${name} has id ${p.id}, like panel "${ids.get(p.id)}"`);
    else ids.set(p.id, p.title);

    const g = p.gridPos;
    if (!g || [g.x, g.y, g.w, g.h].some((n) => typeof n !== 'number')) problems.push(`${name} has no gridPos`);
    else if (g.x < 0 || g.w < 1 || g.h < 1 || g.x + g.w > GRID_WIDTH) problems.push(`${name} does not fit the ${GRID_WIDTH}-column grid: ${JSON.stringify(g)}`);

    // A row only groups panels: it queries nothing.
    if (p.type === 'row') return;
    if (!p.datasource?.uid) problems.push(`${name} has no datasource`);
    else if (p.datasource.uid !== MIXED && !known.has(p.datasource.uid)) problems.push(`${name} uses datasource uid "${p.datasource.uid}", not one Grafana will have (${[...known].join(', ')})`);
    const refIds = new Set<string>();
    for (const t of p.targets ?? []) {
      if (!t.refId) problems.push(`${name} has a target without refId`);
      else if (refIds.has(t.refId)) problems.push(`${name} has two targets with refId ${t.refId}`);
      refIds.add(t.refId);
      const ds = t.datasource?.uid ?? (p.datasource?.uid === MIXED ? undefined : p.datasource?.uid);
      if (!ds || !known.has(ds)) problems.push(`${name} target ${t.refId} has no known datasource`);
    }
  });
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i].gridPos;
      const b = panels[j].gridPos;
      if (!a || !b) continue;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
        problems.push(`panel "${panels[i].title}" ${JSON.stringify(a)} overlaps panel "${panels[j].title}" ${JSON.stringify(b)}`);
      }
    }
  }
  const annotations: any[] = json.annotations?.list ?? [];
  if (!annotations.some((a) => a.datasource?.uid === DATASOURCE.grafana.uid && a.target?.tags?.includes(deployTag))) {
    problems.push(`no deploy annotation (tag "${deployTag}")`);
  }
  return problems.map((p) => `dashboard "${uid}": ${p}`);
}
