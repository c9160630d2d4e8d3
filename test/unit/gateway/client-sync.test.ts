import {strict as assert} from 'node:assert'

import {syntheticRegistry} from '../../../bench/scale/render.js'
import type {Home} from '../../../src/gateway/home.js'
import type {Provider} from '../../../src/gateway/providers.js'
import {sharedLoad, syncClientConfigs} from '../../../src/gateway/sync.js'
import type {KubeObject} from '../../../src/kube/object.js'
import {defaultSettings} from '../../../src/registry/settings.js'
import type {Stored} from '../../../src/store/registry-store.js'
import {silentReporter} from '../../../src/ui/reporter.js'

/**
 * Fakes: a Home whose store counts its reads and a cluster per provider that
 * records applies. They show how many registry reads a sync costs, not that
 * the clusters take the configs: the operations and truthful cluster suites
 * check the configs on real apiservers and proxies.
 */
function fakes(providers: number, versions: Stored[]) {
  let reads = 0
  const home = {store: {load: async () => versions[Math.min(reads++, versions.length - 1)]}} as unknown as Home
  const applied: string[] = []
  const list: Provider[] = syntheticRegistry(1, providers).clients.map((c) => ({
    clientName: c.name,
    namespace: 'svcgw',
    cluster: {dryRun: false, context: `ctx-${c.name}`, apply: async (o: KubeObject) => void applied.push(`${c.name}/${o.metadata.name}`)} as unknown as Provider['cluster'],
  }))
  return {home, providers: list, applied, reads: () => reads}
}

const settings = {...defaultSettings({openvpn: 'img:1', haproxy: 'img:1'}), address: 'gw.example.com'}
const stored = (services: number, clients: number): Stored => ({registry: syntheticRegistry(services, clients), settings, resourceVersion: '1'})
const quiet = () => silentReporter

describe('client proxy configs pushed to many providers (fake home and clusters, counting calls)', () => {
  it('reads the registry once for 20 providers, not once per provider', async () => {
    const state = stored(10, 20)
    const f = fakes(20, [state])
    await syncClientConfigs(f.home, f.providers, state, quiet())
    assert.equal(f.reads(), 1)
    assert.equal(f.applied.length, 20)
  })

  it('applies no config that is the same as in the previous version, and every one that changed', async () => {
    const before = stored(10, 20)
    const same = fakes(20, [before])
    await syncClientConfigs(same.home, same.providers, before, quiet(), before)
    assert.deepEqual(same.applied, [])
    // Every synthetic service is served by every client: one more changes all 20 configs.
    const after = stored(11, 20)
    const changed = fakes(20, [after])
    await syncClientConfigs(changed.home, changed.providers, after, quiet(), before)
    assert.equal(changed.applied.length, 20)
  })

  it('renders and applies again when another command moved the registry meanwhile, still one read per round', async () => {
    const first = stored(10, 20)
    const moved = stored(12, 20)
    const f = fakes(20, [moved, moved])
    await syncClientConfigs(f.home, f.providers, first, quiet())
    assert.equal(f.reads(), 2)
  })
})

describe('one registry read shared by the clients being confirmed (fake home counting reads)', () => {
  it('answers the calls that come together with one read, and reads again once it is stale', async () => {
    const f = fakes(1, [stored(1, 1)])
    const load = sharedLoad(f.home, 50)
    await Promise.all(Array.from({length: 20}, load))
    assert.equal(f.reads(), 1)
    await new Promise((resolve) => setTimeout(resolve, 60))
    await load()
    assert.equal(f.reads(), 2)
  })

  it('does not keep a failed read', async () => {
    let calls = 0
    const home = {store: {load: async () => (calls++ === 0 ? Promise.reject(new Error('gone')) : stored(1, 1))}} as unknown as Home
    const load = sharedLoad(home, 10_000)
    await assert.rejects(load(), /gone/)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal((await load()).registry.services.length, 1)
  })
})
