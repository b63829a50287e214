import type { Node } from 'libpg-query';
import type { RuleFinding } from './lint-context.js';
import { nodeAs, nodeType, relationName, stringValues } from './parse-tree.js';

/** The project's rules: no stored functions or procedures, no triggers, no rewrite rules. */
export function checkProjectRules(statement: Node): RuleFinding[] {
  switch (nodeType(statement)) {
    case 'CreateFunctionStmt': {
      const create = nodeAs(statement, 'CreateFunctionStmt');
      const name = stringValues(create?.funcname).join('.');
      return create?.is_procedure
        ? [{ ruleId: 'no-procedure', message: `CREATE PROCEDURE ${name}: no stored procedures.` }]
        : [{ ruleId: 'no-function', message: `CREATE FUNCTION ${name}: no stored functions.` }];
    }
    case 'CreateTrigStmt': {
      const trigger = nodeAs(statement, 'CreateTrigStmt');
      const kind = trigger?.isconstraint ? 'CONSTRAINT TRIGGER' : 'TRIGGER';
      return [
        {
          ruleId: 'no-trigger',
          message: `CREATE ${kind} ${trigger?.trigname ?? ''} on ${relationName(trigger?.relation)}: no triggers.`,
        },
      ];
    }
    case 'CreateEventTrigStmt': {
      const trigger = nodeAs(statement, 'CreateEventTrigStmt');
      return [
        {
          ruleId: 'no-trigger',
          message: `CREATE EVENT TRIGGER ${trigger?.trigname ?? ''}: no triggers.`,
        },
      ];
    }
    case 'RuleStmt': {
      const rule = nodeAs(statement, 'RuleStmt');
      return [
        {
          ruleId: 'no-rule',
          message: `CREATE RULE ${rule?.rulename ?? ''} on ${relationName(rule?.relation)}: no rewrite rules.`,
        },
      ];
    }
    default:
      return [];
  }
}
