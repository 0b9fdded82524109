/**
 * Kubernetes' naming rules, for the library helpers that take names from a
 * user's code rather than from the validated config: a name the API server
 * would refuse is refused when the helper is called, with what is allowed.
 */

/** RFC 1123 label: namespaces, Service names, container names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: Secret and ConfigMap names, in-cluster host names. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A key of a Secret or ConfigMap. */
export const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

const RULES = {
  label: [DNS_LABEL, 'a DNS label: lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit'],
  subdomain: [DNS_SUBDOMAIN, 'a DNS subdomain: DNS labels joined by ".", at most 253 characters'],
  key: [DATA_KEY, 'a Secret key: letters, digits, "-", "_" and "."'],
} as const;

/** Throws `<where>: <field> "<value>" must be <rule>` when the value breaks the rule. */
export function checkName(where: string, field: string, value: string, rule: keyof typeof RULES): void {
  const [pattern, allowed] = RULES[rule];
  if (typeof value !== 'string' || !pattern.test(value)) throw new Error(`${where}: ${field} ${JSON.stringify(value)} must be ${allowed}`);
}
