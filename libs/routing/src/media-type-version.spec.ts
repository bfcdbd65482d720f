import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { mediaTypeVersioning } from './media-type-version.js';

const rewrite = mediaTypeVersioning('/api', 'portico');
const request = (url: string, accept?: string) => ({ url, headers: accept === undefined ? {} : { accept } }) as IncomingMessage;

describe('mediaTypeVersioning', () => {
  it('routes an unversioned API path to the version the Accept header names', () => {
    expect(rewrite(request('/api/lobby', 'application/vnd.portico.v1+json'))).toBe('/api/v1/lobby');
    expect(rewrite(request('/api/echo/a?x=1', 'text/html, application/vnd.portico.v2+json;q=0.9'))).toBe('/api/v2/echo/a?x=1');
  });

  it('leaves versioned paths, other prefixes and plain Accept headers alone', () => {
    expect(rewrite(request('/api/v1/lobby', 'application/vnd.portico.v2+json'))).toBe('/api/v1/lobby');
    expect(rewrite(request('/health/ready', 'application/vnd.portico.v2+json'))).toBe('/health/ready');
    expect(rewrite(request('/api/lobby', 'application/json'))).toBe('/api/lobby');
    expect(rewrite(request('/api/lobby'))).toBe('/api/lobby');
    expect(rewrite(request('/api/lobby', 'application/vnd.other.v2+json'))).toBe('/api/lobby');
  });

  it('does not mistake a path segment that merely starts with v and a digit for a version', () => {
    expect(rewrite(request('/api/v2beta/x', 'application/vnd.portico.v3+json'))).toBe('/api/v3/v2beta/x');
  });
});
