/** The content of a SQL migration file: `-- migrate:up` with `up`, then `-- migrate:down` with `down` (none by default). */
export declare function sqlMigration(up: string, down?: string): string;
