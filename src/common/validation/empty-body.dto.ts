/**
 * The body of an action route that takes none (the action is named by its path): the global
 * ValidationPipe refuses any field sent anyway (400 naming it), as for every other route; no
 * body, or `{}`, passes.
 */
export class EmptyBodyDto {}
