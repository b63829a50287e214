import { InvalidConfigError } from '@strata/errors';
import type { Model } from 'objection';
import { z } from 'zod';
import type { FieldOf } from './model-types.js';

const fieldList = z.array(z.string().min(1, 'must be a non-empty field name')).readonly();

/** Repository options; defaults live here and nowhere else. */
export const repositoryOptionsSchema = z
  .object({
    /** Fields `list()` may sort by. The id is always appended as the final tie-breaker. */
    sortable: fieldList.default([]),
    /** Fields `list()` and `findOne()` may filter on. The id is always filterable. */
    filterable: fieldList.default([]),
    /**
     * Fields `create`, `createMany`, `update` and `upsert` accept. When omitted, any column
     * of the table is accepted (checked against the catalog), which suits code-built data;
     * list the fields when request bodies flow in.
     */
    writable: fieldList.optional(),
    /** Hard upper bound of `list({ limit })`: a larger limit is an error, not a silent cap. */
    maxPageSize: z.number().int().min(1).max(10_000).default(100),
    /** `list()` page size when `limit` is omitted. */
    defaultPageSize: z.number().int().min(1).max(10_000).default(20),
    /** `createMany` uses COPY from this many rows on; below it, one multi-row INSERT. */
    copyThreshold: z.number().int().min(1).default(1000),
    /** The entity name in error messages; the model class name when omitted. */
    entityName: z.string().min(1).optional(),
    /**
     * A secret that signs list cursors (HMAC-SHA256), so a client cannot forge positions.
     * Without it they are signed with a random key made per process: unforgeable too, but
     * not accepted after a restart or by another process. Set it when several processes
     * serve the same lists.
     */
    cursorSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * Where reads go when a call does not say (`on`): `primary`, `replica` or
     * `read-your-writes`. Omitted: the pool's current session decides, else the primary.
     */
    reads: z.enum(['primary', 'replica', 'read-your-writes']).optional(),
  })
  .refine((options) => options.defaultPageSize <= options.maxPageSize, {
    path: ['defaultPageSize'],
    message: 'must not exceed maxPageSize',
  });

/** Repository options as the schema takes them, field lists as plain strings. */
export type RawRepositoryOptions = z.input<typeof repositoryOptionsSchema>;
export type ResolvedRepositoryOptions = z.output<typeof repositoryOptionsSchema>;

/**
 * Options of a repository, with field lists checked against the model's fields. `S` and `F`
 * are the fields of `sortable` and `filterable`: `createRepository` infers them from the lists
 * given, so `list()` and `findOne()` accept those fields (and the id) only.
 */
export interface RepositoryOptions<
  M extends Model,
  S extends FieldOf<M> = FieldOf<M>,
  F extends FieldOf<M> = FieldOf<M>,
> extends Omit<RawRepositoryOptions, 'sortable' | 'filterable' | 'writable'> {
  /** Fields `list()` may sort by; the id always may. */
  sortable?: readonly S[];
  /** Fields `list()` and `findOne()` may filter on; the id always may. */
  filterable?: readonly F[];
  /** Fields the write methods accept; when omitted, any column of the table. */
  writable?: readonly FieldOf<M>[];
}

/** Validates repository options, throwing one InvalidConfigError that names every bad field. */
export function parseRepositoryOptions(
  subject: string,
  options: RawRepositoryOptions,
): ResolvedRepositoryOptions {
  const result = repositoryOptionsSchema.safeParse(options);
  if (!result.success) {
    throw new InvalidConfigError(
      subject,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  return result.data;
}
