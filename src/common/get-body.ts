import type { FastifyRequest } from 'fastify';
import { AppException } from './app.exception';
import { nestsDeeperThan } from './json-depth';

/**
 * Fastify does not parse the body of a GET; the documents send list filters
 * in one, so it is read here. Accepts a JSON object, or a JSON string holding
 * a JavaScript object literal (`"{ pageNum: 1, roleName: \"\" }"`), as the
 * document's example does. Empty strings count as absent.
 */
export async function readGetBody(request: FastifyRequest, limitBytes: number): Promise<Record<string, unknown>> {
  const length = Number(request.headers['content-length'] ?? 0);
  if (!(length > 0) && !request.headers['transfer-encoding']) return {};
  if (length > limitBytes) throw new AppException('error.payloadTooLarge');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new AppException('error.payloadTooLarge');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const parsed = parseLenient(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppException('error.malformedJson');
  if (nestsDeeperThan(parsed)) throw new AppException('error.tooDeep');
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter(([key, value]) => value !== '' && value !== null && key !== '__proto__'));
}

function parseLenient(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppException('error.malformedJson');
  }
  if (typeof value !== 'string') return value;
  const literal = value.replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":').replace(/,\s*([}\]])/g, '$1');
  try {
    return JSON.parse(literal);
  } catch {
    throw new AppException('error.malformedJson');
  }
}
