import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertLineAllowed } from '../../platform/auth/api-key-access.ts';
import { NoContent, problems } from '../../platform/http/schemas.ts';
import type { AppServices } from '../../services.ts';
import { plantProblem } from './plant-problems.ts';
import { plantResourceRoutes } from './plant-resource.routes.ts';
import {
  Area, AreaList, AreaParams, ClassifyDowntimeBody, CreateAreaBody, CreateDowntimeReasonBody, CreateFilterBody, CreateLineBody, CreateProductBody,
  CreateShiftBody, DetectionBatchBody, DetectionPage, Downtime, DowntimeList, DowntimeParams, DowntimeReason, DowntimeReasonList, Filter, FilterList,
  FilterParams, IngestResult, Line, LineList, LineParams, LineStatus, ListAreasQuery, ListDetectionsQuery, ListDowntimeQuery, ListShiftsQuery, Oee,
  OeeQuery, PlantDatabase, PlantDatabaseBody, PlantDatabaseParams, PlantReport, Product, ProductList, ProductParams, ReasonParams, Shift, ShiftList,
  ShiftParams, TenantOnlyQuery, UpdateAreaBody, UpdateFilterBody, UpdateLineBody, UpdateProductBody, UpdateShiftBody,
} from './production.schemas.ts';
import { tenantNotFound } from '../../platform/auth/tenant-scope.ts';

const tags = ['production'];
const audit = (action: string, resourceType: string) => ({ action, resourceType });
/** 10,000 detections as JSON take about 1 MiB (more with ISO times and product ids): room for a full batch. */
export const DETECTIONS_BODY_LIMIT = 4 * 1024 * 1024;
const DEFAULT_DOWNTIME_WINDOW_MS = 24 * 3_600_000;

const instant = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

type ProductionServices = Pick<AppServices, 'plants' | 'plantDatabases' | 'production' | 'structure' | 'downtimeReasons' | 'lineWatch' | 'tenantExists'>;

