export {
  checkDesign,
  type DesignFinding,
  type DesignFindingKind,
} from './check-design.js';
export {
  type BlockedContract,
  contractsBlockedByDesign,
  type DesignAppliedMigration,
  type DesignDeployRecord,
} from './contracts-blocked-by-design.js';
export {
  type DesignEntry,
  type DesignGate,
  type DesignMigration,
  parseSchemaDesign,
  readSchemaDesign,
  type SchemaDesign,
} from './schema-design.js';
export { SchemaDesignError } from './schema-design-error.js';
