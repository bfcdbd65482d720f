import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CodeFirstRoutes } from './code-first-routes.js';

describe('CodeFirstRoutes', () => {
  const routes = new CodeFirstRoutes({});
  routes.add({ method: 'GET', url: '/api/v1/lobby' });
  routes.add({ method: ['POST', 'PUT'], url: '/api/v1/tables/:id/join' });
  routes.add({ method: 'GET', url: '/admin/*' });
  routes.add({ method: 'GET', url: '/only-here', constraints: { host: 'docs.example.test' } });

  it('covers the paths and methods Fastify would route, params and wildcards included', () => {
    expect(routes.covers('GET', '/api/v1/lobby', undefined)).toBe(true);
    expect(routes.covers('POST', '/api/v1/tables/t1/join', undefined)).toBe(true);
    expect(routes.covers('GET', '/admin/routes/echo', undefined)).toBe(true);
    expect(routes.covers('POST', '/api/v1/lobby', undefined)).toBe(false);
    expect(routes.covers('GET', '/api/v1/lobby/more', undefined)).toBe(false);
    expect(routes.covers('GET', '/api/echo/x', undefined)).toBe(false);
  });

  it('covers HEAD wherever it covers GET, as Fastify answers both', () => {
    expect(routes.covers('HEAD', '/api/v1/lobby', undefined)).toBe(true);
    expect(routes.covers('HEAD', '/api/v1/tables/t1/join', undefined)).toBe(false);
  });

  it('reads a host constraint as Fastify does', () => {
    expect(routes.covers('GET', '/only-here', 'docs.example.test')).toBe(true);
    expect(routes.covers('GET', '/only-here', 'api.example.test')).toBe(false);
    expect(routes.covers('GET', '/only-here', undefined)).toBe(false);
  });

  it('follows the routes an instance adds, except those it is told to skip, with the instance router settings', async () => {
    const fastify = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    const followed = CodeFirstRoutes.following(fastify, (route) => route.url === '/*');
    fastify.get('/health/live', () => 'ok');
    fastify.all('/*', () => 'catch-all');
    await fastify.ready();
    expect(followed.covers('GET', '/health/live', undefined)).toBe(true);
    expect(followed.covers('GET', '/health/live/', undefined)).toBe(true);
    expect(followed.covers('GET', '/anything/else', undefined)).toBe(false);
    await fastify.close();
  });
});
