/**
 * The process-wide policy for errors nobody handled.
 *  - A rejected promise nobody awaited is a bug in one piece of work: it is logged at error level
 *    with its stack, never swallowed, and the process keeps serving. Node's default (exit) would
 *    drop every request in flight and leave the service down until something restarts it.
 *  - An uncaught exception keeps Node's default (print and exit): code stopped half-way may have left
 *    shared state inconsistent. Run Sentinel under a supervisor that restarts it.
 */
export function logUnhandledRejections(log: { error(obj: object, msg: string): void }): void {
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection (a bug; the process keeps running)');
  });
}
