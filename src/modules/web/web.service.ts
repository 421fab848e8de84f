import type { Principal } from '../../platform/auth/principal.ts';
import { HttpError } from '../../platform/http/errors.ts';
import type { ProductionService } from '../production/production.service.ts';
import type { StructureService } from '../production/structure.service.ts';
import type { TenantsService } from '../tenants/tenants.service.ts';
import { isLanguage, type Language } from '../../platform/languages.ts';
import type { WebRepo } from './web.repo.ts';
import type { Theme } from './views/html.ts';
import type { LineTile } from './views/production.ts';

export interface ViewSettings {
  language: Language;
  theme: Theme;
  timeZone: string;
}

const isTheme = (value: unknown): value is Theme => value === 'dark' || value === 'light';

export function createWebService(deps: { repo: WebRepo; tenants: TenantsService; production: ProductionService; structure: StructureService }) {
  const { repo, tenants, production, structure } = deps;
  return {
    /**
     * How a user sees the UI: their own choice, else their tenant's setting; dark unless either
     * says light (docs/requirements.md, UI-2). A platform administrator has no tenant: English, UTC.
     */
    async viewSettings(principal: Principal): Promise<ViewSettings> {
      const [own, tenant] = await Promise.all([
        repo.preferences(principal.userId),
        principal.tenantId === null ? undefined : tenants.get(principal.tenantId),
      ]);
      const tenantTheme = tenant?.config.theme;
      const tenantLanguage = tenant?.config.language;
      return {
        language: isLanguage(own?.language) ? own.language : isLanguage(tenantLanguage) ? tenantLanguage : 'en',
        theme: isTheme(own?.theme) ? own.theme : isTheme(tenantTheme) ? tenantTheme : 'dark',
        timeZone: tenant?.config.timezone ?? 'UTC',
      };
    },

    async savePreferences(principal: Principal, change: { theme?: string; language?: string }): Promise<void> {
      const valid = {
        ...(isTheme(change.theme) ? { theme: change.theme } : {}),
        ...(isLanguage(change.language) ? { language: change.language } : {}),
      };
      if (Object.keys(valid).length > 0) await repo.savePreferences(principal.userId, valid, Date.now());
    },

    /**
     * Every line's live state for the tiles. A tenant whose plant database cannot be reached gets
     * 'unavailable' rather than an error page: the rest of the UI stays usable.
     */
    async lineTiles(tenantId: string): Promise<LineTile[] | 'unavailable'> {
      try {
        const lines = await structure.listLines(tenantId);
        return await Promise.all(lines.filter((line) => line.is_active).map((line) => production.lineStatus(tenantId, line.line_id)));
      } catch (error) {
        if (error instanceof HttpError && error.status >= 500) return 'unavailable';
        throw error;
      }
    },
  };
}

export type WebService = ReturnType<typeof createWebService>;
