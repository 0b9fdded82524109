/**
 * The deploy annotation Job's command, run as the pod would run it: its script under a POSIX sh and curl,
 * against a local HTTP server standing in for Grafana (only the URL is the test's own). On an empty cluster
 * the token Secret is not there yet, so GRAFANA_TOKEN is unset (the reference is optional): the Job must
 * succeed with a clear log line and post nothing. With a token it must post, and a refused token must fail it.
 */
import { spawn } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { Chart, Testing } from 'cdk8s';
import { DeployAnnotation } from '../src/gitops/deploy-annotation';

const TOKEN = 'glsa_test-token_0123456789';

function jobContainer(): { command: string[]; args: string[] } {
  const chart = new Chart(Testing.app(), 'test');
  new DeployAnnotation(chart, 'deploy-annotation', {
    namespace: 'monitoring',
    grafanaUrl: 'http://grafana.monitoring.svc:3000',
    environment: 'prod',
    deployedNamespace: 'monitoring',
    sourceIdentity: '0123456789ab',
    tokenSecret: { name: 'grafana-annotation-token', key: 'token' },
  });
  return Testing.synth(chart).find((o) => o.kind === 'Job').spec.template.spec.containers[0];
}

interface Received {
  method?: string;
  url?: string;
  authorization?: string;
  body: string;
}

async function withGrafana(status: number, run: (url: string, received: Received[]) => Promise<void>): Promise<void> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(status === 200 ? '{"id":1,"message":"Annotation added"}' : '{"message":"invalid API key"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, received);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** Runs the container's command and args, with Grafana's URL pointed at the local server. */
function runJob(grafana: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = jobContainer();
  const args = c.args.map((a) => a.replace('http://grafana.monitoring.svc:3000', grafana));
  return new Promise((resolve) => {
    const child = spawn(c.command[0], [...c.command.slice(1), ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('GIVEN no token Secret yet WHEN the Job runs THEN it logs that it skipped, posts nothing and succeeds', async () => {
  await withGrafana(200, async (url, received) => {
    const r = await runJob(url, {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deploy annotation skipped: no Grafana token yet (Secret grafana-annotation-token (key token) in namespace monitoring');
    expect(received).toEqual([]);
  });
});

test('GIVEN the token WHEN the Job runs THEN it posts the tagged annotation with the bearer token, which is on no command line', async () => {
  const c = jobContainer();
  expect([...c.command, ...c.args].join(' ')).not.toContain('$(GRAFANA_TOKEN)');
  await withGrafana(200, async (url, received) => {
    const r = await runJob(url, { GRAFANA_TOKEN: TOKEN });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/api/annotations', authorization: `Bearer ${TOKEN}` });
    expect(JSON.parse(received[0].body).tags).toEqual(['deploy', 'environment:prod', 'namespace:monitoring', 'source:0123456789ab']);
  });
});

test('GIVEN a token Grafana refuses WHEN the Job runs THEN it fails, with Grafana\'s answer in its log', async () => {
  await withGrafana(401, async (url) => {
    const r = await runJob(url, { GRAFANA_TOKEN: 'wrong' });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('invalid API key');
  });
});
