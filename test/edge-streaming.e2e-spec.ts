import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEdgeGateway, upstream, type EdgeGateway } from './support/edge.js';
import { bearer, token } from './support/token.js';
import { TestUpstream } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

const MiB = 1024 * 1024;

/** The process's peak resident memory so far (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) / 1024;
}

/** `total` bytes of a fixed pattern, produced as they are read, with their SHA-256 computed on the way. */
function generatedBody(total: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(MiB, 'upload-');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

function post(url: string, body: Readable, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    outgoing.on('error', reject);
    body.pipe(outgoing);
  });
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push((data as Buffer).toString('utf8')));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

describe('edge streaming: large bodies both ways in bounded memory, and WebSocket tunnels', () => {
  let files: TestUpstream;
  let edge: EdgeGateway;

  beforeAll(async () => {
    files = await TestUpstream.start('files');
    edge = await startEdgeGateway({
      upstreams: { files: upstream([files.url], { timeout: { connectMs: 1000, requestMs: 60_000 } }) },
      routes: [
        { id: 'files', path: '/files/*', upstream: 'files', stripPrefix: '/files', bodyLimitBytes: 2 * 1024 * MiB },
        { id: 'live', path: '/live', upstream: 'files', rewrite: '/socket', websocket: true },
      ],
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await files?.kill();
  });

  it('streams a 1 GiB chunked upload through to the upstream intact, without buffering it', async () => {
    const before = peakRssMiB(edge.process.pid);
    const body = generatedBody(1024 * MiB);
    const result = await post(`${edge.baseUrl}/files/upload`, body.stream, { ...bearer(token('p1')), 'content-type': 'application/octet-stream' });
    expect(result.status, result.text).toBe(200);
    expect(JSON.parse(result.text)).toMatchObject({ bytes: 1024 * MiB, sha256: body.digest() });
    // Buffering would need over 1024 MiB; streaming stays within a few socket buffers of the idle process.
    expect(peakRssMiB(edge.process.pid) - before).toBeLessThan(150);
  });

  it('refuses a chunked upload beyond the route limit with 413 once the limit is crossed', async () => {
    const small = await startEdgeGateway({
      upstreams: { files: upstream([files.url]) },
      routes: [{ id: 'files', path: '/files/*', upstream: 'files', stripPrefix: '/files', bodyLimitBytes: MiB, auth: { public: true } }],
    });
    try {
      const result = await post(`${small.baseUrl}/files/upload`, generatedBody(8 * MiB).stream, { 'content-type': 'application/octet-stream' });
      expect(result.status).toBe(413);
      expect(JSON.parse(result.text)).toMatchObject({ status: 413, type: 'https://portico.dev/problems/payload-too-large' });
    } finally {
      await small.stop();
    }
  });

  it('streams a 256 MiB download to the client intact', async () => {
    const before = peakRssMiB(edge.process.pid);
    const response = await fetch(`${edge.baseUrl}/files/download?bytes=${256 * MiB}`, { headers: bearer(token('p1')) });
    expect(response.status).toBe(200);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const part of response.body!) {
      bytes += (part as Uint8Array).length;
      hash.update(part as Uint8Array);
    }
    expect(bytes).toBe(256 * MiB);
    const expected = createHash('sha256');
    const pattern = Buffer.alloc(64 * 1024, 'portico-');
    for (let left = 256 * MiB; left > 0; left -= pattern.length) expected.update(pattern.subarray(0, Math.min(left, pattern.length)));
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    expect(peakRssMiB(edge.process.pid) - before).toBeLessThan(150);
  });

  it('tunnels an authenticated WebSocket to the upstream in both directions', async () => {
    const { socket, messages } = await openSocket(`ws://127.0.0.1:${edge.port}/live`, bearer(token('p7')));
    try {
      await waitFor(() => messages.includes('files:hello p7'), { timeoutMs: 5_000, description: 'the upstream greeting' });
      socket.send('ping');
      await waitFor(() => messages.includes('files:ping'), { timeoutMs: 5_000, description: 'the echoed message' });
      expect((await fetch(`${edge.baseUrl}/metrics`).then((response) => response.text()))).toContain('proxy_websocket_connections{route="live"} 1');
    } finally {
      socket.close();
    }
  });

  it('accepts a browser’s token from the access_token query parameter and keeps it from the upstream', async () => {
    const { socket, messages } = await openSocket(`ws://127.0.0.1:${edge.port}/live?room=7&access_token=${token('p8')}`);
    try {
      await waitFor(() => messages.includes('files:hello p8'), { timeoutMs: 5_000, description: 'the upstream greeting' });
      socket.send('where');
      await waitFor(() => messages.includes('files:where'), { timeoutMs: 5_000, description: 'the echoed message' });
      expect(files.upgradeUrls.at(-1)).toBe('/socket?room=7');
    } finally {
      socket.close();
    }
    await expect(openSocket(`ws://127.0.0.1:${edge.port}/live?access_token=forged`)).rejects.toThrow('upgrade refused with 401');
  });

  it('matches an upgrade on the host a trusted proxy forwarded, as it matches HTTP requests', async () => {
    const behindProxy = await startEdgeGateway(
      {
        upstreams: { files: upstream([files.url]) },
        routes: [{ id: 'shop-live', path: '/live', match: { host: 'shop.example.test' }, upstream: 'files', rewrite: '/socket', websocket: true }],
      },
      { TRUST_PROXY: 'loopback' },
    );
    try {
      const forwarded = { ...bearer(token('p9')), 'x-forwarded-host': 'shop.example.test' };
      const { socket, messages } = await openSocket(`ws://127.0.0.1:${behindProxy.port}/live`, forwarded);
      try {
        await waitFor(() => messages.includes('files:hello p9'), { timeoutMs: 5_000, description: 'the upstream greeting' });
      } finally {
        socket.close();
      }
      await expect(openSocket(`ws://127.0.0.1:${behindProxy.port}/live`, bearer(token('p9')))).rejects.toThrow('upgrade refused with 404');
    } finally {
      await behindProxy.stop();
    }
  });

  it('refuses upgrades without a token or on routes that do not allow WebSockets', async () => {
    await expect(openSocket(`ws://127.0.0.1:${edge.port}/live`)).rejects.toThrow('upgrade refused with 401');
    await expect(openSocket(`ws://127.0.0.1:${edge.port}/files/x`, bearer(token('p7')))).rejects.toThrow('upgrade refused with 404');
  });
});
