import type { AppModule } from '../index.ts';
import { mcpRoutes } from './mcp.routes.ts';
import { ASSISTANT_SCOPE, createMcpService } from './mcp.service.ts';

export const mcpModule: AppModule = {
  name: 'mcp',
  // At the root, next to the API: /mcp.
  prefix: '',
  routes: ({ services, db }) => mcpRoutes(createMcpService({ services, transaction: (work) => db.transaction(work) })),
  permissions: [ASSISTANT_SCOPE],
};
