/**
 * The content of a SQL migration file for @strata/migrate: `-- migrate:up` and its SQL, then
 * `-- migrate:down` and its SQL (none by default).
 *
 * @param {string} up
 * @param {string} [down]
 * @returns {string}
 */
export const sqlMigration = (up, down = '') => `-- migrate:up\n${up}\n-- migrate:down\n${down}\n`;
