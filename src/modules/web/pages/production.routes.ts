import type { PageKit, WebApp } from '../page-kit.ts';
import { lineTiles, productionPage } from '../views/production.ts';

/** The production pages: line tiles with their live state. */
export function productionPages(app: WebApp, { web, viewOf, send }: PageKit): void {
  app.get('/production', {
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => send(reply, productionPage(await viewOf(request), await web.lineTiles(request.tenantId))));

  app.get('/production/parts/lines', {
    config: { access: 'production:read', tenant: 'required' },
  }, async (request, reply) => send(reply, lineTiles(await viewOf(request), await web.lineTiles(request.tenantId))));
}
