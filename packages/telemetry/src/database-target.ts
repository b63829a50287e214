import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_POSTGRESQL,
} from './semantic-attributes.js';

/** The PostgreSQL server and database that spans are about (as a pool's config describes it). */
export interface DatabaseTarget {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** The database name, `db.namespace`. */
  readonly database?: string | undefined;
}

/**
 * The attributes every span about `target` carries: `db.system.name`, `db.namespace`,
 * `server.address` and `server.port` (those known). Frozen: build it once per pool and share it.
 */
export function databaseAttributes(target: DatabaseTarget): Readonly<Attributes> {
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_POSTGRESQL };
  if (target.database) attributes[ATTR_DB_NAMESPACE] = target.database;
  if (target.host) attributes[ATTR_SERVER_ADDRESS] = target.host;
  if (target.port !== undefined) attributes[ATTR_SERVER_PORT] = target.port;
  return Object.freeze(attributes);
}
