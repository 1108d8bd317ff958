import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { PrivateKeyCipher } from '../src/security/key-pair';
import type { Api } from './support/fixtures';
import { withApp } from './support/fixtures';
import { NO_ADDRESS_LIMITS, testDatabases } from './support/test-app';
import { createTicket, dateFromToday, kidOf, publishedKids, TicketAnswer, uniqueGateway } from './support/tickets';
import { uniqueName } from './support/users';

/** The request example of document 003, as it stands: a JSON body on the GET, numbers as strings. */
const DOCUMENT_REQUEST = ' {\n\t"pageNumber":"2",\n\t"name":"JWTtest",\n\t"pageSize":"10",\n\t"gatewayId":"70"\n}';
/** Its JSON answer example; the document's type column says Long for code, id and totalCount (JSON numbers here). */
const DOCUMENT_ANSWER = {
  code: '200',
  data: {
    list: [
      {
        validEndTime: '2020-11-22',
        validStartTime: '2020-10-22',
        clientToken: 'eyJhbGciOiJSUzUx****',
        serverKey: '{"kty":"RSA","kid":"9c901c45-0ef0-4bda-a4e2-8307012c****"}',
        name: 'JWTtest',
        comment: 'Doctest',
        ticketType: 'JWT',
        id: '58',
      },
    ],
    totalCount: '2',
  },
  message: 'success',
};
const LONG_FIELDS = new Set(['code', 'id', 'totalCount']);
const DETAIL_FIELDS = ['validEndTime', 'validStartTime', 'clientToken', 'serverKey', 'name', 'comment', 'ticketType', 'id', 'gatewayId', 'alg'];
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** The local end of that day, as a date-only validEndTime means, in Unix seconds. */
const endOfDaySeconds = (date: string) => Math.floor(new Date(`${date}T23:59:59.999`).getTime() / 1000);

