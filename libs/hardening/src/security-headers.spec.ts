import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { documentationCsp } from './security-headers.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('documentationCsp', () => {
  const page = '<html><head><style>body { margin: 0 }</style></head><body><svg style="position:absolute"></svg><style></style></body></html>';
  const policy = documentationCsp(page);
  const directive = (name: string) => policy.split('; ').find((part) => part.startsWith(`${name} `));

  it('allows exactly the inline styles of the page by hash, never unsafe-inline', () => {
    expect(directive('style-src')).toBe(
      `style-src 'self' ${hash('body { margin: 0 }')} ${hash('')} 'unsafe-hashes' ${hash('position:absolute')}`,
    );
    expect(policy).not.toContain('unsafe-inline');
  });

  it('loads scripts only from the gateway and may not be framed', () => {
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(directive('object-src')).toBe("object-src 'none'");
  });

  it('needs no unsafe-hashes for a page without style attributes', () => {
    expect(documentationCsp('<style>a{}</style>')).not.toContain('unsafe-hashes');
  });
});
