import { describe, expect, test } from 'vitest';
import { contractsBlockedByDesign } from './contracts-blocked-by-design.js';
import { parseSchemaDesign } from './schema-design.js';

const DESIGN = parseSchemaDesign(`## Migration plan
1. \`001_billing_expand_add_currency.sql\`
2. \`002_billing_validate_currency_not_null.sql\`
3. [CODE DEPLOY]
4. \`003_billing_contract_drop_currency_code.sql\`
5. \`004_billing_expand_add_rate.sql\`
6. [CODE DEPLOY: v2.5.0]
7. \`005_billing_contract_drop_legacy_rate.sql\`
`);

const applied = (...names: string[]) => names.map((name, index) => ({ id: index + 1, name }));

describe('contractsBlockedByDesign', () => {
  test('before anything ran, every contract after a gate is blocked by the first gate', () => {
    const blocked = contractsBlockedByDesign(DESIGN, [], []);
    expect(blocked.map((b) => [b.name, b.gate.line])).toEqual([
      ['003_billing_contract_drop_currency_code', 4],
      ['005_billing_contract_drop_legacy_rate', 4],
    ]);
    expect(blocked[0]?.reason).toBe(
      'the [CODE DEPLOY] gate on line 4 of the design is not passed: 001_billing_expand_add_currency, 002_billing_validate_currency_not_null must be applied and deployed first.',
    );
  });

  test('migrations applied but no deploy recorded after them: still blocked, and the reason says to mark the deploy', () => {
    const history = applied('001_billing_expand_add_currency', '002_billing_validate_currency_not_null');
    const earlyDeploy = [{ release: 'v2.3.0', historyHighWater: 1 }];
    const blocked = contractsBlockedByDesign(DESIGN, earlyDeploy, history);
    expect(blocked.map((b) => b.name)).toEqual([
      '003_billing_contract_drop_currency_code',
      '005_billing_contract_drop_legacy_rate',
    ]);
    expect(blocked[0]?.reason).toContain(
      'no deploy of a release has been recorded since the migrations before it were applied',
    );
    expect(blocked[0]?.reason).toContain('deploy mark <release>');
  });

  test('a deploy recorded after the pre-gate migrations passes the gate; the next gate still holds its contract', () => {
    const history = applied('001_billing_expand_add_currency', '002_billing_validate_currency_not_null');
    const deploys = [{ release: 'v2.4.0', historyHighWater: 2 }];
    const blocked = contractsBlockedByDesign(DESIGN, deploys, history);
    expect(blocked.map((b) => [b.name, b.gate.line, b.gate.release])).toEqual([
      ['005_billing_contract_drop_legacy_rate', 7, 'v2.5.0'],
    ]);
  });

  test('a gate naming a release is passed only by a deploy of that release', () => {
    const history = applied(
      '001_billing_expand_add_currency',
      '002_billing_validate_currency_not_null',
      '003_billing_contract_drop_currency_code',
      '004_billing_expand_add_rate',
    );
    const otherRelease = [{ release: 'v2.4.1', historyHighWater: 4 }];
    expect(contractsBlockedByDesign(DESIGN, otherRelease, history).map((b) => b.reason)).toEqual([
      expect.stringContaining('no deploy of release v2.5.0 has been recorded'),
    ]);
    const named = [...otherRelease, { release: 'v2.5.0', historyHighWater: 4 }];
    expect(contractsBlockedByDesign(DESIGN, named, history)).toEqual([]);
  });

  test('history names with an extension match too', () => {
    const history = applied(
      '001_billing_expand_add_currency.sql',
      '002_billing_validate_currency_not_null.sql',
    );
    const blocked = contractsBlockedByDesign(DESIGN, [{ release: 'v2.4.0', historyHighWater: 2 }], history);
    expect(blocked.map((b) => b.name)).toEqual(['005_billing_contract_drop_legacy_rate']);
  });
});
