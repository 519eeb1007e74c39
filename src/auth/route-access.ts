import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PUBLIC_KEY, ROLES_KEY, type Role } from './roles.js';

/** Who may call a route: anyone (`public`), or a principal holding one of `roles`. */
export interface RouteAccess {
  public: boolean;
  roles: readonly Role[];
}

const CLOSED: RouteAccess = { public: false, roles: [] };

function normalise(path: string): string {
  const joined = `/${path}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/**
 * The access rule of every route, by method and route template (`/v1/bindings/:id`), read once from
 * the controllers' @Public()/@Roles() metadata. The access hook looks rules up by the template
 * Fastify matched, i.e. after the URL was decoded and normalised, so `/%64ocs/json` meets the rule
 * of `/docs/json`. A route without a rule is closed; routes outside Nest (the API docs) add theirs.
 */
@Injectable()
export class RouteAccessTable {
  private readonly rules = new Map<string, RouteAccess>();
  private readonly prefixes: Array<[string, RouteAccess]> = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Reads the rules of every controller route (call once the application is created). */
  load(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller?.prototype) continue;
      const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
      for (const name of this.scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name] as object;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (paths === undefined || method === undefined) continue;
        const targets = [handler as () => unknown, controller];
        const access: RouteAccess = {
          public:
            this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) ?? false,
          roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [],
        };
        for (const prefix of base)
          for (const path of ([] as string[]).concat(paths))
            this.rules.set(`${RequestMethod[method]} ${normalise(`${prefix}/${path}`)}`, access);
      }
    }
  }

  /** Every controller route with its rule (`GET /v1/bindings/:id`), e.g. for tests over all routes. */
  routes(): Array<{ method: string; url: string; access: RouteAccess }> {
    return [...this.rules].map(([key, access]) => {
      const [method, url] = key.split(' ') as [string, string];
      return { method, url, access };
    });
  }

  /** Routes outside Nest's controllers, by path prefix (e.g. the API docs). */
  addPrefix(prefix: string, access: RouteAccess): void {
    this.prefixes.push([normalise(prefix), access]);
  }

  /** The rule of a matched route (HEAD follows GET); unknown routes are closed. */
  lookup(method: string, routeUrl: string): RouteAccess {
    const url = normalise(routeUrl);
    const verb = method === 'HEAD' ? 'GET' : method;
    const rule = this.rules.get(`${verb} ${url}`) ?? this.rules.get(`ALL ${url}`);
    if (rule) return rule;
    for (const [prefix, access] of this.prefixes)
      if (url === prefix || url.startsWith(`${prefix}/`)) return access;
    return CLOSED;
  }
}
