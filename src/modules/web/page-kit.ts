import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppServices } from '../../services.ts';
import type { FormOutcome } from './pages/forms.ts';
import type { Html, ViewContext } from './views/html.ts';
import type { WebService } from './web.service.ts';

/** The Fastify instance the page routes are declared on (TypeBox types for schemas). */
export type WebApp = Parameters<FastifyPluginAsyncTypebox>[0];

export const HTML = 'text/html; charset=utf-8';
export const PROBLEM = 'application/problem+json; charset=utf-8';

/** What every group of pages needs: the services, the page's view context, and the ways to answer. */
export interface PageKit {
  services: AppServices;
  web: WebService;
  viewOf(request: FastifyRequest): Promise<ViewContext>;
  /**
   * Runs a form's change in a savepoint (a failed one is rolled back alone, and the page can still be
   * read on PostgreSQL) and turns a 400 or 409 into the form's problem in the page's language (pages/forms.ts).
   */
  attempt<T>(request: FastifyRequest, work: () => Promise<T>): Promise<FormOutcome<T>>;
  send(reply: FastifyReply, markup: Html): FastifyReply;
  /** A finished state change: an HTMX request gets the updated fragment, a plain form goes back. */
  answer(request: FastifyRequest, reply: FastifyReply, fragment: Html | '', back: string): string;
}

export const audit = (action: string, resourceType: string, reads = false) => ({ action, resourceType, ...(reads ? { reads } : {}) });

export const isHtmx = (request: FastifyRequest) => request.headers['hx-request'] === 'true';

/** The body of a state change with nothing but its CSRF token (HTMX sends the token as a header). */
export const StateBody = Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });
