/**
 * The instrumented example service against a real PostgreSQL at the image's version, configured like the
 * stack's own (no TLS, password authentication over TCP): the client connects with exactly the environment
 * `instrument()` synthesizes. Only the server's address and the Secret's values are the test's own; the
 * password holds every character that would break a URL.
 */
import { Testing } from 'cdk8s';
import { buildExample } from '../../examples/instrumented-service/main';
import { PostgresServer, startPostgres } from '../support/postgres';

jest.setTimeout(120_000);

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };

const ROLE = 'order_svc';
const PASSWORD = `p@ss:w/rd#%?&='"x`;
const SECRET_VALUES: Record<string, string> = { 'order-service-db/username': ROLE, 'order-service-db/password': PASSWORD };

const objects = Testing.synth(buildExample(Testing.app())) as any[];
const container = objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];

/** The container's database environment as the kubelet gives it, with the test's Secret values. */
function databaseEnv(): Record<string, string> {
  const env: EnvVar[] = container.env;
  const resolved = env.map((e): [string, string] => {
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) return [e.name, e.value ?? ''];
    const value = SECRET_VALUES[`${ref.name}/${ref.key}`];
    if (value === undefined) throw new Error(`the test has no value for Secret ${ref.name} key ${ref.key}`);
    return [e.name, value];
  });
  return Object.fromEntries(resolved.filter(([name]) => name.startsWith('PG') || name === 'DATABASE_URL'));
}

describe('GIVEN the instrumented example and a PostgreSQL without TLS, like the stack’s', () => {
  let pg: PostgresServer;
  let env: Record<string, string>;
  let url = '';

  beforeAll(async () => {
    pg = await startPostgres();
    // A psql variable, quoted by psql (:'pw'), so the password needs no SQL escaping here.
    const setup = pg.psql(['-v', `pw=${PASSWORD}`, '-f', '-'], {
      input: `CREATE ROLE ${ROLE} LOGIN PASSWORD :'pw';\nCREATE DATABASE orderdb OWNER ${ROLE};\n`,
    });
    if (setup.code !== 0) throw new Error(`setup failed: ${setup.stderr}`);
    env = databaseEnv();
    const [, address] = /^postgres:\/\/([^/]+)\//.exec(env.DATABASE_URL) ?? [];
    if (!address) throw new Error(`DATABASE_URL ${env.DATABASE_URL} names no host`);
    url = env.DATABASE_URL.replace(address, `127.0.0.1:${pg.port}`);
  });

  afterAll(async () => {
    await pg?.stop();
  });

  const connect = (vars: Record<string, string>, conn: string) =>
    pg.psql(['-c', "SELECT current_user, current_database(), current_setting('application_name'), (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"], {
      conn,
      env: vars,
      replaceEnv: true,
    });

  test('WHEN the service connects with its synthesized environment THEN it logs in, attributed, without TLS', () => {
    expect(env.DATABASE_URL).not.toContain(PASSWORD);
    const r = connect(env, url);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe(`${ROLE}|orderdb|order-service|f`);
  });

  test('WHEN the password is wrong THEN the server refuses it (the login above was really checked)', () => {
    const r = connect({ ...env, PGPASSWORD: 'wrong' }, url);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`password authentication failed for user "${ROLE}"`);
  });

  test('WHEN the URL asked for TLS THEN this server refuses: why sslmode defaults to disable', () => {
    const r = connect(env, url.replace('sslmode=disable', 'sslmode=require'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('server does not support SSL');
  });
});
