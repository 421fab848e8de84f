import type { AppModule } from '../index.ts';
import { liveRoutes } from './live.routes.ts';

export const liveModule: AppModule = {
  name: 'live',
  routes: ({ services, config, events }) => liveRoutes({
    bus: services.bus,
    events,
    allowedOrigins: config.corsOrigins,
    sessionIsLive: async (p) => (await services.auth.resolvePrincipal({ sub: p.userId, sid: p.sessionId, tenant_id: p.tenantId, role: p.role })) !== undefined,
  }),
};
