// The SOP reads of the extraction path (gather and select read the requested SOPs on every call), as
// one plain query: entities would be hydrated and snapshotted only to be mapped to the proto.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { SopEntity } from '../entities/sop.js';

interface SopRow {
  id: string;
  user_id: string;
  name: string;
  version: number;
  is_active: boolean;
  sections: SopSection[];
  created_at: Date;
  updated_at: Date;
}

/** The SOPs of these ids that row-level security lets the acting clinician see, in no order. */
export async function sopsByIds(em: EntityManager, ids: readonly string[]): Promise<SopEntity[]> {
  if (ids.length === 0) return [];
  const rows = await em.execute<SopRow[]>(
    `select "id", "user_id", "name", "version", "is_active", "sections", "created_at", "updated_at"
     from "context"."sop" where "id" in (${ids.map(() => '?').join(', ')})`,
    [...ids],
  );
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    name: r.name,
    version: r.version,
    isActive: r.is_active,
    sections: r.sections,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  }));
}
