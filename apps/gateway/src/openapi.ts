import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_DETAILS_SCHEMA, PROBLEM_SCHEMA_NAME } from '@portico/errors';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Portico gateway')
    .setDescription(
      'Aggregated REST endpoints for the card-game lobby. Every route needs a bearer JWT unless marked otherwise; ' +
        'every error is RFC 9457 application/problem+json carrying the request id.',
    )
    .setVersion('1.0.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This gateway')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // Authenticated unless a route says otherwise, as the gateway behaves; public routes declare `security: []`.
    .addSecurityRequirements('bearer')
    .addTag('lobby', 'The lobby: tables and who sits where')
    .addTag('players', 'The calling player')
    .addTag('tables', 'One table; joining and leaving')
    .addTag('operations', 'Health probes for orchestrators and load balancers')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, [PROBLEM_SCHEMA_NAME]: PROBLEM_DETAILS_SCHEMA as never };
  return document;
}

/** Where Swagger UI is served; its page gets its own CSP (see @portico/hardening). */
export const DOCS_PATH = '/api/docs';

/** Swagger UI at /api/docs and the OpenAPI 3 JSON at /api/docs-json, both public. */
export function serveOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup(DOCS_PATH.slice(1), app, buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH.slice(1)}-json`,
    // The standalone layout's top bar draws the Swagger logo, an SVG whose <style> element is inserted
    // by script, which the page's CSP (no 'unsafe-inline') refuses; the bar's other content, the URL
    // box, is hidden by Nest anyway. The base layout is everything but that bar.
    swaggerOptions: { layout: 'BaseLayout' },
  });
}
