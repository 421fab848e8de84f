import type { AppModule } from '../index.ts';
import { auditRetention } from './audit.retention.ts';
import { auditRoutes } from './audit.routes.ts';
import * as auditRetentionMigration from './migrations/20261130_audit_retention.ts';

export const auditModule: AppModule = {
  name: 'audit',
  routes: ({ services }) => auditRoutes(services.audit),
  permissions: ['audit:read'],
  retention: (context) => [auditRetention(context)],
  migrations: { '20261130_audit_retention': auditRetentionMigration },
};
