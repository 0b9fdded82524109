/**
 * `npx tsx scripts/tools/vm-cluster-flags.ts`: refreshes test/references/victoriametrics-flags.json, the
 * command-line flags that vminsert, vmselect and vmstorage (and, for comparison, the single-node
 * victoria-metrics) register at the version of their images.
 *
 * The cluster binaries are built from the `-cluster` tags, which the Go module proxy does not serve, so the
 * tests cannot run them. The module at the same release (`v<version>`, served) ships each binary's `-help`
 * output under docs/victoriametrics/<binary>_common_flags.md (upstream regenerates these files from the
 * binaries with `make docs-update-flags` around each release, so a release's copy can be the previous
 * release's output: read the release's changelog for added or removed flags when refreshing); this script
 * reads the flag names, types and deprecation notes from there.
 * test/integration/victoriametrics.test.ts checks every synthesized flag against the list, and fails when the
 * images move to a version the list was not made for.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { IMAGES } from '../../src/lib/images';
import { semverOfTag } from './catalog';
import { REPO_ROOT } from './resolve';

export const VM_FLAGS_REFERENCE = path.join(REPO_ROOT, 'test', 'references', 'victoriametrics-flags.json');
const MODULE = 'github.com/VictoriaMetrics/VictoriaMetrics';
const BINARIES = ['vminsert', 'vmselect', 'vmstorage', 'victoria-metrics'] as const;

export interface FlagInfo {
  /** The type `-help` prints (`int`, `duration`, `string`, `array`, `value`, `size`, …; Go's flag package prints
   * a back-quoted word of the help text instead, when there is one); `bool` when it prints none. */
  readonly type: string;
  /** The help text says the flag is deprecated. */
  readonly deprecated: boolean;
}

export interface VmFlagsReference {
  readonly module: string;
  readonly moduleVersion: string;
  readonly source: string;
  readonly binaries: Record<(typeof BINARIES)[number], Record<string, FlagInfo>>;
}

/** Parses Go's `flag.PrintDefaults` layout: `  -name type` then indented help lines. */
export function parseHelp(text: string): Record<string, FlagInfo> {
  const flags: Record<string, { type: string; help: string[] }> = {};
  let current: { type: string; help: string[] } | undefined;
  for (const line of text.split('\n')) {
    const head = /^ {2}-([A-Za-z0-9_.-]+)(?: (\S+))?$/.exec(line);
    if (head) {
      current = { type: head[2] ?? 'bool', help: [] };
      flags[head[1]] = current;
    } else if (current && /^ {4,}\S/.test(line)) {
      current.help.push(line.trim());
    } else {
      current = undefined;
    }
  }
  return Object.fromEntries(
    Object.entries(flags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, f]) => [name, { type: f.type, deprecated: /\bdeprecated\b/i.test(f.help.join(' ')) }]),
  );
}

/** The cluster images' release; every VictoriaMetrics image carries the same one. */
export function vmClusterVersion(): string {
  const versions = new Set((['vminsert', 'vmselect', 'vmstorage', 'victoriaMetrics'] as const).map((k) => semverOfTag(IMAGES[k].tag)));
  if (versions.size !== 1) throw new Error(`the VictoriaMetrics images disagree on the release: ${[...versions].join(', ')}`);
  return [...versions][0];
}

/** Pretty JSON with one line per flag, so a refresh shows as a readable diff. */
function formatReference(reference: VmFlagsReference): string {
  const binaries = Object.entries(reference.binaries).map(([binary, flags]) => {
    const lines = Object.entries(flags).map(([name, info]) => `      ${JSON.stringify(name)}: ${JSON.stringify(info)}`);
    return `    ${JSON.stringify(binary)}: {\n${lines.join(',\n')}\n    }`;
  });
  const head = (['module', 'moduleVersion', 'source'] as const).map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(reference[k])}`);
  return `{\n${head.join(',\n')},\n  "binaries": {\n${binaries.join(',\n')}\n  }\n}\n`;
}

function main(): void {
  const moduleVersion = `v${vmClusterVersion()}`;
  const dl = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@${moduleVersion}`], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local', GOWORK: 'off' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const info = dl.status === 0 ? (JSON.parse(dl.stdout) as { Dir?: string }) : {};
  if (!info.Dir) throw new Error(`go mod download ${MODULE}@${moduleVersion} failed: ${dl.error?.message ?? dl.stderr}`);
  const binaries = {} as VmFlagsReference['binaries'];
  for (const binary of BINARIES) {
    const file = path.join(info.Dir, 'docs', 'victoriametrics', `${binary.replace('-', '_')}_common_flags.md`);
    const flags = parseHelp(fs.readFileSync(file, 'utf8'));
    if (Object.keys(flags).length < 50) throw new Error(`${file}: only ${Object.keys(flags).length} flags parsed`);
    binaries[binary] = flags;
  }
  const reference: VmFlagsReference = {
    module: MODULE,
    moduleVersion,
    source: 'docs/victoriametrics/<binary>_common_flags.md of the module: upstream\'s copy of the binaries\' -help output',
    binaries,
  };
  fs.mkdirSync(path.dirname(VM_FLAGS_REFERENCE), { recursive: true });
  fs.writeFileSync(VM_FLAGS_REFERENCE, formatReference(reference));
  const counts = BINARIES.map((b) => `${b} ${Object.keys(binaries[b]).length}`).join(', ');
  process.stdout.write(`${path.relative(REPO_ROOT, VM_FLAGS_REFERENCE)}: ${MODULE}@${moduleVersion}: ${counts} flags\n`);
}

if (require.main === module) main();
