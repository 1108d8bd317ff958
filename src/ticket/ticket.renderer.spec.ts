import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { Problem } from '../common/renderer';
import { ticketRenderer, toXml, wantsXml } from './ticket.renderer';

const problem = (status: number, extra: Partial<Problem> = {}): Problem => ({
  status,
  messageKey: 'error.forbidden',
  data: null,
  fieldErrors: undefined,
  requestId: 'r-1',
  unexpected: false,
  ...extra,
});
const request = (accept: string | undefined, query: Record<string, unknown> = {}, operation?: string) =>
  ({ headers: { accept }, query, routeOptions: { config: { operation } } }) as unknown as FastifyRequest;

describe('the gateway-ticket family', () => {
  it('answers {code, data, message: "success"}', () => {
    assert.deepEqual(ticketRenderer.success(200, 'query.success', { totalCount: 0 }, 'en'), { code: 200, data: { totalCount: 0 }, message: 'success' });
  });

  it('answers errors {code, errorCode, message} with the document’s codes, bad input naming each field', () => {
    const body = (p: Problem, lang: 'zh' | 'en' = 'zh') => ticketRenderer.error(p, lang).body;
    assert.deepEqual(body(problem(403)), { code: 403, errorCode: 'ACCESS_FORBIDEN', message: '权限不足' });
    assert.deepEqual(body(problem(401, { messageKey: 'error.invalidToken' })), { code: 401, errorCode: 'unauthorized', message: 'Invalid access token.' });
    assert.deepEqual(body(problem(404, { messageKey: 'error.notFound' }), 'en'), { code: 404, errorCode: 'not_found', message: 'Not found.' });
    assert.deepEqual(body(problem(409, { messageKey: 'error.conflict' })), { code: 409, errorCode: 'conflict', message: '资源冲突' });
    const invalid = problem(400, {
      messageKey: 'error.validation',
      fieldErrors: [
        { field: 'pageSize', messages: ['pageSize must be one of: 5, 10, 20'] },
        { field: 'gatewayId', messages: ['gatewayId is required'] },
      ],
    });
    assert.deepEqual(body(invalid, 'en'), { code: 400, errorCode: 'param_error', message: 'pageSize must be one of: 5, 10, 20; gatewayId is required' });
    assert.deepEqual(body(problem(400, { messageKey: 'error.malformedJson' }), 'en'), {
      code: 400,
      errorCode: 'param_error',
      message: 'The request body is not valid JSON.',
    });
    assert.equal((body(problem(503, { messageKey: 'error.databaseUnavailable' })) as { errorCode: string }).errorCode, 'service_unavailable');
    assert.equal(ticketRenderer.error(problem(403), 'zh').status, undefined, 'the catalog’s status');
  });

  it('writes XML as the document does: one element per field, one per array item, text escaped', () => {
    assert.equal(
      toXml('FindAuthTicketsResponse', { code: 200, data: { list: [{ name: 'a<b>&c' }, { name: '"quoted"' }], totalCount: 2 }, message: 'success' }),
      '<?xml version="1.0" encoding="UTF-8"?><FindAuthTicketsResponse><code>200</code><data><list><name>a&lt;b&gt;&amp;c</name></list><list><name>"quoted"</name></list><totalCount>2</totalCount></data><message>success</message></FindAuthTicketsResponse>',
    );
    assert.equal(toXml('R', { data: null, list: [], text: 'bell\u0007' }), '<?xml version="1.0" encoding="UTF-8"?><R><data></data><text>bell\ufffd</text></R>');
  });

  it('answers XML on ?format=xml, or when Accept ranks an XML type above JSON', () => {
    const xml = [request('application/xml'), request('text/xml'), request(undefined, { format: 'xml' }), request('application/xml, */*;q=0.1')];
    const json = [
      request(undefined),
      request('*/*'),
      request('application/json'),
      request('application/json, application/xml'),
      request('application/xml;q=0.5, application/json'),
      request('application/xml', { format: 'json' }),
      request('application/xml;q=0'),
    ];
    for (const r of xml) assert.equal(wantsXml(r), true, JSON.stringify([r.headers, r.query]));
    for (const r of json) assert.equal(wantsXml(r), false, JSON.stringify([r.headers, r.query]));
  });

  it('roots the XML at the route’s operation, or <Error> outside any route', () => {
    const encoding = ticketRenderer.encodingFor!(request('application/xml', {}, 'GetAuthTicket'))!;
    assert.equal(encoding.contentType, 'application/xml; charset=utf-8');
    assert.match(encoding.encode({ code: 200 }), /<GetAuthTicketResponse><code>200<\/code><\/GetAuthTicketResponse>$/);
    assert.match(ticketRenderer.encodingFor!(request('text/xml'))!.encode({ code: 404 }), /<Error><code>404<\/code><\/Error>$/);
    assert.equal(ticketRenderer.encodingFor!(request('application/json', {}, 'GetAuthTicket')), undefined);
  });
});
