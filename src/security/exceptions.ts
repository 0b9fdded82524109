import { COMPONENT_MODULES } from '../components/modules';
import type { RbacWrite, RbacWriteException } from '../kit/policy';
import { NODE_AGENTS, NodeAgentExceptions } from '../lib/node-agents';

/**
 * Every exception to the platform's security policy, each with its reason, in
 * one place. test/policy.test.ts holds every synthesized object to the policy
 * (the checks kube-score, kube-linter and kubescape make) and lets through
 * only what is listed here; an entry that no object uses any more fails the
 * test too, so the list cannot rot.
 *
 * Host access of node agents is listed in src/lib/node-agents.ts (the
 * constructs quote those reasons) and included here unchanged; RBAC writes
 * are declared by the component that needs them, on its module.
 */
export { NODE_AGENTS };
export type { NodeAgentExceptions, RbacWrite, RbacWriteException };

/**
 * The only RBAC rules that write, keyed by `Role/<name>`, as each component
 * declares them on its module. Everything else is get, list and watch; no rule
 * anywhere has a wildcard or touches Secrets.
 */
export const RBAC_WRITES: Readonly<Record<string, RbacWriteException>> = Object.assign(
  {},
  ...COMPONENT_MODULES.map((m) => m.rbacWrites ?? {}),
);

/** Checks of test/policy.test.ts that a workload may skip, keyed by `<Kind>/<name>`, each with its reason. */
export type PolicyCheck = 'probes' | 'ownServiceAccount';

export const POLICY_EXCEPTIONS: Readonly<Record<string, Partial<Record<PolicyCheck, string>>>> = {
  'Job/deploy-annotation': {
    probes: 'a PostSync hook that runs curl once and exits: nothing to be ready for; activeDeadlineSeconds ends a hung run',
  },
  'StatefulSet/postgres': {
    ownServiceAccount:
      "runs as the application namespace's default ServiceAccount with no token mounted (automountServiceAccountToken: false), " +
      'so whatever the applications bind to that account never reaches the database pod',
  },
};

/** How many exceptions the policy knows, each with a reason: host access, RBAC writes and skipped checks. */
export function exceptionCount(): number {
  const hostAccess = Object.values(NODE_AGENTS).reduce(
    (n, e) => n + (e.hostNetwork ? 1 : 0) + (e.hostPID ? 1 : 0) + (e.runsAsRoot ? 1 : 0) + Object.keys(e.writableHostPaths ?? {}).length,
    0,
  );
  return hostAccess + Object.keys(RBAC_WRITES).length + Object.values(POLICY_EXCEPTIONS).reduce((n, e) => n + Object.keys(e).length, 0);
}
