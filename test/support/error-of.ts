import {strict as assert} from 'node:assert'

import {SvcgwError} from '../../src/errors.js'

/** The SvcgwError a call throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): SvcgwError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof SvcgwError, `expected SvcgwError, got ${error}`)
    return error
  }
  assert.fail('expected an error')
}
