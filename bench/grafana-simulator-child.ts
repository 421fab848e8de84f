/**
 * The Grafana simulator for bench/integrations.ts, in its own process so that serialising its large
 * answers does not stall the bench's readers. Prints {"url", "token"} as one JSON line when ready.
 */
import { startGrafanaSimulator, type AmAlert } from '../test/simulators/grafana.ts';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 1000);
const SEVERITIES = ['critical', 'high', 'warning', 'low'];

function firingAlerts(template: AmAlert): AmAlert[] {
  return Array.from({ length: ALERTS }, (_, i) => ({
    ...template,
    labels: { alertname: `BenchAlert${i}`, severity: SEVERITIES[i % SEVERITIES.length]!, instance: `host-${i % 200}:9100`, grafana_folder: 'Bench' },
    annotations: { summary: `Synthetic alert ${i}` },
    fingerprint: i.toString(16).padStart(16, '0'),
    status: { state: 'active', silencedBy: [], inhibitedBy: [] },
  }));
}

const sim = await startGrafanaSimulator();
sim.data.alerts = firingAlerts(sim.data.alerts[0]!);
process.stdout.write(`${JSON.stringify({ url: sim.url, token: sim.token })}\n`);
process.once('SIGTERM', () => void sim.close().finally(() => process.exit(0)));
