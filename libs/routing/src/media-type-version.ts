import type { IncomingMessage } from 'node:http';

/**
 * Fastify's `rewriteUrl`: a request under `prefix` without a version segment whose Accept header
 * asks for `application/vnd.<vendor>.v<N>+json` is routed as `<prefix>/v<N>/...`. One rewrite
 * before routing serves code-first controllers (URI-versioned in Nest) and route-file routes alike;
 * a version in the URI wins over the header.
 */
export function mediaTypeVersioning(prefix: string, vendor: string): (request: IncomingMessage) => string {
  const accept = new RegExp(`application/vnd\\.${vendor.replaceAll('.', '\\.')}\\.v(\\d{1,3})\\+json`, 'i');
  const versioned = new RegExp(`^${prefix}/v\\d+(?:[/?]|$)`);
  const head = `${prefix}/`;
  return (request) => {
    const url = request.url ?? '/';
    const header = request.headers.accept;
    if (header === undefined || !url.startsWith(head) || versioned.test(url)) return url;
    const version = accept.exec(header)?.[1];
    return version === undefined ? url : `${head}v${Number(version)}/${url.slice(head.length)}`;
  };
}
