import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { registerAuditHook } from './audit/audit.hook';
import { AuditService } from './audit/audit.service';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { clientErrorHandler } from './common/client-error';
import { registerEnvelopeHook } from './common/envelope.hook';
import { registerGracefulClose } from './common/graceful-close';
import { createLogger, PinoNestLogger } from './common/logger';
import { parseQueryString } from './common/query-string';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app.config';
import { setupDocs } from './docs';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A caller's X-Request-Id is kept when it is sane, so logs line up across services. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The whole application, configured as it serves: used by main.ts, the e2e tests and the benchmark. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    bodyLimit: config.bodyLimitBytes,
    // Fastify also takes a hop count, which its types omit.
    trustProxy: config.trustProxy as boolean | string,
    genReqId: requestId,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    clientErrorHandler,
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

  await app.register(fastifyCookie);
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
  app.useGlobalFilters(new AllExceptionsFilter());
  registerEnvelopeHook(app.getHttpAdapter().getInstance());
  registerAuditHook(app.getHttpAdapter().getInstance(), app.get(AuditService));
  registerGracefulClose(app.getHttpAdapter().getInstance());
  if (config.docsEnabled) setupDocs(app);
  await app.init();
  return app;
}
