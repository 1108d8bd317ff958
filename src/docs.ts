import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BEARER_SCHEME } from './security/decorators';

type Operation = Record<string, unknown> & { security?: unknown[]; description?: string };

/** The OpenAPI document: every route, its DTOs and examples, and the scopes it requires. */
function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Identity server')
    .setDescription(
      'Login and sessions, users, roles and permissions, token administration. Responses use the envelope `{code, message, msg, data}`; messages are Chinese unless `Accept-Language` prefers English. Routes that are not public need `Authorization: Bearer <access token>`; `x-required-scopes` lists the scopes the token must carry.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .addCookieAuth('token', { type: 'apiKey', in: 'cookie', name: 'token' }, 'token')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem) as Operation[]) {
      if (!operation || typeof operation !== 'object') continue;
      if (operation['x-public']) {
        if (!operation.security?.length) operation.security = [];
        continue;
      }
      const scopes = operation['x-required-scopes'] as string[] | undefined;
      if (scopes?.length) {
        const note = `Requires scopes: ${scopes.map((s) => `\`${s}\``).join(', ')}.`;
        operation.description = operation.description ? `${operation.description}\n\n${note}` : note;
      }
    }
  }
  return document;
}

export function setupDocs(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
