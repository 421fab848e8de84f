import { Type } from 'typebox';
import { NullableString, NullableTimestamp, StringEnum, TenantQuery, Timestamp } from '../../platform/http/schemas.ts';

export const JobRun = Type.Object({
  id: Type.String(),
  status: Type.String({ description: '`running`, `success` or `error` (integration syncs: their own outcome)' }),
  trigger: NullableString({ description: '`schedule` or `manual`' }),
  attempt: Type.Union([Type.Integer(), Type.Null()]),
  node: NullableString({ description: 'The process that ran it (host:pid)' }),
  subject_id: NullableString({ description: 'What the run was about (an integration), when it is one of many' }),
  started_at: Timestamp,
  finished_at: NullableTimestamp,
  duration_ms: Type.Union([Type.Integer(), Type.Null()]),
  error: NullableString(),
  report: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'What the run did (files written, rows removed …)' }),
}, { $id: 'JobRun' });

export const Job = Type.Object({
  name: Type.String(),
  description: NullableString(),
  schedule: NullableString({ description: 'Cron expression in UTC; null for work that is not scheduled by cron (integration syncs)' }),
  scope: StringEnum(['platform', 'tenant'] as const),
  runnable: Type.Boolean({ description: 'Whether POST /jobs/{name}/run accepts it from this caller' }),
  next_run_at: NullableTimestamp,
  last_run: Type.Union([Type.Ref('JobRun'), Type.Null()]),
  runs: Type.Array(Type.Ref('JobRun'), { description: 'The newest runs, newest first (at most 10)' }),
});

export const JobList = Type.Object({ items: Type.Array(Job) });

export const JobsQuery = Type.Object({ ...TenantQuery }, { additionalProperties: false });

export const JobNameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });

export const JobRunRequested = Type.Object({
  job: Type.String(),
  request_id: Type.String(),
  requested_at: Timestamp,
  scope: StringEnum(['platform', 'tenant'] as const),
});
