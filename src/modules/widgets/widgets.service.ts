/**
 * The configuration-driven dashboard engine (docs/requirements.md, PRD-6, PRD-9, PRD-10): the widget
 * catalog, dashboard templates per role with tenant overrides, the tenant's filters resolved from
 * its plant metadata, widget and dashboard data from the services behind the matching APIs, and
 * the record of every data query.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Principal } from '../../platform/auth/principal.ts';
import { TENANT_ROLES, type TenantRole } from '../../platform/auth/permissions.ts';
import { badRequest, fieldErrors, forbidden, HttpError, notFound, statusTitle, type FieldError } from '../../platform/http/errors.ts';
import { buildAjv, type SchemaCompiler } from '../../platform/http/validation.ts';
import { newId, toIso } from '../../platform/ids.ts';
import { say, type Language } from '../../platform/languages.ts';
import { plantProblem } from '../production/plant-problems.ts';
import type { OeeScope } from '../production/production.service.ts';
import { DATA_SOURCES, DEFAULT_TEMPLATES, WIDGETS, type LayoutItem } from './catalog.ts';
import { resolveFilters } from './filters.ts';
import type { MetadataCache, PlantMetadata } from './metadata-cache.ts';
import type { DataSource, ParamsSchema, WidgetData, WidgetSourceServices, WidgetType } from './sources/types.ts';
import type { UserQueryLog } from './user-query-log.ts';
import type { UserQueryOrder, WidgetsRepo } from './widgets.repo.ts';
import type { DashboardTemplateRow, WidgetCatalogRow } from './widgets.tables.ts';

export const GRID_COLUMNS = 12;
const MAX_LAYOUT_ITEMS = 50;

export interface WidgetsDeps {
  repo: WidgetsRepo;
  services: WidgetSourceServices;
  metadata: MetadataCache;
  tenantTimeZone(tenantId: string): Promise<string>;
  queries: UserQueryLog;
  clock?: () => number;
}

export interface TemplateInput {
  role?: TenantRole;
  name?: string;
  layout?: LayoutItem[];
}

const widgetView = (row: WidgetCatalogRow) => ({
  widget_id: row.widget_id,
  widget_name: row.widget_name,
  widget_type: row.widget_type as WidgetType,
  description: row.description,
  data_source: row.data_source,
  required_params: JSON.parse(row.required_params) as ParamsSchema,
  default_size: { w: row.default_w, h: row.default_h },
});

const templateView = (row: DashboardTemplateRow) => ({
  template_id: row.id,
  tenant_id: row.tenant_id,
  role: row.role,
  name: row.name,
  layout: JSON.parse(row.layout) as LayoutItem[],
  created_at: toIso(row.created_at),
  updated_at: toIso(row.updated_at),
});

/** What a failed widget of a dashboard shows instead of its data. */
export interface WidgetProblem {
  status: number;
  title: string;
  detail: string | null;
  errors?: FieldError[];
}

/** The params' problems as field errors under `prefix`, the way the API names fields. */
const paramErrors = (prefix: string, errors: ErrorObject[] | null | undefined): FieldError[] => fieldErrors(errors ?? [], { prefix, whole: prefix });

/** A 400 from a widget's source names the widget and its parameter. */
function inWidget(widgetId: string, error: unknown): unknown {
  const mapped = plantProblem(error);
  if (!(mapped instanceof HttpError) || mapped.status !== 400) return mapped;
  const detail = say(`Widget ${widgetId}: ${mapped.localizedDetail?.en ?? 'invalid params'}`, `Widget ${widgetId}: ${mapped.localizedDetail?.es ?? 'parámetros no válidos'}`);
  return new HttpError(400, detail, { errors: mapped.errors?.map((e) => ({ ...e, field: `params.${e.field}` })), headers: mapped.headers });
}

function rowsOf(data: WidgetData): number {
  if (data.shape === 'chart') return data.labels.length;
  return data.shape === 'table' ? data.rows.length : 1;
}

