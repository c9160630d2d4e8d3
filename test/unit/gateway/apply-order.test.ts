import {strict as assert} from 'node:assert'

import {applyAll} from '../../../src/gateway/apply.js'
import type {Cluster} from '../../../src/kube/cluster.js'
import type {KubeObject} from '../../../src/kube/object.js'
import {silentReporter} from '../../../src/ui/reporter.js'

const object = (kind: string, name: string): KubeObject => ({apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: {name, namespace: 'svcgw'}})

/**
 * Fake cluster: records when each apply starts and ends, the ServiceAccount's
 * being the slowest. It shows the order applyAll asks for, not that an
 * apiserver refuses the pod otherwise: the install suites on real clusters
 * (20 clients installed side by side in bench/scale) are where that showed.
 */
describe('applies side by side, workloads last (fake cluster recording the order)', () => {
  it('starts a Deployment only once its ServiceAccount, ConfigMaps and Secrets are applied', async () => {
    const events: string[] = []
    const cluster = {
      dryRun: false,
      context: 'ctx',
      read: async () => undefined,
      apply: async (o: KubeObject) => {
        events.push(`start ${o.kind}`)
        await new Promise((resolve) => setTimeout(resolve, o.kind === 'ServiceAccount' ? 30 : 1))
        events.push(`end ${o.kind}`)
      },
    } as unknown as Cluster
    const objects = [object('ServiceAccount', 'sa'), object('ConfigMap', 'cm'), object('Deployment', 'd'), object('Secret', 's')]
    const applied = {cluster, created: [] as KubeObject[]}
    await applyAll(cluster, objects, silentReporter, applied)
    const started = events.indexOf('start Deployment')
    for (const kind of ['ServiceAccount', 'ConfigMap', 'Secret']) assert.ok(events.indexOf(`end ${kind}`) < started, events.join(', '))
    // What a rollback removes comes back in apply order, so dependants go first when reversed.
    assert.deepEqual(
      applied.created.map((o) => o.kind),
      ['ServiceAccount', 'ConfigMap', 'Deployment', 'Secret'],
    )
  })
})
