import 'reflect-metadata';
import { Logger as NestLogger, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { runWithConfig } from '@portico/config';
import { sendProblem } from '@portico/errors';
import { ReadinessGate } from '@portico/health';
import { clientLimitOptions, registerEdgeHardening, type EdgeHardening } from '@portico/hardening';
import { delay, onShutdownSignal } from '@portico/lifecycle';
import { generateRequestId, Metrics, registerHttpObservability, REQUEST_ID_HEADER } from '@portico/observability';
import { attachRealtime, RealtimeGateway } from '@portico/realtime';
import { EdgeProxy, mediaTypeVersioning } from '@portico/routing';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { clientLimits, gatewayEnvironment, hardeningOptions, type GatewayEnvironment } from './gateway-config.js';
import { GatewayModule } from './gateway.module.js';
import { loadRoutes } from './routes.js';
import { DOCS_PATH, serveOpenApi } from './openapi.js';

async function start(env: GatewayEnvironment): Promise<void> {
  const routes = await loadRoutes(env);
  const rewriteUrl = mediaTypeVersioning('/api', 'portico');
  // Known once the hardening is registered, below; the router's own refusals carry the same headers.
  let securityHeaders: EdgeHardening['headersFor'] = () => ({});
  const adapter = new FastifyAdapter({
    genReqId: generateRequestId,
    bodyLimit: env.BODY_LIMIT_BYTES,
    // X-Forwarded-* only from the peers TRUST_PROXY names: anyone else could spoof their address.
    trustProxy: env.TRUST_PROXY,
    rewriteUrl,
    // No Nest middleware runs in the gateway (request logging and ids are Fastify hooks), so middie's
    // per-request hook would only cost time.
    skipMiddie: true,
    // Fastify's router refuses malformed URLs (400) and over-long parameters (414) before any hook runs:
    // those answers take the problem+json shape too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.header(REQUEST_ID_HEADER, request.id).headers(securityHeaders(request.protocol === 'https'));
      sendProblem(error, request, reply);
    },
    // Header size, slow-client timeouts, and problem+json for requests Node's parser refuses.
    ...clientLimitOptions(clientLimits(env)),
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(env, routes), adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.setGlobalPrefix('api', { exclude: ['health/*path', 'metrics', 'admin/*path'] });
  app.enableVersioning({ type: VersioningType.URI });

  const gate = app.get(ReadinessGate);
  const fastify = app.getHttpAdapter().getInstance();
  // Once draining, every response closes its connection: a keep-alive client would otherwise hold the
  // socket open and app.close() could not finish.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (gate.draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  registerHttpObservability(fastify, app.get(Metrics), await app.resolve(PinoLogger));
  // Before the route table's catch-all, so CORS, security headers and compression cover it too.
  const hardening = await registerEdgeHardening(fastify, hardeningOptions(env, DOCS_PATH));
  securityHeaders = hardening.headersFor;
  const edge = app.get(EdgeProxy);
  // Route-file requests are served ahead of Fastify, so the proxy is told what Fastify's hooks add.
  edge.register(fastify, {
    rewriteUrl,
    needsFastify: hardening.corsApplies,
    responseHeaders: (https) => (gate.draining ? { ...hardening.headersFor(https), connection: 'close' } : hardening.headersFor(https)),
  });
  serveOpenApi(app);
  attachRealtime(app);

  await app.listen(env.PORT, env.HOST);
  const logger = new NestLogger('bootstrap');
  logger.log({ url: await app.getUrl() }, 'gateway listening');
  if (env.JWT_SECRET === undefined && env.JWT_PUBLIC_KEY === undefined && env.JWT_JWKS_URI === undefined) {
    logger.warn("no JWT key configured: tokens are verified with the built-in development secret; never run like this in production");
  }

  onShutdownSignal(
    async () => {
      gate.beginDrain();
      await delay(env.SHUTDOWN_DRAIN_DELAY_MS);
      // Sockets would otherwise hold app.close() open; their clients are told to reconnect elsewhere.
      await app.get(RealtimeGateway).drain();
      edge.closeTunnels();
      await app.close();
    },
    { timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
  );
}

await runWithConfig(gatewayEnvironment, start);
