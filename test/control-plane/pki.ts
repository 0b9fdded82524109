/**
 * The control plane's certificates and keys, made by the openssl CLI for one test run: a CA, the API server's
 * serving certificate, client certificates for the admin, the controller manager and the scheduler, serving
 * certificates for the controller manager's and scheduler's health ports, and the ServiceAccount token
 * signing key. Everything is valid for a day and lives in the run's temp directory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  /** The API server's serving certificate and key. */
  readonly apiserver: KeyPair;
  /** `CN=admin, O=system:masters`: the test's own credential, as kubeadm's admin.conf. */
  readonly admin: KeyPair;
  readonly controllerManager: KeyPair;
  readonly scheduler: KeyPair;
  /** Serving certificate for the controller manager's and scheduler's health ports on 127.0.0.1. */
  readonly componentServing: KeyPair;
  /** The ServiceAccount token signing key (RSA) and its public half. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An EC P-256 key and a certificate for it signed by the CA. */
function issue(dir: string, name: string, subject: string, extensions: string[]): KeyPair {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], dir);
  fs.writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert], dir);
  return { cert, key };
}

export function makePki(dir: string, serviceIp: string): Pki {
  fs.mkdirSync(dir, { recursive: true });
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=control-plane-test-ca', '-days', '1', '-out', 'ca.crt'], dir);
  const server = ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'];
  const client = ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'];
  const apiserver = issue(dir, 'apiserver', '/CN=kube-apiserver', [
    ...server,
    `subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${serviceIp},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
  ]);
  const admin = issue(dir, 'admin', '/O=system:masters/CN=admin', client);
  const controllerManager = issue(dir, 'controller-manager', '/CN=system:kube-controller-manager', client);
  const scheduler = issue(dir, 'scheduler', '/CN=system:kube-scheduler', client);
  const componentServing = issue(dir, 'component-serving', '/CN=127.0.0.1', [...server, 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  const serviceAccountKey = path.join(dir, 'sa.key');
  const serviceAccountPub = path.join(dir, 'sa.pub');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountKey], dir);
  openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub], dir);
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    apiserver,
    admin,
    controllerManager,
    scheduler,
    componentServing,
    serviceAccountKey,
    serviceAccountPub,
  };
}

/** A kubeconfig that reaches `server` with a client certificate, or with a bearer token. */
export function writeKubeconfig(file: string, server: string, caCert: string, user: KeyPair | { token: string }): string {
  const credential =
    'token' in user
      ? `    token: ${user.token}`
      : `    client-certificate: ${user.cert}\n    client-key: ${user.key}`;
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority: ${caCert}`,
      'users:',
      '- name: test',
      '  user:',
      credential,
      'contexts:',
      '- name: test',
      '  context: {cluster: test, user: test}',
      'current-context: test',
      '',
    ].join('\n'),
  );
  return file;
}
