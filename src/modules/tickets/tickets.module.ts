import type { AppModule } from '../index.ts';
import * as ticketsLinks from './tickets.migration.ts';
import { ticketsRoutes } from './tickets.routes.ts';

export const ticketsModule: AppModule = {
  name: 'tickets',
  routes: ({ services }) => ticketsRoutes(services.tickets),
  permissions: ['tickets:read', 'tickets:write', 'tickets:delete', 'tickets:comment'],
  // alert_tickets: tickets linked to an alert, which the alert pages show.
  cachedResources: ['tickets', 'alert_tickets'],
  migrations: { '20261130_tickets_links': ticketsLinks },
};
