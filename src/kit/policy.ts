/** A rule of a namespaced Role that writes. */
export interface RbacWrite {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verbs: readonly string[];
  /** Writes limited to these objects; absent for `create`, which cannot be limited by name. */
  readonly resourceNames?: readonly string[];
}

/**
 * A reviewed exception to the read-only RBAC policy: the writes one Role may
 * make, and why. Written apart from the construct that builds the Role, so the
 * policy test compares two independent statements of the same intent.
 */
export interface RbacWriteException {
  readonly reason: string;
  readonly rules: readonly RbacWrite[];
}
