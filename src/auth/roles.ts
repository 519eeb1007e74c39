import { SetMetadata } from '@nestjs/common';

/**
 * What a key may do. order: bind, change, unbind, end trips. routing: call-time lookups. admin:
 * history, inventory, metrics, API docs (and what safety may). provider: the provider's pushes
 * (call records, number health). safety: the safety team's tools — call recordings and
 * transcripts, pools' blacklists, number locks.
 */
export const ROLES = ['order', 'routing', 'admin', 'provider', 'safety'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'axb:roles';
export const PUBLIC_KEY = 'axb:public';

/** Any one of these roles may call the route (on a controller: all its routes). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** No key needed (liveness only). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
