/**
 * The synthesized Prometheus and Alertmanager, started on loopback by the real binaries at the images'
 * versions: the pod's config file and container arguments, with only paths (mounts, see `loopback-pod.ts`)
 * and addresses (listen address, discovery through `startFakeKubeApi()`, Alertmanager, notification
 * endpoints) rewritten. A receiver sink stands in for PagerDuty, Slack, Telegram and the dead man's switch.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { parse } from 'yaml';
import { toYaml } from '../../src/lib/yaml';
import { loadManifestDir } from './k8s-schema';
import { loopbackPod } from './loopback-pod';
import { freePort, RunningProcess, startProcess } from './process';
import { requireTool, run } from './tools';

export interface StartedServer {
  readonly proc: RunningProcess;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The config file as the binary read it (paths and addresses rewritten). */
  readonly config: any;
  readonly args: string[];
}

/** The value of `--name=value` among the arguments; throws when absent. */
export function flagValue(args: readonly string[], name: string): string {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) throw new Error(`no --${name} among ${args.join(' ')}`);
  return arg.slice(name.length + 3);
}

/** Adds `--web.listen-address` on loopback; the pod's own arguments must not set one (it listens on :<port>). */
function listenOn(args: string[], port: number): string[] {
  if (args.some((a) => a.startsWith('--web.listen-address'))) throw new Error('the pod sets --web.listen-address: rewrite it instead');
  return [...args, `--web.listen-address=127.0.0.1:${port}`];
}

/** Rewrites the config file named by `--config.file` (already a local path) through `edit`, in place. */
function editConfigFile(args: readonly string[], edit: (config: any) => void): any {
  const file = flagValue(args, 'config.file');
  const config = parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, toYaml(config));
  return config;
}

/**
 * Flags that `<binary> --help` marks deprecated, by name without the dashes. kingpin prints each flag as
 * `  [-x, ]--name[=VALUE]` with its description on the same or the following lines.
 */
export function deprecatedFlags(tool: string): string[] {
  const help = run(requireTool(tool), ['--help']);
  const entries: Array<{ name: string; text: string }> = [];
  for (const line of (help.stdout + help.stderr).split('\n')) {
    const start = /^\s+(?:-\w, )?--(?:\[no-\])?([\w.-]+)/.exec(line);
    if (start) entries.push({ name: start[1], text: line });
    else if (entries.length > 0) entries[entries.length - 1].text += `\n${line}`;
  }
  return entries.filter((e) => /deprecated/i.test(e.text)).map((e) => e.name);
}

export interface PrometheusOptions {
  /** A kubeconfig (from `startFakeKubeApi()`) every `kubernetes_sd_configs` entry gets as `kubeconfig_file`. */
  readonly kubeconfig: string;
  /** `host:port` of the Alertmanager that replaces the synthesized targets; required when the config has some. */
  readonly alertmanager?: string;
}

/** Starts the environment's Prometheus StatefulSet pod and waits for `/-/ready`. */
export async function startPrometheus(envDir: string, opts: PrometheusOptions): Promise<StartedServer> {
  const pod = loopbackPod(loadManifestDir(envDir) as any[], 'prometheus');
  const port = await freePort();
  const podPort = String(pod.container.ports[0].containerPort);
  const config = editConfigFile(pod.args, (c) => {
    pod.rewritePaths(c);
    for (const job of c.scrape_configs ?? []) {
      for (const sd of job.kubernetes_sd_configs ?? []) sd.kubeconfig_file = opts.kubeconfig;
      // Prometheus scraping itself on its pod port.
      for (const sc of job.static_configs ?? []) sc.targets = sc.targets.map((t: string) => (t === `localhost:${podPort}` ? `127.0.0.1:${port}` : t));
    }
    for (const am of c.alerting?.alertmanagers ?? []) {
      if (!opts.alertmanager) throw new Error(`${envDir}: prometheus.yml sends alerts to Alertmanager; give opts.alertmanager`);
      am.static_configs = [{ targets: [opts.alertmanager] }];
    }
  });
  const args = listenOn(pod.args, port);
  const proc = startProcess(`prometheus (${path.basename(envDir)})`, requireTool('prometheus'), args);
  const url = `http://127.0.0.1:${port}`;
  await proc.waitForHttp(`${url}/-/ready`, 90_000);
  return { proc, url, config, args };
}

export interface AlertmanagerOptions {
  /** Each Secret the pod mounts, by name: key → value. */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Base URL standing in for the vendors' APIs (PagerDuty's events endpoint, Telegram's Bot API). */
  readonly vendorApi: string;
}

/** Receivers whose vendor endpoint the test can point at the sink; any other type is refused, so nothing leaves. */
const VENDOR_URL_FIELDS: Record<string, string | undefined> = {
  pagerduty_configs: 'url',
  telegram_configs: 'api_url',
  opsgenie_configs: 'api_url',
  // Slack's URL, the webhook's and Microsoft Teams' are credentials, read from the Secret's files: the test's values point at the sink.
  slack_configs: undefined,
  webhook_configs: undefined,
  msteamsv2_configs: undefined,
};

