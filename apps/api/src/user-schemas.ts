import { z } from 'zod';
import { cursorSchema, idOutputSchema, limitSchema, pageSchema, timestampSchema } from './common-schemas.js';
import type { User } from './user-model.js';
import { USER_SORTS } from './user-repository.js';

/** Emails are stored trimmed and lower-cased, so `Ann@Example.com` and `ann@example.com` are one user. */
const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address'));

const nameSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

const versionSchema = z
  .int('must be a whole number')
  .min(1, 'must be 1 or more')
  .max(2_147_483_647, 'is too large for a version');

/** A user as the API returns it. */
export const userSchema = z
  .object({
    id: idOutputSchema,
    email: z.string(),
    name: z.string(),
    version: z.int().meta({ description: 'Increases with every change; send it back to update (If-Match)' }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .meta({ id: 'User' });

export type UserResponse = z.output<typeof userSchema>;

export const createUserBodySchema = z.strictObject({ email: emailSchema, name: nameSchema }).meta({
  id: 'NewUser',
});

export const updateUserBodySchema = z
  .strictObject({
    email: emailSchema.optional(),
    name: nameSchema.optional(),
    version: versionSchema
      .optional()
      .meta({ description: 'The version you read; alternatively send it as If-Match: "<version>"' }),
  })
  .refine((body) => body.email !== undefined || body.name !== undefined, {
    message: 'give email or name (or both) to change',
    path: ['email'],
  })
  .meta({ id: 'UserChanges' });

export const listUsersQuerySchema = z.strictObject({
  email: emailSchema.optional().meta({ description: 'Only the user with this email' }),
  sort: z
    .enum(USER_SORTS, { message: `must be one of ${USER_SORTS.join(', ')}` })
    .default('id')
    .meta({ description: 'Sort order; a leading "-" means descending' }),
  limit: limitSchema,
  after: cursorSchema,
});

/** `If-Match: "<version>"` (a weak ETag `W/"3"` is accepted too); other headers pass through. */
export const versionHeadersSchema = z.looseObject({
  'if-match': z
    .string()
    .regex(/^(W\/)?"[1-9][0-9]{0,9}"$/, 'must be the ETag of the version you read, e.g. "3"')
    .optional(),
});

export const userPageSchema = pageSchema(userSchema).meta({ id: 'UserPage' });

/** The version in an ETag header value (`"3"` or `W/"3"`). */
export function versionFromETag(etag: string): number {
  return Number(etag.replace(/^W\//, '').slice(1, -1));
}

/** The ETag of a user: its version, which changes with every update. */
export function etagOf(user: Pick<User, 'version'>): string {
  return `"${user.version}"`;
}

/** The API's view of a stored user. */
export function toUserResponse(user: User): UserResponse {
  return {
    id: String(user.id),
    email: user.email,
    name: user.name,
    version: user.version,
    createdAt: new Date(user.created_at).toISOString(),
    updatedAt: new Date(user.updated_at).toISOString(),
  };
}
