import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RouteAccessTable } from '../auth/route-access.js';
import { SESSION_COOKIE } from '../auth/session/session-cookie.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export const DOCS_PATH = 'docs';
/** Names of the document's security schemes. */
export const BEARER_SCHEME = 'bearer';
export const SESSION_SCHEME = 'console-session';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']> & { 'x-roles'?: string[] };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Sets every operation's security from the access table — the rules the access hook enforces —
 * rather than from decorators a route may lack (`GET /v1/admin/operations` listed none): a keyed
 * route needs a Bearer key (or, for admin routes, the console's session cookie) and names its
 * roles in `x-roles`; a public route needs nothing (`security: []`).
 */
export function markSecurity(document: OpenAPIObject, table: RouteAccessTable): void {
  for (const [path, item] of Object.entries(document.paths)) {
    // OpenAPI's `/v1/bindings/{id}` is the router's `/v1/bindings/:id`.
    const template = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const access = table.lookup(method.toUpperCase(), template);
      if (access.public) {
        operation.security = [];
        delete operation['x-roles'];
        continue;
      }
      operation.security = access.roles.includes('admin')
        ? [{ [BEARER_SCHEME]: [] }, { [SESSION_SCHEME]: [] }]
        : [{ [BEARER_SCHEME]: [] }];
      operation['x-roles'] = [...access.roles];
    }
  }
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('axb-router')
    .setDescription(
      'Private AXB number bindings over Alibaba Cloud Dyplsapi: bind, change, unbind, route calls, ' +
        'search history, manage the number pool. Every route but the health checks needs ' +
        '`Authorization: Bearer <API key>` with the role the route names (`x-roles`): use ' +
        '**Authorize**. Admin routes also take the console session cookie.',
    )
    .setVersion('1')
    .addBearerAuth(undefined, BEARER_SCHEME)
    .addCookieAuth(SESSION_COOKIE, undefined, SESSION_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  markSecurity(document, app.get(RouteAccessTable));
  return document;
}

/**
 * Serves the UI at /docs and the document at /docs/json, generated from the code. Who may open
 * them is DOCS_PUBLIC's: anyone (development by default; the UI's Authorize button then takes a
 * key for "Try it out"), or admin keys only (the default elsewhere), enforced by the access hook.
 * Call after the access table is loaded (AccessHook.install).
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  app
    .get(RouteAccessTable)
    .addPrefix(
      `/${DOCS_PATH}`,
      config.http.docsPublic ? { public: true, roles: [] } : { public: false, roles: ['admin'] },
    );
  SwaggerModule.setup(DOCS_PATH, app, buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}/json`,
    swaggerOptions: { persistAuthorization: true },
  });
}
