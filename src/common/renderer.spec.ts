import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Logger, Module, Param, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication, RouteConfig } from '@nestjs/platform-fastify';
import { IsString, MaxLength } from 'class-validator';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AllExceptionsFilter, sendError } from './all-exceptions.filter';
import { AppException } from './app.exception';
import { answerNodeRefusals, clientErrorHandler } from './client-error';
import { Reply } from './envelope';
import { message } from './messages';
import { ApiFamily, RenderAs, Renderer } from './renderer';
import { RendererRegistry } from './renderer-registry';
import { createValidationPipe } from './validation';

/** A family shaped like the coming mobile API: plain bodies, `{message}` errors, 422 `{message, errors: {field: [...]}}` for bad input. */
const demoRenderer: Renderer = {
  success: (_status, _messageKey, data) => data,
  error: (problem, lang) =>
    problem.fieldErrors
      ? {
          status: 422,
          body: { message: message(problem.messageKey, lang), errors: Object.fromEntries(problem.fieldErrors.map(({ field, messages }) => [field, messages])) },
        }
      : { body: { message: message(problem.messageKey, lang) } },
};
const DEMO_FAMILY: ApiFamily = { renderer: demoRenderer, pathPrefix: '/demo-family' };

/** A family answering errors as a page: its own content type and headers, its language from the query. */
const pageRenderer: Renderer = {
  success: (_status, _messageKey, data) => data,
  error: (problem, lang) => ({
    body: `<p lang="${lang}">${message(problem.messageKey, lang)}</p>`,
    contentType: 'text/html; charset=utf-8',
    headers: { 'referrer-policy': 'no-referrer' },
  }),
  languageOf: (request) => ((request.query as { lang?: unknown } | undefined)?.lang === 'en' ? 'en' : 'zh'),
};
const PAGE_FAMILY: ApiFamily = { renderer: pageRenderer, pathPrefix: '/page-family' };

@RenderAs(PAGE_FAMILY)
@Controller('page-family')
class PageFamilyController {
  @Get('missing')
  missing(): Reply {
    throw new AppException('error.userNotFound');
  }
}

class NameDto {
  @IsString() @MaxLength(8) name!: string;
}

@RenderAs(DEMO_FAMILY)
@Controller('demo-family')
class DemoFamilyController {
  @Get('token')
  token(): Reply {
    return new Reply('login.success', { access_token: 'a.b.c', token_type: 'Bearer', expires_in: 900 });
  }

  @Post('name')
  @HttpCode(200)
  name(@Body() body: NameDto): Reply {
    return new Reply('ok', { name: body.name });
  }

  @Get('item/:id')
  item(@Param('id') id: string): Reply {
    return new Reply('ok', { id });
  }

  @Get('missing')
  missing(): Reply {
    throw new AppException('error.userNotFound');
  }

  @Get('locked')
  locked(): Reply {
    throw new AppException('error.invalidToken');
  }

  @Get('database')
  database(): Reply {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
  }

  @Get('configured')
  @RouteConfig({ marker: 'kept' })
  configured(@Req() request: FastifyRequest): Reply {
    return new Reply('ok', { marker: (request.routeOptions.config as { marker?: string }).marker });
  }
}

@Controller('v1-demo')
class EnvelopeController {
  @Get()
  hello(): Reply {
    return new Reply('fetch.success', { hello: 'world' });
  }

  @Post('name')
  @HttpCode(200)
  name(@Body() body: NameDto): Reply {
    return new Reply('ok', { name: body.name });
  }

  @Get('missing')
  missing(): Reply {
    throw new AppException('error.userNotFound');
  }
}

/** A family that answers `key=value` lines to requests that accept text/plain, JSON to the others. */
const textRenderer: Renderer = {
  success: (status, _messageKey, data) => ({ status, ...(data as object) }),
  error: (problem, lang) => ({ body: { status: problem.status, message: message(problem.messageKey, lang) } }),
  encodingFor: (request) =>
    request.headers.accept === 'text/plain'
      ? {
          contentType: 'text/plain; charset=utf-8',
          encode: (body) =>
            Object.entries(body as object)
              .map(([key, value]) => `${key}=${String(value)}`)
              .join('\n'),
        }
      : undefined,
};
const TEXT_FAMILY: ApiFamily = { renderer: textRenderer, pathPrefix: '/text-family' };

@RenderAs(TEXT_FAMILY)
@Controller('text-family')
class TextFamilyController {
  @Get('item')
  item(): Reply {
    return new Reply('ok', { id: 7 });
  }

