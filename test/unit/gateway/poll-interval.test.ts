import {strict as assert} from 'node:assert'

import {pollInterval} from '../../../src/gateway/live.js'

describe('how often a command looks into the pods it waits for', () => {
  it('every 250 ms up to twenty pods, less often with more, so the looks per second stay about the same', () => {
    assert.deepEqual([1, 5, 20, 21, 40, 200].map(pollInterval), [250, 250, 250, 500, 500, 2500])
  })
})
