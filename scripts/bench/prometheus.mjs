// Starts Prometheus on a backfilled TSDB, talks to its HTTP API and
// stops it, every wait bounded.
import { spawn } from 'child_process';
import { openSync, readFileSync } from 'fs';
import { createServer } from 'net';

export async function sparePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class PrometheusProcess {
  /** `binary`: the resolved prometheus; the flags keep it on loopback with the benchmark's TSDB (retention is in the config). */
  static async start({ binary, configFile, dataDir, logFile, port, readyTimeoutMs = 90_000 }) {
    const log = openSync(logFile, 'a');
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    const prom = new PrometheusProcess(child, port, logFile);
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${prom.logTail()}`);
      try {
        const res = await fetch(`${prom.url}/-/ready`);
        if (res.ok) return prom;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    await prom.stop();
    throw new Error(`prometheus not ready after ${readyTimeoutMs} ms:\n${prom.logTail()}`);
  }

  constructor(child, port, logFile) {
    this.child = child;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.logFile = logFile;
  }

  logTail(lines = 20) {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async api(path, params = {}) {
    const url = new URL(`/api/v1/${path}`, this.url);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    const body = await res.json();
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  /** An instant query; with `stats` the answer carries Prometheus' own timings and sample counts. */
  query(query, time, stats = false) {
    return this.api('query', { query, time, ...(stats ? { stats: 'all' } : {}) });
  }

  async scalar(query, time) {
    const data = await this.query(query, time);
    return data.result.length === 0 ? 0 : Number(data.result[0].value[1]);
  }

  /** SIGTERM, then SIGKILL if it has not exited in `timeoutMs`. */
  async stop(timeoutMs = 30_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return { clean: true, ms: 0 };
    const started = Date.now();
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const result = await Promise.race([exited.then(() => 'exited'), sleep(timeoutMs).then(() => 'timeout')]);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
      return { clean: false, ms: Date.now() - started };
    }
    return { clean: true, ms: Date.now() - started };
  }
}
