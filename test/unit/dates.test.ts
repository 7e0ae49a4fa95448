import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daysInMonth, isLeapYear, isoToWireDate, wireDateToIso } from '../../src/domain/dates.ts';

describe('wire dates (DD/MM/YYYY)', () => {
  it('reads day first', () => {
    assert.equal(wireDateToIso('07/04/2025'), '2025-04-07');
    assert.equal(wireDateToIso('31/12/1999'), '1999-12-31');
    assert.equal(wireDateToIso('01/01/0001'), '0001-01-01');
  });

  it('rejects impossible days and months', () => {
    for (const text of ['31/04/2025', '32/01/2025', '00/01/2025', '15/13/2025', '15/00/2025', '29/02/2025', '01/01/0000']) {
      assert.equal(wireDateToIso(text), null, text);
    }
  });

  it('knows leap years (every 4th, not every 100th, but every 400th)', () => {
    assert.equal(wireDateToIso('29/02/2024'), '2024-02-29');
    assert.equal(wireDateToIso('29/02/2000'), '2000-02-29');
    assert.equal(wireDateToIso('29/02/1900'), null);
    assert.equal(wireDateToIso('29/02/2100'), null);
    assert.deepEqual([1900, 2000, 2023, 2024].map(isLeapYear), [false, true, false, true]);
    assert.deepEqual([1, 2, 4, 12].map((m) => daysInMonth(2024, m)), [31, 29, 30, 31]);
  });

  it('rejects anything but DD/MM/YYYY', () => {
    for (const text of ['2025-04-07', '7/4/2025', '07/04/25', '07-04-2025', ' 07/04/2025', '07/04/2025 ', '', 'O7/04/2025', '07/04/２０２５']) {
      assert.equal(wireDateToIso(text), null, JSON.stringify(text));
    }
  });

  it('writes ISO back as DD/MM/YYYY', () => {
    assert.equal(isoToWireDate('2025-04-07'), '07/04/2025');
  });
});