/** The production-lines API (docs/requirements.md, PRD-1 to PRD-5). Plant ids are the plant database's integer keys. */
export function productionRoutes(services: ProductionServices): FastifyPluginAsyncTypebox {
  const { plantDatabases, production, structure, downtimeReasons, lineWatch } = services;
  return async (app) => {
    // Plant-registry and plant-database failures become problems here; the platform's handler renders them.
    app.setErrorHandler((error) => {
      throw plantProblem(error);
    });
    app.addHook('onClose', () => services.plants.close());

    // Plant database

    app.put('/tenants/:id/plant-database', {
      schema: {
        tags, summary: 'Point a tenant at its own plant database (url), or back at the embedded one (mode: embedded); SUPER_ADMIN',
        description: 'The URL, password included, is kept in the secret store and never returned. The next request opens the new database.',
        params: PlantDatabaseParams, body: PlantDatabaseBody, response: { 200: PlantDatabase, ...problems(400, 401, 403, 404, 503) },
      },
      config: { access: 'tenants:write', audit: audit('tenant.plant_database.update', 'tenant') },
    }, async (request) => {
      const { id } = request.params;
      if (!(await services.tenantExists(id))) throw tenantNotFound();
      const view = await plantDatabases.set(id, request.body);
      request.auditTarget = { tenantId: id, detail: { mode: view.mode, dialect: view.dialect } };
      return view;
    });

    app.get('/production/plant', {
      schema: { tags, summary: 'Where the plant database is, and whether its tables are fit for use', querystring: TenantOnlyQuery, response: { 200: PlantReport, ...problems(400, 401, 403, 404, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => production.verify(request.tenantId));

    app.post('/production/plant/verify', {
      schema: {
        tags, summary: 'Check the plant database again now (after its schema changed)', description: 'Reopens the tenant\'s plant database, so the structure is read afresh.',
        querystring: TenantOnlyQuery, response: { 200: PlantReport, ...problems(400, 401, 403, 404, 502, 503) },
      },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.plant.verify', 'plant_database') },
    }, async (request) => {
      await services.plants.invalidate(request.tenantId);
      const report = await production.verify(request.tenantId);
      request.auditTarget = { detail: { ok: report.tables.every((table) => table.ok) } };
      return report;
    });

    // Plant structure: lines, areas, products, shifts, filters
    const embedded = '(embedded plant database)';
    await app.register(plantResourceRoutes({
      path: 'lines', idParam: 'line_id', noun: 'line', resourceType: 'production_line',
      schemas: { item: Line, list: LineList, params: LineParams, create: CreateLineBody, update: UpdateLineBody },
      summaries: {
        list: 'List production lines', create: `Create a production line ${embedded}; its tables are created with it`, get: 'Get a production line',
        update: 'Update a production line', updateDescription: 'In a client\'s database line_name and is_active are the client\'s (409); the settings stay writable.',
        delete: `Delete a production line without detections, with its areas and shifts ${embedded}`,
      },
      list: (tenantId) => structure.listLines(tenantId), create: structure.createLine, get: structure.getLine, update: structure.updateLine, remove: structure.deleteLine,
      createdDetail: (line) => ({ line_name: line.line_name, line_code: line.line_code }),
    }));
    await app.register(plantResourceRoutes({
      path: 'areas', idParam: 'area_id', noun: 'area', resourceType: 'area',
      schemas: { item: Area, list: AreaList, params: AreaParams, listQuery: ListAreasQuery, create: CreateAreaBody, update: UpdateAreaBody },
      summaries: { list: 'List areas', create: `Create an area ${embedded}`, get: 'Get an area', update: `Update an area ${embedded}`, delete: `Delete an area without detections ${embedded}` },
      list: (tenantId, query) => structure.listAreas(tenantId, query.line_id), create: structure.createArea, get: structure.getArea, update: structure.updateArea, remove: structure.deleteArea,
      createdDetail: (area) => ({ area_name: area.area_name, line_id: area.line_id }),
    }));
    await app.register(plantResourceRoutes({
      path: 'products', idParam: 'product_id', noun: 'product', resourceType: 'product',
      schemas: { item: Product, list: ProductList, params: ProductParams, create: CreateProductBody, update: UpdateProductBody },
      summaries: {
        list: 'List products', create: `Create a product ${embedded}`, get: 'Get a product',
        update: 'Update a product', updateDescription: 'In a client\'s database name and code are the client\'s (409); ideal_cycle_seconds stays writable.',
        delete: `Delete a product without detections ${embedded}`,
      },
      list: (tenantId) => structure.listProducts(tenantId), create: structure.createProduct, get: structure.getProduct, update: structure.updateProduct, remove: structure.deleteProduct,
      createdDetail: (product) => ({ product_name: product.product_name, product_code: product.product_code }),
    }));
    await app.register(plantResourceRoutes({
      path: 'shifts', idParam: 'shift_id', noun: 'shift', resourceType: 'shift',
      schemas: { item: Shift, list: ShiftList, params: ShiftParams, listQuery: ListShiftsQuery, create: CreateShiftBody, update: UpdateShiftBody },
      summaries: {
        list: 'List shifts', create: `Create a shift ${embedded}; active shifts of a line may not overlap`, get: 'Get a shift',
        update: `Update a shift ${embedded}`, delete: `Delete a shift ${embedded}`,
      },
      list: (tenantId, query) => structure.listShifts(tenantId, query.line_id), create: structure.createShift, get: structure.getShift, update: structure.updateShift, remove: structure.deleteShift,
      createdDetail: (shift) => ({ shift_name: shift.shift_name }),
    }));
    await app.register(plantResourceRoutes({
      path: 'filters', idParam: 'filter_id', noun: 'filter', resourceType: 'filter',
      schemas: { item: Filter, list: FilterList, params: FilterParams, create: CreateFilterBody, update: UpdateFilterBody },
      summaries: { list: 'List filters', create: `Create a filter ${embedded}`, get: 'Get a filter', update: `Update a filter ${embedded}`, delete: `Delete a filter ${embedded}` },
      list: (tenantId) => structure.listFilters(tenantId), create: structure.createFilter, get: structure.getFilter, update: structure.updateFilter, remove: structure.deleteFilter,
      createdDetail: (filter) => ({ filter_name: filter.filter_name }),
      // A filter's values may be long JSON: the entry names the fields changed.
      changes: (body) => Object.keys(body),
    }));

    // Detections

    app.post('/production/lines/:line_id/detections', {
      bodyLimit: DETECTIONS_BODY_LIMIT,
      schema: {
        tags, summary: 'Ingest a batch of detections: all or nothing, idempotent by batch_id',
        description: `Up to 10,000 detections; the body may be up to ${DETECTIONS_BODY_LIMIT / 1024 / 1024} MiB. A bad row is a 400 naming it (detections[i].field) and nothing is stored. A batch_id sent again is acknowledged with 200 and duplicate: true, and counted once.`,
        params: LineParams, querystring: TenantOnlyQuery, body: DetectionBatchBody, response: { 200: IngestResult, 201: IngestResult, ...problems(400, 401, 403, 404, 409, 413, 502, 503) },
      },
      // The plant write is not in the platform database: its audit entry follows it rather than holding a platform transaction open meanwhile.
      config: { access: 'production:write', tenant: 'required', audit: { ...audit('production.detections.ingest', 'production_line'), transaction: false } },
    }, async (request, reply) => {
      assertLineAllowed(request.actor, request.params.line_id);
      const result = await production.ingest(request.tenantId, request.params.line_id, request.body);
      request.auditTarget = { resourceId: String(request.params.line_id), detail: { batch_id: result.batch_id, accepted: result.accepted, duplicate: result.duplicate } };
      reply.code(result.duplicate ? 200 : 201);
      return result;
    });

    app.get('/production/lines/:line_id/detections', {
      schema: { tags, summary: 'List a line\'s detections, newest first', params: LineParams, querystring: ListDetectionsQuery, response: { 200: DetectionPage, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => {
      const { from, to, area_id, product_id, limit, cursor } = request.query;
      return production.listDetections(request.tenantId, request.params.line_id, { from: instant(from), to: instant(to), area_id, product_id, limit, cursor });
    });

    // Downtime

    app.get('/production/lines/:line_id/downtime', {
      schema: { tags, summary: 'List a line\'s stops reaching [from, to), oldest first', params: LineParams, querystring: ListDowntimeQuery, response: { 200: DowntimeList, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => {
      const to = instant(request.query.to) ?? Date.now();
      const from = instant(request.query.from) ?? to - DEFAULT_DOWNTIME_WINDOW_MS;
      const events = await production.listDowntime(request.tenantId, request.params.line_id, { from, to });
      const { category } = request.query;
      return { items: category === undefined ? events : events.filter((event) => event.category === category) };
    });

    app.patch('/production/lines/:line_id/downtime/:id', {
      schema: { tags, summary: 'Classify a stop: reason, category, comment', params: DowntimeParams, querystring: TenantOnlyQuery, body: ClassifyDowntimeBody, response: { 200: Downtime, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:operate', tenant: 'required', audit: audit('production.downtime.update', 'downtime_event') },
    }, async (request) => {
      request.auditTarget = { resourceId: String(request.params.id), detail: { line_id: request.params.line_id, changes: request.body } };
      const event = await downtimeReasons.classify(request.tenantId, request.params.line_id, request.params.id, request.body);
      lineWatch.noteClassified(request.tenantId, request.params.line_id, request.params.id);
      return event;
    });

    app.get('/production/downtime-reasons', {
      schema: { tags, summary: 'The tenant\'s downtime reasons', querystring: TenantOnlyQuery, response: { 200: DowntimeReasonList, ...problems(400, 401, 403, 404) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => ({ items: await downtimeReasons.list(request.tenantId) }));

    app.post('/production/downtime-reasons', {
      schema: { tags, summary: 'Add a downtime reason', querystring: TenantOnlyQuery, body: CreateDowntimeReasonBody, response: { 201: DowntimeReason, ...problems(400, 401, 403, 404, 409) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.downtime_reason.create', 'downtime_reason') },
    }, async (request, reply) => {
      const reason = await downtimeReasons.create(request.tenantId, request.body);
      request.auditTarget = { resourceId: reason.id, detail: { reason: reason.reason, category: reason.category } };
      reply.code(201);
      return reason;
    });

    app.delete('/production/downtime-reasons/:id', {
      schema: { tags, summary: 'Remove a downtime reason (stops classified with it keep it)', params: ReasonParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.downtime_reason.delete', 'downtime_reason') },
    }, async (request, reply) => {
      await downtimeReasons.delete(request.tenantId, request.params.id);
      reply.code(204);
      return null;
    });

    // OEE and status

    app.get('/production/oee', {
      schema: { tags, summary: 'OEE of a line, or of every active line together, over [from, to)', querystring: OeeQuery, response: { 200: Oee, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => {
      const { line_id, from, to, group_by } = request.query;
      return production.oee(request.tenantId, { line_id, from: Date.parse(from), to: Date.parse(to), group_by: group_by ?? 'none' });
    });

    app.get('/production/lines/:line_id/status', {
      schema: { tags, summary: 'Running, stopped (since when) or outside its shifts, with today\'s counts and OEE so far', params: LineParams, querystring: TenantOnlyQuery, response: { 200: LineStatus, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => production.lineStatus(request.tenantId, request.params.line_id));
  };
}