for (const database of testDatabases()) {
  describe(`API-gateway tickets on ${database.name}`, () => {
    const t = withApp(database, NO_ADDRESS_LIMITS);
    const { admin } = t;

    const rowCounts = async () => ({
      tickets: Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM api_ticket'))[0].n),
      keys: Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM api_ticket_key'))[0].n),
    });
    const storedKeys = (ticketId: number) =>
      t.dataSource.query('SELECT kid, public_jwk, private_key, expires_at FROM api_ticket_key WHERE ticket_id = ?', [ticketId]) as Promise<
        Array<{ kid: string; public_jwk: string; private_key: string | null; expires_at: unknown }>
      >;

    describe('access', () => {
      it('is the built-in scope ticket, which the administrator holds', async () => {
        assert.ok((decodeJwt(t.adminSession.accessToken).scope as string[]).includes('ticket'));
        const holder = await t.userWith(['ticket']);
        const response = await holder.api.get(`/v1/auth?gatewayId=${uniqueGateway()}`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.deepEqual(response.body, { code: 200, data: { list: [], totalCount: 0 }, message: 'success' });
      });

      it('answers 403 without the scope and 401 without a token, in the family’s shape, XML too', async () => {
        const other = await t.userWith(['userMan']);
        const forbidden = await other.api.get('/v1/auth?gatewayId=70');
        assert.equal(forbidden.status, 403);
        assert.deepEqual(forbidden.body, { code: 403, errorCode: 'ACCESS_FORBIDEN', message: '权限不足' });
        assert.equal((await other.api.post('/v1/auth', { gatewayId: 70, name: 'x', ticketType: 'JWT', validEndTime: dateFromToday(1) })).status, 403);

        const anonymous = await t.http().get('/v1/auth?gatewayId=70').set('Accept-Language', 'en');
        assert.equal(anonymous.status, 401);
        assert.deepEqual(anonymous.body, { code: 401, errorCode: 'unauthorized', message: 'Invalid access token.' });
        assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
        for (const path of ['/v1/auth/1', '/v1/auth/1/rotate']) {
          const response = path.endsWith('rotate') ? await t.http().post(path) : await t.http().delete(path);
          assert.deepEqual([response.status, response.body.errorCode], [401, 'unauthorized'], path);
        }

        const xml = await t.http().get('/v1/auth?gatewayId=70').set('Accept', 'application/xml');
        assert.equal(xml.status, 401);
        assert.match(xml.headers['content-type'], /^application\/xml; charset=utf-8/);
        assert.equal(
          xml.text,
          `${XML_DECLARATION}<FindAuthTicketsResponse><code>401</code><errorCode>unauthorized</errorCode><message>Invalid access token.</message></FindAuthTicketsResponse>`,
        );
      });

      it('answers paths under /v1/auth that are no route in the family’s shape', async () => {
        const missing = await admin.get('/v1/auth/1/nothing');
        assert.equal(missing.status, 404);
        assert.deepEqual(missing.body, { code: 404, errorCode: 'not_found', message: '接口不存在' });
        const xml = await admin.get('/v1/auth/1/nothing?format=xml');
        assert.equal(xml.text, `${XML_DECLARATION}<Error><code>404</code><errorCode>not_found</errorCode><message>接口不存在</message></Error>`);
      });
    });

    describe('creation', () => {
      it('JWT: the server signs the client token; the answer shows it and the public key, the database holds neither token nor readable key', async () => {
        const gatewayId = uniqueGateway();
        const name = uniqueName('JWTtest');
        const validEndTime = dateFromToday(30);
        const before = Math.floor(Date.now() / 1000);
        const ticket = await createTicket(admin, { gatewayId, name, comment: 'Doctest', ticketType: 'JWT', validEndTime, alg: 'RS512' });
        assert.deepEqual(Object.keys(ticket), DETAIL_FIELDS, 'no clientKey for a JWT ticket');
        assert.deepEqual(
          { ...ticket, id: 0, clientToken: '', serverKey: '' },
          {
            validEndTime,
            validStartTime: dateFromToday(0),
            clientToken: '',
            serverKey: '',
            name,
            comment: 'Doctest',
            ticketType: 'JWT',
            id: 0,
            gatewayId,
            alg: 'RS512',
          },
        );

        const serverKey = JSON.parse(ticket.serverKey);
        assert.deepEqual(Object.keys(serverKey), ['kty', 'kid', 'n', 'e', 'alg', 'use'], 'the public JWK, no private part');
        assert.deepEqual([serverKey.kty, serverKey.alg, serverKey.use], ['RSA', 'RS512', 'sig']);
        assert.ok(Buffer.from(serverKey.n, 'base64url').length * 8 >= 2048, 'RSA 2048 bits at least');
        assert.ok(ticket.clientToken.startsWith('eyJhbGciOiJSUzUx'), 'the document’s client token prefix');
        assert.deepEqual(decodeProtectedHeader(ticket.clientToken), { alg: 'RS512', typ: 'JWT', kid: serverKey.kid });
        const { payload } = await jwtVerify(ticket.clientToken, await importJWK(serverKey, 'RS512'), {
          issuer: t.config.jwt.issuer,
          audience: `gateway:${gatewayId}`,
          subject: name,
        });
        assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
        assert.ok(payload.iat! >= before && payload.iat! <= Date.now() / 1000 + 1);
        assert.equal(payload.nbf, payload.iat, 'valid from its creation');
        assert.equal(payload.exp, endOfDaySeconds(validEndTime), 'valid through the validEndTime day');

        const [stored] = await storedKeys(ticket.id);
        assert.equal(stored.kid, serverKey.kid);
        assert.doesNotMatch(String(stored.private_key), /PRIVATE KEY/, 'encrypted at rest');
        const pem = new PrivateKeyCipher(t.config.jwt.keyEncryptionSecret).decrypt(String(stored.private_key));
        assert.equal(createPublicKey(pem).export({ format: 'jwk' }).n, serverKey.n, 'with KEY_ENCRYPTION_SECRET, through the signing keys’ unit');
        const rows = JSON.stringify(await t.dataSource.query('SELECT * FROM api_ticket WHERE id = ?', [ticket.id]));
        assert.ok(!rows.includes(ticket.clientToken.split('.')[2]), 'the client token is not stored');

        const detail = await admin.get(`/v1/auth/${ticket.id}`);
        assert.equal(detail.status, 200);
        assert.deepEqual(detail.body, { code: 200, data: ticket, message: 'success' }, 'the same client token, signed again');
      });

      it('JWT-SIGNER: the private key goes to the client once, as a JWK, and is not kept', async () => {
        const gatewayId = uniqueGateway();
        const ticket = await createTicket(admin, { gatewayId, name: uniqueName('signer'), ticketType: 'JWT-SIGNER', validStartTime: dateFromToday(0) });
        assert.deepEqual(Object.keys(ticket), [...DETAIL_FIELDS, 'clientKey']);
        assert.equal(ticket.clientToken, '');
        assert.equal(ticket.alg, 'RS256', 'the default algorithm');
        const clientKey = JSON.parse(ticket.clientKey!);
        const serverKey = JSON.parse(ticket.serverKey);
        assert.ok(clientKey.d && clientKey.p && clientKey.q, 'the private JWK');
        assert.deepEqual([clientKey.kid, clientKey.alg, clientKey.n], [serverKey.kid, 'RS256', serverKey.n]);
        assert.equal(serverKey.d, undefined);
        assert.deepEqual(
          (await storedKeys(ticket.id)).map((key) => key.private_key),
          [null],
        );

        const detail = (await admin.get(`/v1/auth/${ticket.id}`)).body.data;
        const { clientKey: _shownOnce, ...withoutKey } = ticket;
        assert.deepEqual(detail, withoutKey);
        const [listed] = (await admin.get(`/v1/auth?gatewayId=${gatewayId}`)).body.data.list;
        assert.equal(listed.clientToken, '');
      });
    });

    describe('FindAuthTickets', () => {
      it('answers the document’s example request, sent as it stands, field for field as its JSON example', async () => {
        const existing = await admin.get('/v1/auth?gatewayId=70&pageSize=20');
        assert.equal(existing.body.data.totalCount, 0, 'gateway 70 is this test’s alone');
        const ids: number[] = [];
        for (let i = 0; i < 12; i++) {
          const ticket = await createTicket(admin, {
            gatewayId: 70,
            name: i === 0 ? 'JWTtest' : `JWTtest-${i}`,
            comment: 'Doctest',
            validStartTime: '2020-10-22',
            alg: 'RS512',
          });
          ids.push(ticket.id);
        }
        await createTicket(admin, { gatewayId: 70, name: 'another' });
        await createTicket(admin, { gatewayId: 71, name: 'JWTtest' });

        const response = await t
          .http()
          .get('/v1/auth')
          .set('Authorization', `Bearer ${t.adminSession.accessToken}`)
          .set('Content-Type', 'application/json')
          .send(DOCUMENT_REQUEST);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.match(response.headers['content-type'], /^application\/json/);
        const body = response.body;

        const shape = (value: unknown, key = ''): unknown =>
          Array.isArray(value)
            ? value.map((item) => shape(item))
            : value !== null && typeof value === 'object'
              ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v, k)]))
              : LONG_FIELDS.has(key)
                ? 'number'
                : typeof value;
        const documentShape = shape(DOCUMENT_ANSWER) as { data: { list: unknown[] } };
        assert.deepEqual(shape(body), { ...documentShape, data: { ...documentShape.data, list: [documentShape.data.list[0], documentShape.data.list[0]] } });
        const fieldOrder = (value: object) => Object.keys(value);
        assert.deepEqual(fieldOrder(body), fieldOrder(DOCUMENT_ANSWER));
        assert.deepEqual(fieldOrder(body.data), fieldOrder(DOCUMENT_ANSWER.data));
        for (const item of body.data.list) assert.deepEqual(fieldOrder(item), fieldOrder(DOCUMENT_ANSWER.data.list[0]));

        const [example] = DOCUMENT_ANSWER.data.list;
        assert.deepEqual([body.code, body.message, body.data.totalCount], [200, 'success', 12]);
        assert.deepEqual(
          body.data.list.map((item: Record<string, unknown>) => item.id),
          ids.slice(10),
          'the second page of ten',
        );
        for (const item of body.data.list) {
          assert.equal(item.clientToken, example.clientToken, 'masked as the document shows');
          assert.match(item.serverKey, /^\{"kty":"RSA","kid":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{8}\*\*\*\*"\}$/);
          assert.equal(item.validStartTime, example.validStartTime);
          assert.equal(item.validEndTime, dateFromToday(30));
          assert.deepEqual([item.comment, item.ticketType], [example.comment, example.ticketType]);
          assert.match(item.name, /^JWTtest-1[01]$/);
        }
      });

      it('takes the query string: name contained whatever its case, pages of 5, 10 or 20 from 1', async () => {
        const gatewayId = uniqueGateway();
        for (const name of ['alpha-One', 'ALPHA-two', 'beta', 'Alphabet']) await createTicket(admin, { gatewayId, name });
        const names = async (query: string) => {
          const response = await admin.get(`/v1/auth?gatewayId=${gatewayId}&${query}`);
          assert.equal(response.status, 200, JSON.stringify(response.body));
          return [response.body.data.totalCount, response.body.data.list.map((item: TicketAnswer) => item.name)];
        };
        assert.deepEqual(await names('name=alpha-'), [2, ['alpha-One', 'ALPHA-two']]);
        assert.deepEqual(await names('name=ALPHA&pageSize=5'), [3, ['alpha-One', 'ALPHA-two', 'Alphabet']]);
        assert.deepEqual(await names('name=%25'), [0, []], 'a literal %');
        assert.deepEqual(await names('pageSize=5&pageNumber=2'), [4, []]);
        assert.deepEqual(await names('pageSize=20'), [4, ['alpha-One', 'ALPHA-two', 'beta', 'Alphabet']]);
        const fromBody = await t
          .http()
          .get(`/v1/auth`)
          .set('Authorization', `Bearer ${t.adminSession.accessToken}`)
          .send({ gatewayId: String(gatewayId), name: 'beta' });
        assert.deepEqual(
          fromBody.body.data.list.map((item: TicketAnswer) => item.name),
          ['beta'],
        );
      });
    });

    describe('XML', () => {
      it('answers the document’s XML form on Accept: application/xml or ?format=xml, one <list> per ticket, escaped', async () => {
        const gatewayId = uniqueGateway();
        const first = await createTicket(admin, { gatewayId, name: uniqueName('xml'), comment: '<b>"R&D"</b> \'1\'' });
        const second = await createTicket(admin, { gatewayId, name: uniqueName('xml'), ticketType: 'JWT-SIGNER' });
        const item = (ticket: TicketAnswer, clientToken: string, comment: string) =>
          `<list><validEndTime>${ticket.validEndTime}</validEndTime><validStartTime>${ticket.validStartTime}</validStartTime>` +
          `<clientToken>${clientToken}</clientToken><serverKey>{"kty":"RSA","kid":"${kidOf(ticket).slice(0, -4)}****"}</serverKey>` +
          `<name>${ticket.name}</name><comment>${comment}</comment><ticketType>${ticket.ticketType}</ticketType><id>${ticket.id}</id></list>`;
        const expected =
          `${XML_DECLARATION}<FindAuthTicketsResponse><code>200</code><data>` +
          item(first, 'eyJhbGciOiJSUzI1****', '&lt;b&gt;"R&amp;D"&lt;/b&gt; \'1\'') +
          item(second, '', '') +
          `<totalCount>2</totalCount></data><message>success</message></FindAuthTicketsResponse>`;

        const byAccept = await admin.get(`/v1/auth?gatewayId=${gatewayId}`).set('Accept', 'application/xml');
        assert.equal(byAccept.status, 200);
        assert.equal(byAccept.headers['content-type'], 'application/xml; charset=utf-8');
        assert.equal(byAccept.text, expected);
        assert.equal((await admin.get(`/v1/auth?gatewayId=${gatewayId}&format=xml`)).text, expected);
        assert.equal((await admin.get(`/v1/auth?gatewayId=${gatewayId}`).set('Accept', 'text/xml')).text, expected);
        const preferringJson = await admin.get(`/v1/auth?gatewayId=${gatewayId}`).set('Accept', 'application/json, application/xml;q=0.5');
        assert.equal(preferringJson.body.data.totalCount, 2);
        assert.equal((await admin.get(`/v1/auth?gatewayId=${gatewayId}&format=json`).set('Accept', 'application/xml')).body.code, 200);

        const detail = await admin.get(`/v1/auth/${second.id}?format=xml`);
        assert.match(
          detail.text,
          new RegExp(
            `^<\\?xml[^>]*\\?><GetAuthTicketResponse><code>200</code><data><validEndTime>.*<id>${second.id}</id><gatewayId>${gatewayId}</gatewayId><alg>RS256</alg></data><message>success</message></GetAuthTicketResponse>$`,
          ),
        );
        const created = await admin.post('/v1/auth?format=xml', { gatewayId, name: uniqueName('xml'), ticketType: 'JWT', validEndTime: dateFromToday(3) });
        assert.match(created.text, /^<\?xml[^>]*\?><CreateAuthTicketResponse><code>200<\/code><data>.*<clientToken>eyJ[^<]+<\/clientToken>/);
      });

      it('answers errors in XML as well', async () => {
        const invalid = await admin.get('/v1/auth?gatewayId=0&format=xml');
        assert.equal(invalid.status, 400);
        assert.equal(
          invalid.text,
          `${XML_DECLARATION}<FindAuthTicketsResponse><code>400</code><errorCode>param_error</errorCode><message>gatewayId 不能小于 1</message></FindAuthTicketsResponse>`,
        );
        const missing = await admin.delete('/v1/auth/2147483647').set('Accept', 'application/xml').set('Accept-Language', 'en');
        assert.equal(missing.status, 404);
        assert.equal(
          missing.text,
          `${XML_DECLARATION}<DeleteAuthTicketResponse><code>404</code><errorCode>not_found</errorCode><message>No such ticket.</message></DeleteAuthTicketResponse>`,
        );
      });
    });

    describe('changes', () => {
      it('PUT changes the comment and validEndTime; a new end gives a JWT ticket a new client token', async () => {
        const ticket = await createTicket(admin, { gatewayId: uniqueGateway(), name: uniqueName('put'), comment: 'first' });
        const commented = await admin.put(`/v1/auth/${ticket.id}`, { comment: 'second' });
        assert.equal(commented.status, 200, JSON.stringify(commented.body));
        assert.deepEqual(commented.body, { code: 200, data: { ...ticket, comment: 'second' }, message: 'success' }, 'the token unchanged');

        const validEndTime = dateFromToday(90);
        const extended = (await admin.put(`/v1/auth/${ticket.id}`, { validEndTime, comment: '' })).body.data as TicketAnswer;
        assert.deepEqual([extended.validEndTime, extended.comment, extended.serverKey], [validEndTime, '', ticket.serverKey]);
        assert.notEqual(extended.clientToken, ticket.clientToken);
        const claims = decodeJwt(extended.clientToken);
        assert.equal(claims.exp, endOfDaySeconds(validEndTime));
        assert.notEqual(claims.jti, decodeJwt(ticket.clientToken).jti);
        assert.equal(claims.nbf, decodeJwt(ticket.clientToken).nbf, 'the same start');
        assert.deepEqual((await admin.get(`/v1/auth/${ticket.id}`)).body.data, extended);

        const unchanged = JSON.stringify((await admin.get(`/v1/auth/${ticket.id}`)).body);
        for (const body of [{ name: 'renamed' }, { validEndTime: dateFromToday(-1) }, { validEndTime: 'tomorrow' }, { ticketType: 'JWT-SIGNER' }]) {
          const refused = await admin.put(`/v1/auth/${ticket.id}`, body);
          assert.equal(refused.status, 400, JSON.stringify(body));
          assert.equal(refused.body.errorCode, 'param_error');
        }
        assert.equal(JSON.stringify((await admin.get(`/v1/auth/${ticket.id}`)).body), unchanged);

        const later = await createTicket(admin, {
          gatewayId: uniqueGateway(),
          name: uniqueName('put'),
          validStartTime: dateFromToday(10),
          validEndTime: dateFromToday(20),
        });
        const beforeStart = await admin.put(`/v1/auth/${later.id}`, { validEndTime: dateFromToday(5) }).set('Accept-Language', 'en');
        assert.deepEqual(beforeStart.body, { code: 400, errorCode: 'param_error', message: 'validEndTime must be later than validStartTime' });
        assert.deepEqual((await admin.put('/v1/auth/2147483647', { comment: 'x' })).body.errorCode, 'not_found');
        assert.deepEqual((await admin.put('/v1/auth/abc', { comment: 'x' })).body.errorCode, 'param_error');
      });

      it('rotate gives a new key and kid; the old key stays published for the grace period', async () => {
        const gatewayId = uniqueGateway();
        const jwt = await createTicket(admin, { gatewayId, name: uniqueName('rot'), alg: 'RS512' });
        const rotated = await admin.post(`/v1/auth/${jwt.id}/rotate`);
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        const next = rotated.body.data as TicketAnswer;
        assert.deepEqual(Object.keys(next), DETAIL_FIELDS);
        assert.notEqual(kidOf(next), kidOf(jwt));
        assert.deepEqual(decodeProtectedHeader(next.clientToken), { alg: 'RS512', typ: 'JWT', kid: kidOf(next) });
        assert.deepEqual(await publishedKids(t, gatewayId), [kidOf(jwt), kidOf(next)].sort());
        assert.deepEqual((await admin.get(`/v1/auth/${jwt.id}`)).body.data, next);
        const [listed] = (await admin.get(`/v1/auth?gatewayId=${gatewayId}`)).body.data.list;
        assert.equal(listed.serverKey, `{"kty":"RSA","kid":"${kidOf(next).slice(0, -4)}****"}`);

        const signer = await createTicket(admin, { gatewayId, name: uniqueName('rot'), ticketType: 'JWT-SIGNER' });
        const rotatedSigner = (await admin.post(`/v1/auth/${signer.id}/rotate`)).body.data as TicketAnswer;
        assert.equal(JSON.parse(rotatedSigner.clientKey!).kid, kidOf(rotatedSigner));
        assert.notEqual(rotatedSigner.clientKey, signer.clientKey);
        assert.deepEqual(
          (await storedKeys(signer.id)).map((key) => key.private_key),
          [null, null],
        );
        assert.equal((await publishedKids(t, gatewayId)).length, 4);
        assert.equal((await admin.post('/v1/auth/2147483647/rotate')).body.errorCode, 'not_found');
      });

      it('DELETE takes the ticket’s keys out of the JWKS at once', async () => {
        const gatewayId = uniqueGateway();
        const kept = await createTicket(admin, { gatewayId, name: uniqueName('kept') });
        const ticket = await createTicket(admin, { gatewayId, name: uniqueName('del'), ticketType: 'JWT-SIGNER' });
        await admin.post(`/v1/auth/${ticket.id}/rotate`).expect(200);
        assert.equal((await publishedKids(t, gatewayId)).length, 3);

        const deleted = await admin.delete(`/v1/auth/${ticket.id}`);
        assert.equal(deleted.status, 200);
        assert.deepEqual(deleted.body, { code: 200, data: null, message: 'success' });
        assert.deepEqual(await publishedKids(t, gatewayId), [kidOf(kept)]);
        assert.deepEqual(await storedKeys(ticket.id), []);
        assert.equal((await admin.get(`/v1/auth/${ticket.id}`)).status, 404);
        assert.deepEqual((await admin.delete(`/v1/auth/${ticket.id}`)).body, { code: 404, errorCode: 'not_found', message: '凭证不存在' });
      });

      it('writes every change to the audit log, without keys or tokens', async () => {
        const ticket = await createTicket(admin, { gatewayId: uniqueGateway(), name: uniqueName('audit'), ticketType: 'JWT-SIGNER' });
        await admin.put(`/v1/auth/${ticket.id}`, { comment: 'audited' }).expect(200);
        const rotated = (await admin.post(`/v1/auth/${ticket.id}/rotate`).expect(200)).body.data as TicketAnswer;
        await admin.delete(`/v1/auth/${ticket.id}`).expect(200);
        const entries = (await admin.get(`/audit?target=${ticket.id}&pageSize=100`)).body.data.list as Array<{
          action: string;
          target: string;
          outcome: string;
          details: Record<string, unknown>;
        }>;
        const ours = entries.filter((entry) => entry.target === String(ticket.id) && entry.action.startsWith('ticket_')).reverse();
        assert.deepEqual(
          ours.map((entry) => [entry.action, entry.outcome]),
          [
            ['ticket_create', 'success'],
            ['ticket_update', 'success'],
            ['ticket_rotate', 'success'],
            ['ticket_delete', 'success'],
          ],
        );
        assert.equal(ours[0].details.name, ticket.name);
        assert.equal(ours[2].details.kid, kidOf(rotated));
        const text = JSON.stringify(ours);
        for (const secret of [JSON.parse(ticket.clientKey!).d, JSON.parse(rotated.clientKey!).d]) assert.ok(!text.includes(secret), 'no key in the log');
      });
    });

    describe('JWKS', () => {
      it('is public, and lists the gateway’s keys valid now: not another gateway’s, not one not yet valid', async () => {
        const gatewayId = uniqueGateway();
        const valid = await createTicket(admin, { gatewayId, name: uniqueName('now'), alg: 'RS512' });
        await createTicket(admin, { gatewayId, name: uniqueName('later'), validStartTime: dateFromToday(2), validEndTime: dateFromToday(9) });
        await createTicket(admin, { gatewayId: uniqueGateway(), name: uniqueName('elsewhere') });

        const response = await t.http().get(`/v1/auth/jwks?gatewayId=${gatewayId}`);
        assert.equal(response.status, 200);
        assert.match(response.headers['content-type'], /^application\/json/);
        assert.equal(response.headers['cache-control'], 'public, max-age=60');
        assert.deepEqual(response.body, { keys: [JSON.parse(valid.serverKey)] });
        assert.deepEqual((await t.http().get(`/v1/auth/jwks?gatewayId=${uniqueGateway()}`)).body, { keys: [] });
      });

      it('refuses a gateway id that is not a positive integer', async () => {
        for (const query of [
          '',
          '?gatewayId=',
          '?gatewayId=abc',
          '?gatewayId=0',
          '?gatewayId=-1',
          '?gatewayId=1.5',
          '?gatewayId=0x1',
          '?gatewayId=1&gatewayId=2',
        ]) {
          const response = await t.http().get(`/v1/auth/jwks${query}`);
          assert.equal(response.status, 400, query);
          assert.equal(response.body.errorCode, 'param_error', query);
          assert.match(response.body.message, /^gatewayId /, query);
        }
      });

      it('shows another instance’s changes within a couple of seconds', async () => {
        const other = await t.restart();
        try {
          const gatewayId = uniqueGateway();
          const eventually = async (expected: string[]) => {
            const deadline = Date.now() + 5000;
            let seen: string[] = [];
            while (Date.now() < deadline) {
              seen = await publishedKids(other, gatewayId);
              if (JSON.stringify(seen) === JSON.stringify(expected)) return Date.now();
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
            assert.deepEqual(seen, expected, 'the other instance');
          };
          const ticket = await createTicket(admin, { gatewayId, name: uniqueName('spread') });
          const created = Date.now();
          assert.ok((await eventually([kidOf(ticket)]))! - created < 2500);
          await admin.delete(`/v1/auth/${ticket.id}`).expect(200);
          const deleted = Date.now();
          assert.ok((await eventually([]))! - deleted < 2500);
        } finally {
          await other.app.close();
        }
      });
    });

    describe('bad input', () => {
      async function refused(api: Api, method: 'get' | 'post', path: string, body: unknown, status = 400): Promise<string> {
        const response = method === 'get' ? await api.get(path) : await api.post(path, body);
        assert.equal(response.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(Object.keys(response.body), ['code', 'errorCode', 'message']);
        assert.equal(response.body.code, status);
        assert.equal(response.body.errorCode, status === 400 ? 'param_error' : 'conflict');
        return response.body.message as string;
      }

      it('answers param_error for every bad field of a creation, and stores nothing', async () => {
        const gatewayId = uniqueGateway();
        const good = { gatewayId, name: uniqueName('bad'), ticketType: 'JWT', validEndTime: dateFromToday(10) };
        const before = await rowCounts();
        const cases: Array<[Record<string, unknown>, RegExp]> = [
          [{ gatewayId: 0 }, /^gatewayId /],
          [{ gatewayId: -70 }, /^gatewayId /],
          [{ gatewayId: 'seventy' }, /^gatewayId /],
          [{ gatewayId: 1.5 }, /^gatewayId /],
          [{ gatewayId: '0x46' }, /^gatewayId /],
          [{ gatewayId: 2 ** 31 }, /^gatewayId /],
          [{ gatewayId: undefined }, /^gatewayId 不能为空$/],
          [{ ticketType: 'jwt2' }, /^ticketType 必须是以下值之一：JWT, JWT-SIGNER$/],
          [{ name: 'x'.repeat(65) }, /^name /],
          [{ name: '' }, /^name /],
          [{ name: 'tab\there' }, /^name 不能包含控制字符$/],
          [{ validEndTime: dateFromToday(-1) }, /^validEndTime 必须晚于当前时间$/],
          [{ validStartTime: dateFromToday(20), validEndTime: dateFromToday(10) }, /^validEndTime 必须晚于 validStartTime$/],
          [{ validEndTime: '2030-02-30' }, /^validEndTime 必须是日期/],
          [{ validEndTime: '2030-13-01' }, /^validEndTime /],
          [{ validEndTime: 1924992000 }, /^validEndTime /],
          [{ alg: 'HS256' }, /^alg /],
          [{ clientKey: 'mine' }, /^不支持的字段 clientKey$/],
        ];
        for (const [change, message] of cases) assert.match(await refused(admin, 'post', '/v1/auth', { ...good, ...change }), message, JSON.stringify(change));
        assert.deepEqual(await rowCounts(), before);
      });

      it('answers param_error for bad list parameters, in the query or the body', async () => {
        const messages = [
          await refused(admin, 'get', '/v1/auth?gatewayId=70&pageSize=7', undefined),
          await refused(admin, 'get', '/v1/auth?gatewayId=70&pageNumber=0', undefined),
          await refused(admin, 'get', '/v1/auth?gatewayId=abc', undefined),
          await refused(admin, 'get', '/v1/auth', undefined),
          await refused(admin, 'get', '/v1/auth?gatewayId=70&format=yaml', undefined),
        ];
        assert.deepEqual(messages, [
          'pageSize 必须是以下值之一：5, 10, 20',
          'pageNumber 不能小于 1',
          'gatewayId 必须是整数',
          'gatewayId 不能为空',
          'format 必须是以下值之一：json, xml',
        ]);
        const inBody = await t
          .http()
          .get('/v1/auth')
          .set('Authorization', `Bearer ${t.adminSession.accessToken}`)
          .set('Accept-Language', 'en')
          .send({ gatewayId: '70', pageSize: '7' });
        assert.deepEqual(inBody.body, { code: 400, errorCode: 'param_error', message: 'pageSize must be one of: 5, 10, 20' });
      });

      it('answers conflict for a name the gateway has, whatever its case, and stores nothing', async () => {
        const gatewayId = uniqueGateway();
        await createTicket(admin, { gatewayId, name: 'JWTtest' });
        const before = await rowCounts();
        for (const name of ['JWTtest', 'jwttest', ' JWTTEST ', 'ＪＷＴtest']) {
          assert.equal(
            await refused(admin, 'post', '/v1/auth', { gatewayId, name, ticketType: 'JWT-SIGNER', validEndTime: dateFromToday(3) }, 409),
            '该网关已有同名凭证',
          );
        }
        assert.deepEqual(await rowCounts(), before);
        await createTicket(admin, { gatewayId: uniqueGateway(), name: 'JWTtest' });
        await createTicket(admin, { gatewayId, name: 'JWTtest2' });
      });
    });
  });
}
