import { randomUUID } from 'node:crypto';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ValidateFunction } from 'ajv';
import type { AuditEntry } from '../../platform/audit-sink.ts';
import type { Permission } from '../../platform/auth/permissions.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { isDatabaseUnavailable } from '../../platform/db/errors.ts';
import { fieldErrors, forbidden, HttpError, statusTitle, unauthorized, type FieldError } from '../../platform/http/errors.ts';
import { fieldErrorsIn } from '../../platform/http/field-error-text.ts';
import { buildAjv, unstorableText } from '../../platform/http/validation.ts';
import type { AppServices } from '../../services.ts';
import { TOOLS, type ToolDefinition } from './mcp.tools.ts';
import { say, type Language, type Localized } from '../../platform/languages.ts';
import { passwordChangeFirst } from '../../platform/auth/guard.ts';
import { tenantIdRequired, tenantNotFound } from '../../platform/auth/tenant-scope.ts';

/** Where a call comes from, for the audit log. */
export interface McpClient {
  ip: string | null;
  userAgent: string | null;
  /** The HTTP request's id; each stdio call gets its own. */
  requestId: string | undefined;
}

export interface McpCaller {
  principal: Principal;
  client: McpClient;
  /** The language of the refusals (over HTTP, as Accept-Language asks); English when absent. */
  language?: Language;
}

interface Log {
  error(obj: object, msg: string): void;
}

/** An API key with this scope may use the read-only tools (docs/requirements.md). */
export const ASSISTANT_SCOPE = 'assistant' satisfies Permission;
/** What the `assistant` scope lets a key do: every read-only tool, never a write. */
const ASSISTANT_READS: ReadonlySet<Permission> = new Set(TOOLS.filter((tool) => tool.write === undefined).map((tool) => tool.permission));

const SERVER_INFO = { name: 'sentinel', version: '1.0.0' };
const INSTRUCTIONS = 'Sentinel security operations and production lines of one tenant. Tools read the same data as the REST API '
  + '(/api/v1); lists are newest first and page with `cursor` (the previous answer\'s next_cursor). Tools that change data '
  + '(acknowledge_alert, create_ticket_for_alert) are offered only to callers with the matching write permission.';

/** The permissions that decide which tools a caller gets: a user's own, or what the key's `assistant` scope allows. */
function toolPermissions(principal: Principal): ReadonlySet<Permission> {
  if (principal.apiKey === undefined) return principal.permissions;
  return principal.permissions.has(ASSISTANT_SCOPE) ? ASSISTANT_READS : new Set();
}

/** A tool's answer: the data as structured content, and as JSON text for clients that only read text. */
function answer(data: object, isError = false): CallToolResult {
  // Through JSON, so that the structured content is exactly what the REST twin sends.
  const text = JSON.stringify(data);
  return { content: [{ type: 'text', text }], structuredContent: JSON.parse(text) as Record<string, unknown>, ...(isError ? { isError } : {}) };
}

/** A refusal as a problem document (RFC 9457 fields, as the REST API answers), in the caller's language. */
function problemAnswer(caller: McpCaller, status: number, detail: Localized | undefined, errors?: FieldError[]): CallToolResult {
  const language = caller.language ?? 'en';
  return answer({ type: 'about:blank', status, ...(detail !== undefined ? { detail: detail[language] } : {}), ...(errors !== undefined ? { errors: fieldErrorsIn(errors, language) } : {}) }, true);
}

function validationErrors(validate: ValidateFunction, args: unknown): FieldError[] {
  return fieldErrors(validate(args) ? unstorableText(args) : (validate.errors ?? []), { whole: 'arguments' });
}

/**
 * The MCP server of Sentinel (docs/requirements.md): the assistants' tools over the same services as
 * the REST API, with the same tenant scoping, permissions and audit entries. Stateless: a server
 * is built per caller (per HTTP request, or once for a stdio process).
 */
