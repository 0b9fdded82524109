import { Chart, Testing } from 'cdk8s';
import { DeployAnnotation, DeployAnnotationProps } from './deploy-annotation';

const props: DeployAnnotationProps = {
  namespace: 'monitoring',
  grafanaUrl: 'http://grafana.monitoring.svc:3000/',
  environment: 'prod',
  deployedNamespace: 'monitoring',
  sourceIdentity: '0123456789ab',
  tokenSecret: { name: 'grafana-annotation-token', key: 'token' },
};

function job(p: DeployAnnotationProps = props) {
  const chart = new Chart(Testing.app(), 'test');
  new DeployAnnotation(chart, 'deploy-annotation', p);
  return Testing.synth(chart).find((o) => o.kind === 'Job');
}

describe('DeployAnnotation', () => {
  test('runs as its own ServiceAccount with no token: it never talks to the Kubernetes API', () => {
    const chart = new Chart(Testing.app(), 'test');
    new DeployAnnotation(chart, 'deploy-annotation', props);
    const sa = Testing.synth(chart).find((o) => o.kind === 'ServiceAccount');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(job().spec.template.spec).toEqual(
      expect.objectContaining({ serviceAccountName: sa.metadata.name, automountServiceAccountToken: false }),
    );
  });

  test('GIVEN the props WHEN synthesized THEN one PostSync Job (snapshot for reviewers)', () => {
    expect(job()).toMatchSnapshot();
  });

  test('posts the tagged annotation to Grafana with the token from the Secret, never a literal token', () => {
    const container = job().spec.template.spec.containers[0];
    const args: string[] = container.args;
    expect(args[args.length - 1]).toBe('http://grafana.monitoring.svc:3000/api/annotations');
    expect(JSON.parse(args[args.indexOf('--data') + 1]).tags).toStrictEqual([
      'deploy',
      'environment:prod',
      'namespace:monitoring',
      'source:0123456789ab',
    ]);
    expect(JSON.stringify(container)).not.toMatch(/Bearer [^%]/);
    // Optional: on an empty cluster the Secret does not exist yet, and the pod must still start (and skip).
    expect(container.env).toStrictEqual([
      { name: 'GRAFANA_TOKEN', valueFrom: { secretKeyRef: { name: 'grafana-annotation-token', key: 'token', optional: true } } },
    ]);
  });

  test('runs at every sync and cannot hang it: BeforeHookCreation, a deadline, curl timeouts', () => {
    const j = job();
    expect(j.metadata.annotations).toStrictEqual({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(j.spec.activeDeadlineSeconds).toBe(180);
    const args: string[] = j.spec.template.spec.containers[0].args;
    expect(args.slice(args.indexOf('--max-time'), args.indexOf('--max-time') + 2)).toStrictEqual(['--max-time', '10']);
    expect(args).toContain('--fail-with-body');
  });

  test('fails if the token Secret is not a name Kubernetes accepts', () => {
    expect(() => job({ ...props, tokenSecret: { name: 'Grafana Token', key: 'token' } })).toThrow(
      'DeployAnnotation: tokenSecret.name "Grafana Token" must be a DNS subdomain',
    );
  });

  test('fails if the source identity is not a hex digest', () => {
    expect(() => job({ ...props, sourceIdentity: 'HEAD' })).toThrow('sourceIdentity must be 7 to 64 lower-case hex digits, got "HEAD"');
  });
});
