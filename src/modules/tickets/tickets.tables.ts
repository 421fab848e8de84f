import type { Selectable, Updateable } from 'kysely';

/** The tickets module's tables (conventions in src/platform/db/schema.ts). */
export interface TicketsTable {
  id: string;
  tenant_id: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  assignee_id: string | null;
  alert_id: string | null;
  vulnerability_id: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export interface TicketCommentsTable {
  id: string;
  tenant_id: string;
  ticket_id: string;
  author_id: string | null;
  body: string;
  created_at: number;
  updated_at: number;
}

declare module '../../platform/db/schema.ts' {
  interface PlatformDatabase {
    tickets: TicketsTable;
    ticket_comments: TicketCommentsTable;
  }
}

export type TicketRow = Selectable<TicketsTable>;
export type TicketUpdate = Updateable<TicketsTable>;
export type TicketCommentRow = Selectable<TicketCommentsTable>;