/** Starts the environment's Alertmanager StatefulSet pod and waits for `/-/ready`. */
export async function startAlertmanager(envDir: string, opts: AlertmanagerOptions): Promise<StartedServer> {
  const pod = loopbackPod(loadManifestDir(envDir) as any[], 'alertmanager', { secrets: opts.secrets });
  const port = await freePort();
  const config = editConfigFile(pod.args, (c) => {
    pod.rewritePaths(c);
    for (const receiver of c.receivers ?? []) {
      for (const [field, configs] of Object.entries(receiver)) {
        if (field === 'name') continue;
        if (!(field in VENDOR_URL_FIELDS)) throw new Error(`receiver ${receiver.name}: ${field} has no stand-in endpoint here`);
        const urlField = VENDOR_URL_FIELDS[field];
        // Opsgenie appends `v2/alerts` to its api_url's path, so that base URL ends in a slash.
        const base = `${opts.vendorApi}/${field.replace('_configs', '')}${field === 'opsgenie_configs' ? '/' : ''}`;
        if (urlField) for (const cfg of configs as any[]) cfg[urlField] = base;
      }
    }
  });
  const args = listenOn(pod.args, port);
  const proc = startProcess(`alertmanager (${path.basename(envDir)})`, requireTool('alertmanager'), args);
  const url = `http://127.0.0.1:${port}`;
  await proc.waitForHttp(`${url}/-/ready`, 60_000);
  return { proc, url, config, args };
}

/**
 * The receivers' Secret (`alerting-receivers`) as a test stands it in: every URL points at the sink. The
 * webhook and Microsoft Teams URLs of the environment's notification channels (their `url_file` and
 * `webhook_url_file` keys in its alertmanager.yml) become `<sink>/<key>`.
 */
export function receiverSecrets(sinkUrl: string, envDir: string): Record<string, string> {
  const secrets: Record<string, string> = {
    'pagerduty-routing-key': '0123456789abcdef0123456789abcdef',
    'slack-webhook-url': `${sinkUrl}/slack`,
    'telegram-bot-token': '123456:loopback-token',
    'deadman-webhook-url': `${sinkUrl}/deadman`,
  };
  const amFile = path.join(envDir, 'alertmanager', 'alertmanager.yml');
  const receivers: any[] = fs.existsSync(amFile) ? (parse(fs.readFileSync(amFile, 'utf8')).receivers ?? []) : [];
  const urlFiles = receivers.flatMap((r) => [...(r.webhook_configs ?? []).map((c: any) => c.url_file), ...(r.msteamsv2_configs ?? []).map((c: any) => c.webhook_url_file)]);
  for (const file of urlFiles) {
    const key = path.basename(file);
    secrets[key] ??= `${sinkUrl}/${key}`;
  }
  for (const cfg of receivers.flatMap((r) => r.opsgenie_configs ?? [])) secrets[path.basename(cfg.api_key_file)] ??= 'loopback-opsgenie-key';
  return secrets;
}

/** Posts alerts (label sets, firing from now) to Alertmanager's API, as Prometheus does. */
export async function postAlerts(url: string, alerts: Array<Record<string, string>>): Promise<void> {
  const startsAt = new Date().toISOString();
  const body = alerts.map((labels) => ({ labels, annotations: { summary: `${labels.alertname} test` }, startsAt }));
  const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`Alertmanager answered ${res.status} to the alerts: ${await res.text()}`);
}

export interface ReceivedRequest {
  readonly path: string;
  readonly body: string;
}

export interface ReceiverSink {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Resolves with the first request whose path starts with `prefix` and that `match` accepts; rejects after `timeoutMs`. */
  waitFor(prefix: string, match?: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server answering as each vendor does on success: Telegram's Bot API (`/telegram/bot<token>/…`),
 * Slack's incoming webhook (`ok`), PagerDuty's Events v2 (202), a heartbeat URL (200).
 */
export async function startReceiverSink(): Promise<ReceiverSink> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const p = req.url ?? '/';
      requests.push({ path: p, body });
      if (p.startsWith('/telegram/')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ok: true, result: { message_id: requests.length, date: 0, chat: { id: 1, type: 'group' }, text: '' } }));
      } else if (p.startsWith('/slack')) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      } else if (p.startsWith('/pagerduty')) {
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: 'x' }));
      } else {
        res.writeHead(200);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    async waitFor(prefix, match = () => true, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = requests.find((r) => r.path.startsWith(prefix) && match(r));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no request to ${prefix} within ${timeoutMs} ms; received: ${requests.map((r) => r.path).join(', ') || 'none'}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