  @Get('missing')
  missing(): Reply {
    throw new AppException('error.userNotFound');
  }
}

@Module({ controllers: [DemoFamilyController, PageFamilyController, EnvelopeController, TextFamilyController] })
class DemoModule {}

/** The renderer wiring of createApp (app.factory.ts), around the demo module. */
async function startDemoApp(): Promise<NestFastifyApplication> {
  const renderers = new RendererRegistry();
  const httpLogger = new Logger('HTTP');
  const adapter = new FastifyAdapter({
    bodyLimit: 1024,
    clientErrorHandler: clientErrorHandler(renderers),
    frameworkErrors: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => sendError(error, req, reply, httpLogger, renderers),
  });
  const app = await NestFactory.create<NestFastifyApplication>(DemoModule, adapter, { logger: false });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(renderers));
  renderers.attach(app.getHttpAdapter().getInstance());
  answerNodeRefusals(app.getHttpServer(), renderers);
  await app.listen(0, '127.0.0.1');
  return app;
}

const envelopeOf = (code: number, text: string, data: unknown) => ({ code, message: text, msg: text, data });

describe('one renderer per API family', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  before(async () => {
    app = await startDemoApp();
  });
  after(() => app.close());

  describe('a route of a declared family', () => {
    it('answers a success with the plain body', async () => {
      const response = await http().get('/demo-family/token').expect(200);
      assert.deepEqual(response.body, { access_token: 'a.b.c', token_type: 'Bearer', expires_in: 900 });
      assert.match(response.headers['content-type'], /^application\/json/);
    });

    it('answers invalid input with the status and shape of the family, messages in the answer language', async () => {
      const response = await http().post('/demo-family/name').send({ name: 5 }).expect(422);
      assert.deepEqual(response.body, { message: '请求参数错误', errors: { name: ['name 必须是字符串'] } });
      assert.equal(response.headers['cache-control'], 'no-store');
      const english = await http().post('/demo-family/name').set('Accept-Language', 'en').send({ name: 'x', admin: true }).expect(422);
      assert.deepEqual(english.body, { message: 'The request is invalid.', errors: { admin: ['admin is not an accepted field'] } });
    });

    it('answers a thrown AppException with its catalog status, the shared headers kept', async () => {
      const missing = await http().get('/demo-family/missing').expect(404);
      assert.deepEqual(missing.body, { message: '用户不存在' });
      assert.ok(missing.headers['x-request-id']);
      assert.equal(missing.headers['cache-control'], 'no-store');
      const locked = await http().get('/demo-family/locked').expect(401);
      assert.deepEqual(locked.body, { message: 'Invalid access token.' });
      assert.equal(locked.headers['www-authenticate'], 'Bearer');
    });

    it('answers an unreachable database with 503 and Retry-After', async () => {
      const response = await http().get('/demo-family/database').set('Accept-Language', 'en').expect(503);
      assert.deepEqual(response.body, { message: 'The database is unavailable; try again later.' });
      assert.equal(response.headers['retry-after'], '5');
    });

    it('answers bodies Fastify refuses (too large, wrong type) in the family', async () => {
      const tooLarge = await http()
        .post('/demo-family/name')
        .send({ name: 'x'.repeat(2048) })
        .expect(413);
      assert.deepEqual(tooLarge.body, { message: '请求体过大' });
      const wrongType = await http().post('/demo-family/name').set('Content-Type', 'application/xml').send('<name>x</name>').expect(415);
      assert.deepEqual(wrongType.body, { message: '不支持的请求体类型' });
    });

    it('keeps the route config a method declares', async () => {
      assert.deepEqual((await http().get('/demo-family/configured').expect(200)).body, { marker: 'kept' });
    });
  });

  describe('a request under the family path that matches no route', () => {
    it('answers 404 in the family', async () => {
      assert.deepEqual((await http().get('/demo-family/nowhere').expect(404)).body, { message: '接口不存在' });
      assert.deepEqual((await http().delete('/demo-family/token?x=1').expect(404)).body, { message: '接口不存在' });
      assert.deepEqual((await http().get('/demo-family').expect(404)).body, { message: '接口不存在' });
    });

    it('answers a URL the router refuses in the family', async () => {
      assert.deepEqual((await http().get('/demo-family/item/%ff').expect(400)).body, { message: '请求地址编码无效' });
    });

    it('answers headers over the 16 KB limit in the family, refused before Fastify', async () => {
      const response = await http()
        .get('/demo-family/token')
        .set('X-Padding', 'x'.repeat(20 * 1024))
        .expect(431);
      assert.deepEqual(response.body, { message: '请求头过大' });
    });
  });

  describe('a family that answers in another format than JSON', () => {
    it('sends its body as text, with its content type, its headers and the language it reads from the request', async () => {
      const response = await http().get('/page-family/missing?lang=en').set('Accept-Language', 'zh').expect(404);
      assert.equal(response.text, '<p lang="en">No such user.</p>');
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.ok(response.headers['x-request-id']);
    });

    it('answers refusals before routing in its format too', async () => {
      const unknown = await http().get('/page-family/nowhere').expect(404);
      assert.equal(unknown.text, '<p lang="zh">接口不存在</p>');
      const headers = await http()
        .get('/page-family/missing')
        .set('X-Padding', 'x'.repeat(20 * 1024))
        .expect(431);
      assert.equal(headers.text, '<p lang="zh">请求头过大</p>');
      assert.equal(headers.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(headers.headers['referrer-policy'], 'no-referrer');
    });
  });

  describe('the default family in the same application', () => {
    it('answers successes and errors in the envelope', async () => {
      assert.deepEqual((await http().get('/v1-demo').expect(200)).body, envelopeOf(200, '获取成功', { hello: 'world' }));
      assert.deepEqual((await http().get('/v1-demo/missing').expect(404)).body, envelopeOf(404, '用户不存在', null));
      const invalid = await http().post('/v1-demo/name').send({ name: 5 }).expect(400);
      assert.deepEqual(invalid.body, envelopeOf(400, '请求参数错误', { errors: [{ field: 'name', messages: ['name 必须是字符串'] }] }));
    });

    it('answers requests outside every family path, a path that only begins like one included', async () => {
      assert.deepEqual((await http().get('/nowhere').expect(404)).body, envelopeOf(404, '接口不存在', null));
      assert.deepEqual((await http().get('/demo-familyx').expect(404)).body, envelopeOf(404, '接口不存在', null));
      const headers = await http()
        .get('/v1-demo')
        .set('X-Padding', 'x'.repeat(20 * 1024))
        .expect(431);
      assert.deepEqual(headers.body, envelopeOf(431, '请求头过大', null));
    });
  });

  describe('a family with a second media type', () => {
    it('answers successes, errors and unknown paths in it when the request asks, in JSON otherwise', async () => {
      const item = await http().get('/text-family/item').set('Accept', 'text/plain').expect(200);
      assert.match(item.headers['content-type'], /^text\/plain/);
      assert.equal(item.text, 'status=200\nid=7');
      const missing = await http().get('/text-family/missing').set('Accept', 'text/plain').set('Accept-Language', 'en').expect(404);
      assert.equal(missing.text, 'status=404\nmessage=No such user.');
      assert.equal(missing.headers['cache-control'], 'no-store');
      assert.equal((await http().get('/text-family/nowhere').set('Accept', 'text/plain').expect(404)).text, 'status=404\nmessage=接口不存在');
      assert.deepEqual((await http().get('/text-family/item').expect(200)).body, { status: 200, id: 7 });
      assert.deepEqual((await http().get('/text-family/missing').expect(404)).body, { status: 404, message: '用户不存在' });
    });
  });
});

describe('RendererRegistry', () => {
  it('gives a path to the family with the longest prefix that covers it', () => {
    const registry = new RendererRegistry();
    const inner: ApiFamily = { renderer: { ...demoRenderer }, pathPrefix: '/demo-family/inner/' };
    registry.add(DEMO_FAMILY);
    registry.add(inner);
    assert.equal(registry.forUrl('/demo-family/inner/x'), inner.renderer);
    assert.equal(registry.forUrl('/demo-family/inner?x=1'), inner.renderer);
    assert.equal(registry.forUrl('/demo-family/innerx'), DEMO_FAMILY.renderer);
    assert.notEqual(registry.forUrl('/other'), DEMO_FAMILY.renderer);
  });

  it('refuses two families on one prefix, at startup', () => {
    const registry = new RendererRegistry();
    registry.add(DEMO_FAMILY);
    registry.add(DEMO_FAMILY);
    assert.throws(() => registry.add({ renderer: demoRenderer, pathPrefix: '/demo-family/' }), /Two API families claim the path prefix/);
  });
});
