import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { RABBITMQ_PROMETHEUS_PORT } from '../../src/components/rabbitmq/scrape';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'rabbitmq');
/** What the broker answered for each vhost parameter (the recording covers the two the shipped configs use). */
export const RECORDED: Record<string, string> = { '/': 'detailed-vhost-root.prom', '/qa': 'detailed-vhost-qa.prom' };
export const recorded = (vhost: string) => fs.readFileSync(path.join(FIXTURES, RECORDED[vhost]), 'utf8');

/** A stand-in broker on a loopback address of its own, on the plugin's fixed port, answering as recorded. */
export async function startBroker(): Promise<{ ip: string; requests: URL[]; close: () => Promise<void> }> {
  const requests: URL[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const ip = `127.0.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${ip}`);
      requests.push(url);
      const vhost = url.searchParams.get('vhost') ?? '';
      if (url.pathname !== '/metrics/detailed' || !(vhost in RECORDED)) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(recorded(vhost));
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(RABBITMQ_PROMETHEUS_PORT, ip, () => resolve(true));
    });
    if (listening) return { ip, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
  }
  throw new Error(`no free loopback address for port ${RABBITMQ_PROMETHEUS_PORT}`);
}