export function createWidgetsService(deps: WidgetsDeps) {
  const { repo, services, metadata, queries } = deps;
  const clock = deps.clock ?? Date.now;
  // Query strings arrive as text (coerced, defaults applied); saved params are JSON (strict, and
  // without `required`: a dashboard's filters supply those when it is shown).
  const coercing = buildAjv({ coerceTypes: true });
  const strict = buildAjv({ coerceTypes: false, useDefaults: false });
  const requestValidators = new Map<string, ValidateFunction>();
  const savedValidators = new Map<string, ValidateFunction>();
  const validator = (cache: Map<string, ValidateFunction>, ajv: SchemaCompiler, source: DataSource, schema: object) => {
    let validate = cache.get(source.id);
    if (validate === undefined) {
      validate = ajv.compile(schema);
      cache.set(source.id, validate);
    }
    return validate;
  };

  /** Adds the catalog's missing widgets and brings changed ones up to date; adds missing default templates. Safe to repeat. */
  async function seed(): Promise<{ inserted: number; updated: number; unchanged: number; templates: number }> {
    const now = clock();
    const existing = new Map((await repo.catalog()).map((row) => [row.widget_id, row]));
    const missing = [];
    let updated = 0;
    for (const definition of WIDGETS) {
      const values = {
        widget_name: definition.widget_name, widget_type: definition.widget_type, description: definition.description, data_source: definition.data_source,
        required_params: JSON.stringify(DATA_SOURCES.get(definition.data_source)!.params), default_w: definition.w, default_h: definition.h,
      };
      const row = existing.get(definition.widget_id);
      if (row === undefined) missing.push({ widget_id: definition.widget_id, ...values, created_at: now, updated_at: now });
      else if ((Object.keys(values) as (keyof typeof values)[]).some((key) => row[key] !== values[key])) {
        await repo.updateWidget(definition.widget_id, { ...values, updated_at: now });
        updated++;
      }
    }
    await repo.insertWidgets(missing);
    const present = new Set(await repo.defaultTemplateIds());
    const absent = DEFAULT_TEMPLATES.filter((template) => !present.has(template.id));
    await repo.insertDefaultTemplates(absent.map((template) => ({
      id: template.id, tenant_id: null, role: template.role, name: template.name, layout: JSON.stringify(template.layout), created_at: now, updated_at: now,
    })));
    return { inserted: missing.length, updated, unchanged: WIDGETS.length - missing.length - updated, templates: absent.length };
  }

  // Seeded on first use in each process (after deploying a new catalog too), so whatever way the app starts, it has one.
  let seeded: Promise<unknown> | undefined;
  function ensureSeeded(): Promise<unknown> {
    seeded ??= seed().catch((error: unknown) => {
      seeded = undefined;
      throw error;
    });
    return seeded;
  }

  async function catalogEntry(widgetId: string): Promise<{ row: WidgetCatalogRow; source: DataSource }> {
    await ensureSeeded();
    const row = await repo.widget(widgetId);
    const source = row === undefined ? undefined : DATA_SOURCES.get(row.data_source);
    if (row === undefined || source === undefined) throw notFound(say('Widget not found', 'No se ha encontrado el widget'));
    return { row, source };
  }

  /** Loads one widget for a caller: its permission, its params validated (400 naming widget and param), its data. */
  /** What one request's widgets share: the metadata cache's verdict and identical service calls. */
  interface RequestScope {
    metadataHit: boolean | null;
    calls: Map<string, Promise<unknown>>;
    oee: OeeScope;
    now: number;
  }
  const newScope = (): RequestScope => {
    const now = clock();
    return { metadataHit: null, calls: new Map(), oee: { now, lines: new Map() }, now };
  };

  async function load(principal: Principal, tenantId: string, widgetId: string, source: DataSource, rawParams: Record<string, unknown>, usage: RequestScope) {
    if (!principal.permissions.has(source.permission)) throw forbidden(say(`Widget ${widgetId} needs the ${source.permission} permission`, `El widget ${widgetId} necesita el permiso ${source.permission}`));
    const params = structuredClone(rawParams);
    const validate = validator(requestValidators, coercing, source, source.params);
    if (!validate(params)) throw badRequest(say(`Widget ${widgetId}: the params are not valid`, `Widget ${widgetId}: los parámetros no son válidos`), paramErrors('params', validate.errors));
    const context = {
      tenantId, services, now: usage.now, oeeScope: usage.oee,
      async metadata(): Promise<PlantMetadata> {
        const { metadata: value, hit } = await metadata.get(tenantId);
        usage.metadataHit = (usage.metadataHit ?? true) && hit;
        return value;
      },
      shared<T>(key: unknown[], run: () => Promise<T>): Promise<T> {
        const id = JSON.stringify(key);
        let call = usage.calls.get(id);
        if (call === undefined) {
          call = run();
          usage.calls.set(id, call);
        }
        return call as Promise<T>;
      },
    };
    try {
      return { params, data: await source.load(context, params) };
    } catch (error) {
      throw inWidget(widgetId, error);
    }
  }

  function record(principal: Principal, tenantId: string, target: { widget_id?: string; template_id?: string }, params: unknown, started: number, rows: number, metadataHit: boolean | null) {
    queries.record({
      id: newId(), tenant_id: tenantId, user_id: principal.tenantId === null ? null : principal.userId, username: principal.username,
      widget_id: target.widget_id ?? null, template_id: target.template_id ?? null, params: JSON.stringify(params),
      duration_ms: Math.round((performance.now() - started) * 100) / 100, rows, cache_hit: metadataHit === null ? null : metadataHit ? 1 : 0, created_at: clock(),
    });
  }

  /** Saved params: each must be one the widget takes, of its type (400 naming the layout item and the parameter). */
  async function checkLayout(layout: LayoutItem[]): Promise<void> {
    const errors: FieldError[] = [];
    if (layout.length > MAX_LAYOUT_ITEMS) errors.push({ field: 'layout', message: `must have at most ${MAX_LAYOUT_ITEMS} widgets`, code: 'max_items', params: { limit: MAX_LAYOUT_ITEMS } });
    await ensureSeeded();
    const catalog = new Map((await repo.catalog()).map((row) => [row.widget_id, row]));
    let firstWidget: string | undefined;
    layout.forEach((item, index) => {
      const at = `layout.${index}`;
      const row = catalog.get(item.widget_id);
      const source = row === undefined ? undefined : DATA_SOURCES.get(row.data_source);
      const before = errors.length;
      if (row === undefined || source === undefined) errors.push({ field: `${at}.widget_id`, message: `${item.widget_id} is not a widget of the catalog`, code: 'unknown_reference', params: { value: item.widget_id } });
      if (item.x + item.w > GRID_COLUMNS) errors.push({ field: `${at}.w`, message: `x + w must be at most ${GRID_COLUMNS} (the grid's columns)`, code: 'grid_overflow', params: { limit: GRID_COLUMNS } });
      if (source !== undefined) {
        const validate = validator(savedValidators, strict, source, { ...source.params, required: [] });
        if (!validate(item.params)) errors.push(...paramErrors(`${at}.params`, validate.errors).map((error) => ({ ...error, message: `${error.message} (widget ${item.widget_id})` })));
      }
      if (errors.length > before) firstWidget ??= item.widget_id;
    });
    if (errors.length > 0) {
      throw badRequest(say(
        `The layout is not valid${firstWidget === undefined ? '' : `: widget ${firstWidget}, ${errors[0]!.field} ${errors[0]!.message}`}`,
        `La disposición no es válida${firstWidget === undefined ? '' : `: widget ${firstWidget}, campo ${errors[0]!.field}`}`,
      ), errors);
    }
  }

  async function ownTemplate(tenantId: string, id: string): Promise<DashboardTemplateRow> {
    const row = await repo.template(tenantId, id);
    if (row === undefined) throw notFound(say('Dashboard template not found', 'No se ha encontrado la plantilla de panel'));
    if (row.tenant_id === null) throw forbidden(say(
      'The platform\'s default templates cannot be changed; create one for your tenant and role instead',
      'Las plantillas predeterminadas de la plataforma no se pueden modificar; cree en su lugar una para su cliente y su rol',
    ));
    return row;
  }

  const roleOf = (principal: Principal): TenantRole => ((TENANT_ROLES as readonly string[]).includes(principal.role) ? principal.role as TenantRole : 'ADMIN');

  return {
    seed,

    listWidgets: async () => {
      await ensureSeeded();
      return (await repo.catalog()).map(widgetView);
    },
    getWidget: async (widgetId: string) => widgetView((await catalogEntry(widgetId)).row),

    /** One widget's data for the caller, recorded in the query log. */
    async widgetData(principal: Principal, tenantId: string, widgetId: string, rawParams: Record<string, unknown>) {
      const started = performance.now();
      const { row, source } = await catalogEntry(widgetId);
      const usage = newScope();
      const { params, data } = await load(principal, tenantId, widgetId, source, rawParams, usage);
      record(principal, tenantId, { widget_id: widgetId }, params, started, rowsOf(data), usage.metadataHit);
      return { widget_id: widgetId, widget_type: row.widget_type as WidgetType, params, ...data };
    },

    listTemplates: async (tenantId: string) => {
      await ensureSeeded();
      return (await repo.templates(tenantId)).map(templateView);
    },
    getTemplate: async (tenantId: string, id: string) => {
      await ensureSeeded();
      const row = await repo.template(tenantId, id);
      if (row === undefined) throw notFound(say('Dashboard template not found', 'No se ha encontrado la plantilla de panel'));
      return templateView(row);
    },
    /** The caller's dashboard: its tenant's template for its role, else the platform's (a SUPER_ADMIN gets the ADMIN's). */
    async mine(principal: Principal, tenantId: string) {
      await ensureSeeded();
      const row = await repo.templateForRole(tenantId, roleOf(principal));
      if (row === undefined) throw notFound(say('Dashboard template not found', 'No se ha encontrado la plantilla de panel'));
      return templateView(row);
    },

    async createTemplate(tenantId: string, input: Required<TemplateInput>) {
      await checkLayout(input.layout);
      if (await repo.tenantHasRole(tenantId, input.role)) throw new HttpError(409, say(`The tenant already has a template for ${input.role}; change that one`, `El cliente ya tiene una plantilla para ${input.role}; modifique esa`));
      const now = clock();
      const row = { id: newId(now), tenant_id: tenantId, role: input.role, name: input.name, layout: JSON.stringify(input.layout), created_at: now, updated_at: now };
      await repo.insertTemplate(row);
      return templateView(row);
    },

    async updateTemplate(tenantId: string, id: string, input: TemplateInput) {
      const current = await ownTemplate(tenantId, id);
      if (input.layout !== undefined) await checkLayout(input.layout);
      if (input.role !== undefined && await repo.tenantHasRole(tenantId, input.role, id)) throw new HttpError(409, say(`The tenant already has a template for ${input.role}`, `El cliente ya tiene una plantilla para ${input.role}`));
      const changes = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.role !== undefined ? { role: input.role } : {}),
        ...(input.layout !== undefined ? { layout: JSON.stringify(input.layout) } : {}),
        updated_at: clock(),
      };
      await repo.updateTemplate(tenantId, id, changes);
      return templateView({ ...current, ...changes });
    },

    async deleteTemplate(tenantId: string, id: string) {
      await ownTemplate(tenantId, id);
      await repo.deleteTemplate(tenantId, id);
    },

    /**
     * Every widget of a template at once, computed concurrently. Filter values fill the params a
     * widget takes and its layout does not fix; a widget that fails (no permission, bad params,
     * another tenant's line) carries its problem and the others still show.
     */
    async dashboardData(principal: Principal, tenantId: string, id: string, filters: Record<string, unknown>, language: Language = 'en') {
      const started = performance.now();
      await ensureSeeded();
      const stored = await repo.template(tenantId, id);
      if (stored === undefined) throw notFound(say('Dashboard template not found', 'No se ha encontrado la plantilla de panel'));
      const template = templateView(stored);
      const catalog = new Map((await repo.catalog()).map((row) => [row.widget_id, row]));
      const known = new Set([...DATA_SOURCES.values()].flatMap((source) => Object.keys(source.params.properties)));
      let unknown = Object.keys(filters).filter((key) => !known.has(key));
      // The tenant's own select filters set parameters no widget takes: the UI may send them anyway.
      if (unknown.length > 0) {
        const { metadata: plant } = await metadata.get(tenantId);
        const filterParams = new Set(resolveFilters(plant, 'UTC', clock()).flatMap((filter) => filter.params));
        unknown = unknown.filter((key) => !filterParams.has(key));
      }
      if (unknown.length > 0) throw badRequest(say(`${unknown[0]} is not a parameter of any widget`, `${unknown[0]} no es un parámetro de ningún widget`), unknown.map((field) => ({ field, message: 'is not a parameter of any widget', code: 'unknown_field' as const })));
      const usage = newScope();
      const widgets = await Promise.all(template.layout.map(async (item) => {
        const row = catalog.get(item.widget_id);
        const source = row === undefined ? undefined : DATA_SOURCES.get(row.data_source);
        const placed = { widget_id: item.widget_id, widget_type: row?.widget_type ?? null, x: item.x, y: item.y, w: item.w, h: item.h, title: item.title ?? row?.widget_name ?? item.widget_id };
        try {
          if (row === undefined || source === undefined) throw notFound(say('Widget not found', 'No se ha encontrado el widget'));
          const fromFilters = Object.fromEntries(Object.entries(filters).filter(([key]) => key in source.params.properties));
          const { params, data } = await load(principal, tenantId, item.widget_id, source, { ...fromFilters, ...item.params }, usage);
          return { ...placed, params, data: { widget_type: row.widget_type as WidgetType, ...data }, error: null };
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          // A widget's problem is said in the caller's language, as a problem answer would be.
          const problem: WidgetProblem = {
            status: error.status, title: statusTitle(error.status)[language], detail: error.localizedDetail?.[language] ?? null, ...(error.errors ? { errors: error.errors } : {}),
          };
          return { ...placed, params: item.params, data: null, error: problem };
        }
      }));
      record(principal, tenantId, { template_id: id }, filters, started, widgets.reduce((sum, widget) => sum + (widget.data === null ? 0 : rowsOf(widget.data)), 0), usage.metadataHit);
      return { template_id: template.template_id, name: template.name, role: template.role, filters, widgets };
    },

    /** The tenant's active filters in order, defaults resolved in its time zone and options from the plant metadata. */
    async filters(tenantId: string) {
      const [{ metadata: plant }, timeZone] = await Promise.all([metadata.get(tenantId), deps.tenantTimeZone(tenantId)]);
      return { timezone: timeZone, items: resolveFilters(plant, timeZone, clock()) };
    },

    async userQueries(tenantId: string, filter: { order: UserQueryOrder; limit: number; widget_id?: string; template_id?: string; user_id?: string }) {
      await queries.flush();
      const rows = await repo.userQueries(tenantId, { order: filter.order, limit: filter.limit, widgetId: filter.widget_id, templateId: filter.template_id, userId: filter.user_id });
      return {
        items: rows.map((row) => ({
          id: row.id, user_id: row.user_id, username: row.username, widget_id: row.widget_id, template_id: row.template_id,
          params: JSON.parse(row.params) as Record<string, unknown>, duration_ms: Number(row.duration_ms), rows: Number(row.rows),
          cache_hit: row.cache_hit === null ? null : Number(row.cache_hit) === 1, created_at: toIso(Number(row.created_at)),
        })),
      };
    },

    /** Deletes query records older than the retention. */
    pruneUserQueries: (retentionDays: number) => repo.deleteUserQueriesBefore(clock() - retentionDays * 86_400_000),
  };
}

export type WidgetsService = ReturnType<typeof createWidgetsService>;
