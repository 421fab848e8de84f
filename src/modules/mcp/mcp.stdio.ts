import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpService } from './mcp.service.ts';

/** The environment variable `sentinel mcp` reads its API key from (a key with the assistant scope). */
export const MCP_API_KEY_VARIABLE = 'SENTINEL_API_KEY';

/** stdout carries the protocol only: anything else, logs included, goes to stderr. */
const stderrLog = {
  error(obj: object, msg: string) {
    const err = (obj as { err?: unknown }).err;
    process.stderr.write(`${msg}${err instanceof Error ? `: ${err.message}` : ''}\n`);
  },
};

/**
 * Serves MCP on stdin/stdout for an assistant that starts Sentinel as a subprocess, as the API key
 * in SENTINEL_API_KEY: refused at once when it is not valid, and checked again on every message
 * (a revoked key stops working). Resolves when the client closes stdin.
 */
export async function serveMcpOverStdio(mcp: McpService, apiKey: string): Promise<void> {
  const client = { ip: null, userAgent: 'sentinel mcp (stdio)', requestId: undefined };
  const callerOf = async () => ({ principal: await mcp.authenticate(apiKey, client), client });
  await callerOf();
  const server = await mcp.createServer(callerOf, stderrLog);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
