import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { bearer } from '../auth/api-key.guard.js';
import { ApiKeysService } from '../auth/api-keys.service.js';

export const DOCS_PATH = 'docs';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('axb-router')
    .setDescription(
      'Private AXB number bindings over Alibaba Cloud Dyplsapi: bind, change, unbind, route calls, ' +
        'search history, manage the number pool. Every route but /health/live needs ' +
        '`Authorization: Bearer <API key>` with the role the route names.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Serves the UI at /docs and the document at /docs/json, generated from the code. Swagger's
 * routes are plain Fastify routes outside Nest's guards, so an admin key is checked here.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  const keys = app.get(ApiKeysService);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith(`/${DOCS_PATH}`)) return;
      const token = bearer(request);
      const principal = token ? await keys.authenticate(token) : null;
      if (!principal?.roles.includes('admin')) {
        await reply
          .status(principal ? 403 : 401)
          .header('www-authenticate', 'Bearer')
          .send({
            statusCode: principal ? 403 : 401,
            code: principal ? 'FORBIDDEN_ROLE' : 'UNAUTHENTICATED',
            message: 'The API docs need an admin key',
            requestId: String(request.id),
          });
      }
    });
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}/json` });
}
