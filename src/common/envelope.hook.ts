import type { FastifyInstance } from 'fastify';
import { envelope, Reply } from './envelope';
import { message, preferredLanguage } from './messages';

/**
 * Turns a controller's Reply into the envelope, in the language the client
 * prefers, as Fastify serialises it. A Fastify hook rather than a Nest
 * interceptor: it runs only for JSON bodies and costs no observable per request.
 */
export function registerEnvelopeHook(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', async (request, reply, payload) => {
    if (!(payload instanceof Reply)) return payload;
    return envelope(reply.statusCode, message(payload.messageKey, preferredLanguage(request.headers['accept-language'])), payload.data);
  });
}