export function createMcpService(deps: { services: AppServices; transaction: <T>(work: () => Promise<T>) => Promise<T> }) {
  const { services } = deps;
  const ajv = buildAjv({ coerceTypes: false });
  // Compiled at a tool's first call: compiling them all made up a quarter of the server's start-up.
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (tool: ToolDefinition) => validators.get(tool.name) ?? validators.set(tool.name, ajv.compile(tool.input)).get(tool.name)!;

  function auditEntry(caller: McpCaller, tool: ToolDefinition, entry: Pick<AuditEntry, 'action' | 'outcome' | 'tenantId' | 'resourceType' | 'resourceId'> & { detail?: Record<string, unknown> }): AuditEntry {
    return {
      ...entry,
      actorId: caller.principal.userId,
      actorUsername: caller.principal.username,
      detail: { channel: 'mcp', tool: tool.name, ...entry.detail },
      ip: caller.client.ip,
      userAgent: caller.client.userAgent,
      requestId: caller.client.requestId ?? randomUUID(),
    };
  }

  /** The tenant a call acts on: a tenant user's own; a SUPER_ADMIN names an existing one. */
  async function tenantOf(principal: Principal, args: Record<string, unknown>): Promise<string> {
    if (principal.tenantId !== null) return principal.tenantId;
    const requested = args.tenant_id;
    if (typeof requested !== 'string') throw tenantIdRequired();
    if (!(await services.tenantExists(requested))) throw tenantNotFound();
    return requested;
  }

  async function call(caller: McpCaller, tool: ToolDefinition, args: Record<string, unknown>, log: Log): Promise<CallToolResult> {
    const { principal } = caller;
    if (!toolPermissions(principal).has(tool.permission)) {
      await services.audit.record(auditEntry(caller, tool, {
        action: 'permission.denied', outcome: 'denied', tenantId: principal.tenantId, resourceType: tool.audit?.resourceType ?? null,
        resourceId: null, detail: { permission: tool.permission },
      }));
      const byKey = principal.apiKey !== undefined;
      return problemAnswer(caller, 403, say(
        `${tool.name} needs the ${tool.permission} permission${byKey ? ' (API keys with the assistant scope use the read-only tools)' : ''}`,
        `${tool.name} requiere el permiso ${tool.permission}${byKey ? ' (las claves de API con el ámbito de asistente usan las herramientas de solo lectura)' : ''}`,
      ));
    }
    const errors = validationErrors(validatorOf(tool), args);
    if (errors.length > 0) return problemAnswer(caller, 400, say('The tool arguments are invalid', 'Los argumentos de la herramienta no son válidos'), errors);
    let tenantId: string | undefined;
    try {
      tenantId = await tenantOf(principal, args);
      const scoped = tenantId;
      const audited = (outcome: 'success' | 'failure', detail?: Record<string, unknown>) => auditEntry(caller, tool, {
        action: tool.audit!.action, outcome, tenantId: scoped, resourceType: tool.audit!.resourceType, resourceId: tool.resourceId?.(args) ?? null,
        ...(detail !== undefined ? { detail } : {}),
      });
      const run = () => tool.run(services, { tenantId: scoped, principal, args });
      let result: object;
      if (tool.write !== undefined) {
        // The change and its audit entry commit together, as on the REST routes.
        result = await deps.transaction(async () => {
          const result = await run();
          await services.audit.record(audited('success', tool.auditDetail?.(result)));
          return result;
        });
      } else {
        result = await run();
        if (tool.audit !== undefined) await services.audit.record(audited('success'));
      }
      return answer(tool.view?.(result) ?? result);
    } catch (error) {
      if (error instanceof HttpError) {
        if (tool.audit !== undefined && tenantId !== undefined) {
          await services.audit.record(auditEntry(caller, tool, {
            action: tool.audit.action, outcome: 'failure', tenantId, resourceType: tool.audit.resourceType, resourceId: tool.resourceId?.(args) ?? null, detail: { status: error.status },
          }));
        }
        return problemAnswer(caller, error.status, error.localizedDetail ?? statusTitle(error.status), error.errors);
      }
      if (isDatabaseUnavailable(error)) {
        log.error({ err: error }, 'database unavailable');
        return problemAnswer(caller, 503, say('The database is not reachable; try again shortly', 'No se puede acceder a la base de datos; inténtelo de nuevo en unos instantes'));
      }
      log.error({ err: error, tool: tool.name }, 'unhandled error in an MCP tool');
      return problemAnswer(caller, 500, say('An unexpected error occurred; it has been logged', 'Se produjo un error inesperado; quedó registrado'));
    }
  }

  return {
    /**
     * The caller a bearer token stands for: an API key (`snk_…`) or a user's access token. Undefined
     * when it is neither valid key nor live session; 403 for a key without the assistant scope.
     */
    async authenticate(token: string, client: McpClient): Promise<Principal> {
      const principal = token.startsWith('snk_')
        ? await services.apiKeys.resolve(token)
        : await services.tokens.verifyAccessToken(token).then((claims) => (claims === undefined ? undefined : services.auth.resolvePrincipal(claims)));
      return admit(principal, client);
    },

    /** The same rules for a caller already identified (by the HTTP guard). */
    admit,

    /**
     * An MCP server for one caller, offering the tools it may use. The caller is asked for on every
     * message, so that a long-lived (stdio) server notices a revoked key or an ended session.
     */
    async createServer(callerOf: () => Promise<McpCaller>, log: Log): Promise<Server> {
      // The SDK loads with the first MCP request, not with every start of the service.
      const [{ Server }, { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError }] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/index.js'), import('@modelcontextprotocol/sdk/types.js'),
      ]);
      const current = async () => {
        try {
          return await callerOf();
        } catch (error) {
          if (error instanceof HttpError) throw new McpError(ErrorCode.InvalidRequest, error.detail ?? error.title);
          throw error;
        }
      };
      // The low-level server (McpServer wants Zod schemas): tools are described by the TypeBox schemas the REST routes validate with.
      const server = new Server(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
      server.setRequestHandler(ListToolsRequestSchema, async () => {
        const allowed = toolPermissions((await current()).principal);
        return {
          tools: TOOLS.filter((tool) => allowed.has(tool.permission)).map((tool) => ({
            name: tool.name,
            title: tool.title,
            description: tool.description,
            inputSchema: tool.input as { type: 'object' },
            annotations: { title: tool.title, readOnlyHint: tool.write === undefined, destructiveHint: false, idempotentHint: tool.write === undefined, openWorldHint: false },
          })),
        };
      });
      server.setRequestHandler(CallToolRequestSchema, async (request) => {
        const tool = TOOLS.find((candidate) => candidate.name === request.params.name);
        if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
        return call(await current(), tool, request.params.arguments ?? {}, log);
      });
      return server;
    },
  };

  async function admit(principal: Principal | undefined, client: McpClient): Promise<Principal> {
    if (principal === undefined) throw unauthorized(say('The access token or API key is invalid, expired or revoked', 'El token de acceso o la clave de API no son válidos, caducaron o fueron revocados'));
    if (principal.apiKey !== undefined && !principal.permissions.has(ASSISTANT_SCOPE)) {
      await services.audit.record({
        action: 'permission.denied', outcome: 'denied', tenantId: principal.tenantId, actorId: principal.userId, actorUsername: principal.username,
        detail: { permission: ASSISTANT_SCOPE, channel: 'mcp' }, ip: client.ip, userAgent: client.userAgent, requestId: client.requestId ?? randomUUID(),
      });
      throw forbidden(say('This API key does not have the assistant scope', 'Esta clave de API no tiene el ámbito de asistente'));
    }
    if (principal.passwordChangeRequired === true) throw passwordChangeFirst();
    return principal;
  }
}

export type McpService = ReturnType<typeof createMcpService>;
