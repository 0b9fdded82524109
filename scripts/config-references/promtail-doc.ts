/**
 * Promtail's configuration reference: `docs/sources/send-data/promtail/configuration.md` for the file, and
 * one page per pipeline stage under `stages/` (the configuration page describes only some stages, and some
 * incompletely). Blocks the pages name but describe nowhere (`<tls_config>`) come from Prometheus's
 * reference at the version Promtail builds with, passed in as `external`.
 */
import { parseSchemaBlock, sectionSchemas, sections } from './prom-doc';
import { LEAF, list, node, ref, SchemaNode, TypeRef } from './schema';

/** How the configuration page names its sections in `<…>` references. */
const SECTION_OF: Record<string, string> = {
  global_config: 'global',
  server_config: 'server',
  client_config: 'clients',
  position_config: 'positions',
  scrape_config: 'scrape_configs',
  relabel_config: 'relabel_configs',
  static_config: 'static_configs',
  file_sd_configs: 'file_sd_config',
  docker_sd_config: 'docker_sd_configs',
  journal_config: 'journal',
  syslog_config: 'syslog',
  loki_push_api_config: 'loki_push_api',
  windows_events_config: 'windows_events',
  gcplog_config: 'GCP Log',
  azure_event_hub_config: 'Azure Event Hubs',
  kafka_config: 'kafka',
  gelf_config: 'GELF',
  cloudflare: 'Cloudflare',
};

/** The one item type of every pipeline (`pipeline_stages`, and a `match` stage's `stages`). */
const STAGE = 'pipeline_stage';

export interface PromtailReference {
  readonly root: TypeRef;
  readonly blocks: Map<string, TypeRef>;
  readonly stages: string[];
}

/** The stages the configuration page describes in sections of its own. */
const PAGE_STAGES = ['docker', 'cri', 'regex', 'json', 'template', 'match', 'timestamp', 'output', 'labels', 'metrics', 'tenant', 'replace'];

export function parsePromtailReference(configurationMd: string, stagePages: ReadonlyMap<string, string>, external: ReadonlyMap<string, TypeRef>): PromtailReference {
  const stageNames = [...stagePages.keys()].filter((n) => n !== '_index').sort();
  const isStage = (n: string) => stageNames.includes(n) || PAGE_STAGES.includes(n);
  const blocks = new Map<string, TypeRef>();
  const known = new Set<string>();
  const sectionNames = new Set(sections(configurationMd).map((s) => s.name));
  for (const n of sectionNames) if (!isStage(n)) known.add(n);
  for (const n of Object.keys(SECTION_OF)) known.add(n);
  // Stage names are blocks only inside alternations (handled below); `<regex>` elsewhere is a placeholder.
  for (const n of external.keys()) known.add(n);
  known.add('stages');
  known.add('pipeline_stages');

  // Every alternation that offers pipeline stages (`- [ <docker> | <cri> | … ]`) means any stage.
  const alternation = (names: string[]): TypeRef => {
    if (names.some(isStage)) return ref(STAGE);
    const n = new SchemaNode();
    n.includes.push(...names);
    return node(n);
  };
  const isBlock = (name: string) => known.has(name) || /^metric_/.test(name);

  // Stage pages: the first code block that describes `<stage>:`; their other sections (metric_counter …)
  // are blocks too.
  const stageSchemas = new Map<string, TypeRef>();
  for (const name of stageNames) {
    const page = stagePages.get(name)!;
    for (const s of sections(page)) {
      for (const b of s.blocks) {
        let t: TypeRef;
        try {
          t = parseSchemaBlock(b, { isBlock, alternation });
        } catch {
          continue;
        }
        if (t.kind === 'node' && t.node.fields.has(name) && t.node.fields.size === 1 && !stageSchemas.has(name)) stageSchemas.set(name, t);
        else if (/^metric_/.test(s.name) && !blocks.has(s.name)) blocks.set(s.name, t);
      }
    }
  }
  // The configuration page's own descriptions of stages fill in stages without a page.
  const pageSchemas = sectionSchemas(configurationMd, { isBlock: (n) => isBlock(n), alternation });
  for (const [name, t] of pageSchemas) {
    if (isStage(name)) {
      if (!stageSchemas.has(name) && t.kind === 'node' && t.node.fields.has(name)) stageSchemas.set(name, t);
      continue;
    }
    blocks.set(name, t);
  }
  // The configuration page describes the metric types as `counter`, `gauge` and `histogram`.
  for (const [short, long] of [
    ['counter', 'metric_counter'],
    ['gauge', 'metric_gauge'],
    ['histogram', 'metric_histogram'],
  ]) {
    if (!blocks.has(long) && blocks.has(short)) blocks.set(long, blocks.get(short)!);
    if (!blocks.has(short) && blocks.has(long)) blocks.set(short, blocks.get(long)!);
  }

  const stage = new SchemaNode();
  for (const name of [...stageSchemas.keys()].sort()) stage.includes.push(`stage:${name}`);
  for (const [name, t] of stageSchemas) blocks.set(`stage:${name}`, t);
  blocks.set(STAGE, node(stage));
  blocks.set('pipeline_stages', list(ref(STAGE)));
  blocks.set('stages', list(ref(STAGE)));
  for (const [alias, section] of Object.entries(SECTION_OF)) {
    const t = blocks.get(section);
    if (t && !blocks.has(alias)) blocks.set(alias, t);
  }
  for (const [name, t] of external) if (!blocks.has(name)) blocks.set(name, t);

  const root = pageSchemas.get('Supported contents and default values of config.yaml');
  if (!root) throw new Error('no "Supported contents and default values of `config.yaml`" block: is this the Promtail configuration reference?');
  return { root, blocks, stages: [...stageSchemas.keys()].sort() };
}

export { LEAF };
