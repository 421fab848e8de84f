import type { FastifyReply, FastifyRequest } from 'fastify';
import { preferredLanguage, type Language } from '../languages.ts';

/**
 * The language an answer speaks, as the request's Accept-Language chooses: said in
 * Content-Language, and added to what Vary already names (CORS's Origin), not in its place.
 */
export function answerLanguage(request: FastifyRequest, reply: FastifyReply): Language {
  const language = preferredLanguage(request.headers['accept-language']);
  reply.header('content-language', language);
  const vary = String(reply.getHeader('vary') ?? '');
  if (!/(^|,)\s*(accept-language|\*)\s*(,|$)/i.test(vary)) reply.header('vary', vary.trim() === '' ? 'Accept-Language' : `${vary}, Accept-Language`);
  return language;
}
