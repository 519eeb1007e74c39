import type { Role } from './roles.js';

/** The authenticated caller: the key's name (the actor in events) and its roles. */
export interface Principal {
  name: string;
  roles: readonly Role[];
}
