import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from './app.config';
import { AppModule } from './app.module';
import { auditRawRefusals, registerAuditHook } from './audit/audit.hook';
import { AuditService } from './audit/audit.service';
import { AllExceptionsFilter, sendError } from './common/all-exceptions.filter';
import { AppException } from './common/app.exception';
import { answerNodeRefusals, clientErrorHandler } from './common/client-error';
import { registerGracefulClose } from './common/graceful-close';
import { nestsDeeperThan } from './common/json-depth';
import { createLogger, PinoNestLogger, withLazyChildren } from './common/logger';
import { parseQueryString } from './common/query-string';
import { RendererRegistry } from './common/renderer-registry';
import { requestIdOf } from './common/request-id';
import { attachSecurityHeaders } from './common/security-headers';
import { createValidationPipe } from './common/validation';
import { metricsEnabled } from './metrics/metrics.config';
import { MeteredLogController, RequestMetrics } from './metrics/request-metrics';
import { setupDocs } from './docs';

/** The whole application, configured as it serves: used by main.ts, the e2e tests and the benchmark. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config);
  const httpLogger = new Logger('HTTP');
  // Filled as the routes are registered (app.init()): each route's family, and the path prefixes of the families.
  const renderers = new RendererRegistry();
  // Fastify's per-request log controller; with metrics on, it also counts each request as it completes.
  const logController = new MeteredLogController({ disableRequestLogging: !config.logRequests });
  const adapter = new FastifyAdapter({
    // No Nest middleware (no configure(consumer), no app.use()): without @fastify/middie no request pays for
    // its onRequest hook that finds nothing to run.
    skipMiddie: true,
    // Each request's logger is built only if the request writes a line.
    loggerInstance: withLazyChildren(logger),
    logController,
    bodyLimit: config.bodyLimitBytes,
    // Fastify also takes a hop count, which its types omit.
    trustProxy: config.trustProxy as boolean | string,
    genReqId: requestIdOf,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    clientErrorHandler: clientErrorHandler(renderers),
    // The router refuses a malformed URL (400) or an over-long path parameter (414) before any route or hook
    // runs, so its errors are rendered here, in the family of the path, rather than by Fastify's default handler.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply, httpLogger, renderers),
    // During a graceful shutdown a request that reaches a busy keep-alive connection is still served (with
    // Connection: close) rather than refused with a bare 503 outside the envelope: the database closes only
    // after the last answer.
    return503OnClosing: false,
    // Arrays as axios and other clients spell them: `a[]=x&a[]=y` as well as `a=x&a=y`.
    routerOptions: { querystringParser: parseQueryString },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  if (metricsEnabled(config.metrics)) logController.requests = app.get(RequestMetrics);
  // Before any route is registered: each route gets its family's success renderer as it is.
  renderers.attach(fastify);
  // Helmet's headers, computed once per route rather than by helmet on every request.
  attachSecurityHeaders(fastify);
  // Nest's own JSON parser, plus a depth limit: only requests with a JSON body pay for the check.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes }, (request, body, done) => {
    // Typed for text, it reads the Buffer Nest hands over as well.
    parseJson(request as FastifyRequest, body as unknown as string, (error, value) => {
      if (error) done(error, undefined);
      else if (nestsDeeperThan(value)) done(new AppException('error.tooDeep'), undefined);
      else done(null, value);
    });
  });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      exposedHeaders: ['Authorization', 'X-Refresh-Token', 'X-Request-Id'],
      allowedHeaders: ['Authorization', 'X-Refresh-Token', 'Content-Type', 'Accept-Language', 'X-Request-Id'],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      maxAge: 600,
    });
  }
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(renderers));
  registerAuditHook(fastify, app.get(AuditService));
  auditRawRefusals(renderers, app.get(AuditService));
  registerGracefulClose(fastify);
  if (config.docsEnabled) setupDocs(app);
  answerNodeRefusals(app.getHttpServer(), renderers);
  await app.init();
  return app;
}
