export type { ContractEvidence, EvidenceIndexScans, EvidenceStatement } from './contract-evidence.js';
export { type DroppedObject, droppedObjects, type Removal } from './dropped-objects.js';
export type { EvidenceMode } from './evidence-gate.js';
export {
  type ColumnsOf,
  type ReferenceTargets,
  type StatementReference,
  statementReferences,
} from './statement-references.js';
