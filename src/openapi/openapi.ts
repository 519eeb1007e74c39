import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RouteAccessTable } from '../auth/route-access.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export const DOCS_PATH = 'docs';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('axb-router')
    .setDescription(
      'Private AXB number bindings over Alibaba Cloud Dyplsapi: bind, change, unbind, route calls, ' +
        'search history, manage the number pool. Every route but the health checks needs ' +
        '`Authorization: Bearer <API key>` with the role the route names: use **Authorize**.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Serves the UI at /docs and the document at /docs/json, generated from the code. Who may open
 * them is DOCS_PUBLIC's: anyone (development by default; the UI's Authorize button then takes a
 * key for "Try it out"), or admin keys only (the default elsewhere), enforced by the access hook.
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
