import type { CallerScope } from '../common/http/call-context.decorator.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import type { Binding } from '../generated/prisma/client.js';

/**
 * Order keys are scoped (issue 27): a binding belongs to the caller group that made it
 * (`bindings.owner`, written by place_bindings()); an admin key sees every binding. A binding made
 * before owners were recorded and never given one is an admin's only.
 */
export function ownedBy(binding: Pick<Binding, 'owner'>, scope: CallerScope): boolean {
  return scope.all || (binding.owner !== null && binding.owner === scope.group);
}

/**
 * The binding when the caller may act on it; otherwise the very 404 an unknown id gets, so that
 * another group's caller cannot tell its binding from none.
 */
export function requireOwned<T extends Pick<Binding, 'owner'>>(
  id: string,
  binding: T | null | undefined,
  scope: CallerScope,
): T {
  if (!binding || !ownedBy(binding, scope)) throw new NotFoundError('Binding', { id });
  return binding;
}
