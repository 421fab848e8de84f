import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertLineAllowed } from '../../platform/auth/api-key-access.ts';
import { notFound } from '../../platform/http/errors.ts';
import { NoContent, problems } from '../../platform/http/schemas.ts';
import type { AppServices } from '../../services.ts';
import { plantProblem } from './plant-problems.ts';
import {
  Area, AreaList, AreaParams, ClassifyDowntimeBody, CreateAreaBody, CreateDowntimeReasonBody, CreateFilterBody, CreateLineBody, CreateProductBody,
  CreateShiftBody, DetectionBatchBody, DetectionPage, Downtime, DowntimeList, DowntimeParams, DowntimeReason, DowntimeReasonList, Filter, FilterList,
  FilterParams, IngestResult, Line, LineList, LineParams, LineStatus, ListAreasQuery, ListDetectionsQuery, ListDowntimeQuery, ListShiftsQuery, Oee,
  OeeQuery, PlantDatabase, PlantDatabaseBody, PlantDatabaseParams, PlantReport, Product, ProductList, ProductParams, ReasonParams, Shift, ShiftList,
  ShiftParams, TenantOnlyQuery, UpdateAreaBody, UpdateFilterBody, UpdateLineBody, UpdateProductBody, UpdateShiftBody,
} from './production.schemas.ts';

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
      if (!(await services.tenantExists(id))) throw notFound('Tenant');
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

    // Lines

    app.get('/production/lines', {
      schema: { tags, summary: 'List production lines', querystring: TenantOnlyQuery, response: { 200: LineList, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => ({ items: await structure.listLines(request.tenantId) }));

    app.post('/production/lines', {
      schema: { tags, summary: 'Create a production line (embedded plant database); its tables are created with it', querystring: TenantOnlyQuery, body: CreateLineBody, response: { 201: Line, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.line.create', 'production_line') },
    }, async (request, reply) => {
      const line = await structure.createLine(request.tenantId, request.body);
      request.auditTarget = { resourceId: String(line.line_id), detail: { line_name: line.line_name, line_code: line.line_code } };
      reply.code(201);
      return line;
    });

    app.get('/production/lines/:line_id', {
      schema: { tags, summary: 'Get a production line', params: LineParams, querystring: TenantOnlyQuery, response: { 200: Line, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => structure.getLine(request.tenantId, request.params.line_id));

    app.patch('/production/lines/:line_id', {
      schema: {
        tags, summary: 'Update a production line', description: 'In a client\'s database line_name and is_active are the client\'s (409); the settings stay writable.',
        params: LineParams, querystring: TenantOnlyQuery, body: UpdateLineBody, response: { 200: Line, ...problems(400, 401, 403, 404, 409, 502, 503) },
      },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.line.update', 'production_line') },
    }, (request) => {
      request.auditTarget = { resourceId: String(request.params.line_id), detail: { changes: request.body } };
      return structure.updateLine(request.tenantId, request.params.line_id, request.body);
    });

    app.delete('/production/lines/:line_id', {
      schema: { tags, summary: 'Delete a production line without detections, with its areas and shifts (embedded plant database)', params: LineParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.line.delete', 'production_line') },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: String(request.params.line_id) };
      await structure.deleteLine(request.tenantId, request.params.line_id);
      reply.code(204);
      return null;
    });

    // Areas

    app.get('/production/areas', {
      schema: { tags, summary: 'List areas', querystring: ListAreasQuery, response: { 200: AreaList, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => ({ items: await structure.listAreas(request.tenantId, request.query.line_id) }));

    app.post('/production/areas', {
      schema: { tags, summary: 'Create an area (embedded plant database)', querystring: TenantOnlyQuery, body: CreateAreaBody, response: { 201: Area, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.area.create', 'area') },
    }, async (request, reply) => {
      const area = await structure.createArea(request.tenantId, request.body);
      request.auditTarget = { resourceId: String(area.area_id), detail: { area_name: area.area_name, line_id: area.line_id } };
      reply.code(201);
      return area;
    });

    app.get('/production/areas/:area_id', {
      schema: { tags, summary: 'Get an area', params: AreaParams, querystring: TenantOnlyQuery, response: { 200: Area, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => structure.getArea(request.tenantId, request.params.area_id));

    app.patch('/production/areas/:area_id', {
      schema: { tags, summary: 'Update an area (embedded plant database)', params: AreaParams, querystring: TenantOnlyQuery, body: UpdateAreaBody, response: { 200: Area, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.area.update', 'area') },
    }, (request) => {
      request.auditTarget = { resourceId: String(request.params.area_id), detail: { changes: request.body } };
      return structure.updateArea(request.tenantId, request.params.area_id, request.body);
    });

    app.delete('/production/areas/:area_id', {
      schema: { tags, summary: 'Delete an area without detections (embedded plant database)', params: AreaParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.area.delete', 'area') },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: String(request.params.area_id) };
      await structure.deleteArea(request.tenantId, request.params.area_id);
      reply.code(204);
      return null;
    });

    // Products

    app.get('/production/products', {
      schema: { tags, summary: 'List products', querystring: TenantOnlyQuery, response: { 200: ProductList, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => ({ items: await structure.listProducts(request.tenantId) }));

    app.post('/production/products', {
      schema: { tags, summary: 'Create a product (embedded plant database)', querystring: TenantOnlyQuery, body: CreateProductBody, response: { 201: Product, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.product.create', 'product') },
    }, async (request, reply) => {
      const product = await structure.createProduct(request.tenantId, request.body);
      request.auditTarget = { resourceId: String(product.product_id), detail: { product_name: product.product_name, product_code: product.product_code } };
      reply.code(201);
      return product;
    });

    app.get('/production/products/:product_id', {
      schema: { tags, summary: 'Get a product', params: ProductParams, querystring: TenantOnlyQuery, response: { 200: Product, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => structure.getProduct(request.tenantId, request.params.product_id));

    app.patch('/production/products/:product_id', {
      schema: {
        tags, summary: 'Update a product', description: 'In a client\'s database name and code are the client\'s (409); ideal_cycle_seconds stays writable.',
        params: ProductParams, querystring: TenantOnlyQuery, body: UpdateProductBody, response: { 200: Product, ...problems(400, 401, 403, 404, 409, 502, 503) },
      },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.product.update', 'product') },
    }, (request) => {
      request.auditTarget = { resourceId: String(request.params.product_id), detail: { changes: request.body } };
      return structure.updateProduct(request.tenantId, request.params.product_id, request.body);
    });

    app.delete('/production/products/:product_id', {
      schema: { tags, summary: 'Delete a product without detections (embedded plant database)', params: ProductParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.product.delete', 'product') },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: String(request.params.product_id) };
      await structure.deleteProduct(request.tenantId, request.params.product_id);
      reply.code(204);
      return null;
    });

    // Shifts

    app.get('/production/shifts', {
      schema: { tags, summary: 'List shifts', querystring: ListShiftsQuery, response: { 200: ShiftList, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => ({ items: await structure.listShifts(request.tenantId, request.query.line_id) }));

    app.post('/production/shifts', {
      schema: { tags, summary: 'Create a shift (embedded plant database); active shifts of a line may not overlap', querystring: TenantOnlyQuery, body: CreateShiftBody, response: { 201: Shift, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.shift.create', 'shift') },
    }, async (request, reply) => {
      const shift = await structure.createShift(request.tenantId, request.body);
      request.auditTarget = { resourceId: String(shift.shift_id), detail: { shift_name: shift.shift_name } };
      reply.code(201);
      return shift;
    });

    app.get('/production/shifts/:shift_id', {
      schema: { tags, summary: 'Get a shift', params: ShiftParams, querystring: TenantOnlyQuery, response: { 200: Shift, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => structure.getShift(request.tenantId, request.params.shift_id));

    app.patch('/production/shifts/:shift_id', {
      schema: { tags, summary: 'Update a shift (embedded plant database)', params: ShiftParams, querystring: TenantOnlyQuery, body: UpdateShiftBody, response: { 200: Shift, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.shift.update', 'shift') },
    }, (request) => {
      request.auditTarget = { resourceId: String(request.params.shift_id), detail: { changes: request.body } };
      return structure.updateShift(request.tenantId, request.params.shift_id, request.body);
    });

    app.delete('/production/shifts/:shift_id', {
      schema: { tags, summary: 'Delete a shift (embedded plant database)', params: ShiftParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.shift.delete', 'shift') },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: String(request.params.shift_id) };
      await structure.deleteShift(request.tenantId, request.params.shift_id);
      reply.code(204);
      return null;
    });

    // Filters

    app.get('/production/filters', {
      schema: { tags, summary: 'List filters', querystring: TenantOnlyQuery, response: { 200: FilterList, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, async (request) => ({ items: await structure.listFilters(request.tenantId) }));

    app.post('/production/filters', {
      schema: { tags, summary: 'Create a filter (embedded plant database)', querystring: TenantOnlyQuery, body: CreateFilterBody, response: { 201: Filter, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.filter.create', 'filter') },
    }, async (request, reply) => {
      const filter = await structure.createFilter(request.tenantId, request.body);
      request.auditTarget = { resourceId: String(filter.filter_id), detail: { filter_name: filter.filter_name } };
      reply.code(201);
      return filter;
    });

    app.get('/production/filters/:filter_id', {
      schema: { tags, summary: 'Get a filter', params: FilterParams, querystring: TenantOnlyQuery, response: { 200: Filter, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:read', tenant: 'required' },
    }, (request) => structure.getFilter(request.tenantId, request.params.filter_id));

    app.patch('/production/filters/:filter_id', {
      schema: { tags, summary: 'Update a filter (embedded plant database)', params: FilterParams, querystring: TenantOnlyQuery, body: UpdateFilterBody, response: { 200: Filter, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.filter.update', 'filter') },
    }, (request) => {
      request.auditTarget = { resourceId: String(request.params.filter_id), detail: { changes: Object.keys(request.body) } };
      return structure.updateFilter(request.tenantId, request.params.filter_id, request.body);
    });

    app.delete('/production/filters/:filter_id', {
      schema: { tags, summary: 'Delete a filter (embedded plant database)', params: FilterParams, querystring: TenantOnlyQuery, response: { 204: NoContent, ...problems(400, 401, 403, 404, 409, 502, 503) } },
      config: { access: 'production:admin', tenant: 'required', audit: audit('production.filter.delete', 'filter') },
    }, async (request, reply) => {
      request.auditTarget = { resourceId: String(request.params.filter_id) };
      await structure.deleteFilter(request.tenantId, request.params.filter_id);
      reply.code(204);
      return null;
    });

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
