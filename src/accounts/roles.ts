// Who may do what. Each HTTP route declares the roles it admits (route config `roles`); a principal holds one or
// more roles. Decisions only: no I/O.

export const ROLES = ['operator', 'supervisor', 'agent', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  operator: '运维配置',
  supervisor: '班长/值班长',
  agent: '坐席',
  auditor: '审计（只读）',
};

/** Configuration: number plan, queues, IVR menus, care list, roster, accounts. */
export const CONFIGURE: readonly Role[] = ['operator'];
/** Live operations: agents' states, messages, tidal approvals and emergency moves. */
export const SUPERVISE: readonly Role[] = ['supervisor'];
/** Reading configuration and figures; auditors see personal data masked. */
export const READ: readonly Role[] = ['operator', 'supervisor', 'auditor'];
/** Live figures a supervisor acts on (and an operator tuning queues looks at). */
export const WATCH: readonly Role[] = ['operator', 'supervisor', 'auditor'];
/** Day-to-day changes either may make: the care list, incident announcements, do-not-call, desktop tokens. */
export const OPERATE: readonly Role[] = ['operator', 'supervisor'];
export const AGENT: readonly Role[] = ['agent'];
/** Anyone signed in (their own session, password, profile). */
export const ANY: readonly Role[] = ROLES;

/** How a request was authenticated. */
export type PrincipalKind = 'session' | 'api-token' | 'shared-token' | 'agent-token' | 'internal';

export interface Principal {
  kind: PrincipalKind;
  /** User name, token name, or "shared-admin-token". */
  name: string;
  roles: readonly Role[];
  /** For agents: the ACD agent they are. */
  agentId?: string;
  /** Session or token id (for revocation and the audit). */
  id?: string;
}

/**
 * The name a change is recorded under: the signed-in user's, or `token:<name>` for an automation token or the shared
 * admin token. Never a name from the request body: anyone could type someone else's there.
 */
export function actorName(p: Principal): string {
  return p.kind === 'api-token' || p.kind === 'shared-token' ? `token:${p.name}` : p.name;
}

export function admits(route: readonly Role[], p: Principal): boolean {
  return p.roles.some((r) => route.includes(r));
}

/** Personal data is masked for a principal who may only read with masking (an auditor with no other role). */
export function seesMasked(p: Principal): boolean {
  return p.roles.includes('auditor') && !p.roles.some((r) => r === 'operator' || r === 'supervisor');
}

export function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}

/** Whether a principal may hand a token this role: only roles they hold, or reading (auditor) if they may more. */
export function canGrant(holder: Principal, role: Role): boolean {
  if (holder.roles.includes(role)) return true;
  return role === 'auditor' && holder.roles.some((r) => r === 'operator' || r === 'supervisor');
}
