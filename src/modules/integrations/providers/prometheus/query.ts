import { ProviderError } from '../../vendor-http.ts';
import { stringRecord } from '../common.ts';
import type { ProviderContext, Series } from '../types.ts';
import { api, type RangeResult } from './client.ts';
import { sampleValue } from './labels.ts';

function seriesOf(expression: string, metric: unknown, points: [number, number | null][]): Series {
  const labels = stringRecord(metric);
  const name = labels.__name__ ?? expression;
  delete labels.__name__;
  return { refId: 'A', name, labels, points };
}

function point(raw: unknown): [number, number | null] | undefined {
  if (!Array.isArray(raw) || raw.length < 2 || typeof raw[0] !== 'number') return undefined;
  return [Math.round(raw[0] * 1000), sampleValue(raw[1])];
}

export async function query(ctx: ProviderContext, expression: string, from: number, to: number, stepSeconds: number): Promise<Series[]> {
  if (expression.trim() === '') throw new ProviderError('config', 'the query expression is empty');
  const { data } = await api<RangeResult>(ctx, '/api/v1/query_range', { query: expression, start: from / 1000, end: to / 1000, step: stepSeconds });
  const result = data?.result;
  switch (data?.resultType) {
    case 'matrix':
      if (!Array.isArray(result)) break;
      return result.map((item: { metric?: unknown; values?: unknown }) =>
        seriesOf(expression, item.metric, Array.isArray(item.values) ? item.values.map(point).filter((p) => p !== undefined) : []));
    case 'vector':
      if (!Array.isArray(result)) break;
      return result.map((item: { metric?: unknown; value?: unknown }) => seriesOf(expression, item.metric, [point(item.value)].filter((p) => p !== undefined)));
    case 'scalar': {
      const p = point(result);
      return [seriesOf(expression, {}, p ? [p] : [])];
    }
  }
  throw new ProviderError('bad_response', `unexpected query_range result (${data?.resultType ?? 'none'})`);
}
