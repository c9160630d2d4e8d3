import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {clusters} from '../cluster/fixture.js'
import {type Env, expectOk, svcgw, uniqueName} from '../cluster/gateway/harness.js'
import type {ClusterSet} from '../cluster/up.js'
import {apply, kubectl, probePod, waitFor, webBackend} from '../cluster/workloads.js'
import {Prober, uptime} from './prober.js'

/**
 * adopt under a live tunnel, on real pods. The chart's own images are not
 * available here, so the "chart" is a gateway run by the plugin's image in
 * the chart's namespaces (`server`, `client`) with the chart's Secret names
 * and keys, from which the state the chart never had is removed: the
 * registry and the CA key (a manual-mode chart keeps no CA key in the
 * cluster). A consumer's request loop runs through the tunnel while adopt
 * runs; no request may fail. What this does not prove: the take-over of
 * the chart's own workloads (not implemented; see docs/migration.md).
 */
describe('adopt under a live tunnel (e2e, the plugin\'s image standing in for the chart\'s)', function () {
  this.timeout(300_000)
  let set: ClusterSet
  let env: Env
  const app = uniqueName('adopt-app')
  const consumer = uniqueName('adopt-use')
  const values = join(mkdtempSync(join(tmpdir(), 'svcgw-adopt-live-')), 'server-values.yaml')
  const url = 'http://nginx.server.svc.cluster.local:80/'

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    set = started
    env = {kubeconfig: set.kubeconfig}
    kubectl(set, 'ctx-b', ['create', 'namespace', app])
    apply(set, 'ctx-b', app, webBackend('nginx', 'b'))
    kubectl(set, 'ctx-a', ['create', 'namespace', consumer])
    apply(set, 'ctx-a', consumer, [probePod('probe')])
    waitFor(set, 'ctx-b', app, 'deployment/nginx', 120)
    waitFor(set, 'ctx-a', consumer, 'pod/probe', 120)
    // The stand-in chart: a gateway in namespaces server and client, certificates in the chart's Secrets.
    expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', 'server', '--service-type', 'NodePort']), 'server install (stand-in chart)')
    expectOk(await svcgw(env, ['client', 'install', '--context', 'ctx-a', '-n', 'server', '--to', 'ctx-b', '--name', 'provider-b', '--client-namespace', 'client']), 'client install (stand-in chart)')
    expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', app, '--context', 'ctx-a', '-n', 'server']), 'expose (stand-in chart)')
    const cm = JSON.parse(kubectl(set, 'ctx-a', ['-n', 'server', 'get', 'configmap', 'svcgw-registry', '-o', 'json'])) as {data: Record<string, string>}
    const registry = JSON.parse(cm.data['registry.json']) as {services: object[]}
    writeFileSync(values, yaml.dump({services: registry.services}))
    // What a manual-mode chart does not have: our registry, and the CA key in the cluster.
    kubectl(set, 'ctx-a', ['-n', 'server', 'delete', 'configmap', 'svcgw-registry'])
    kubectl(set, 'ctx-a', ['-n', 'server', 'delete', 'secret', 'service-gw-ca'])
  })

  after(() => {
    if (!set) return
    for (const [ctx, ns] of [['ctx-b', app], ['ctx-a', consumer], ['ctx-a', 'server'], ['ctx-b', 'client']]) {
      try {
        kubectl(set, ctx, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found'])
      } catch {}
    }
  })

  it('no request fails while adopt reads, checks and records the running gateway', async () => {
    const prober = new Prober(set, 'ctx-a', consumer, 'probe', url, 'probe-adopt')
    await prober.start()
    await new Promise((r) => setTimeout(r, 3000))
    const began = uptime()
    const result = expectOk(await svcgw(env, ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '-f', values, '-o', 'json']), 'adopt')
    await new Promise((r) => setTimeout(r, 3000))
    const probes = await prober.stop()
    const out = JSON.parse(result.stdout) as {clients: Array<{name: string}>; canIssue: boolean}
    assert.deepEqual(out.clients.map((c) => c.name), ['provider-b'])
    assert.equal(out.canIssue, false)
    const during = probes.filter((p) => p.at >= began - 3)
    assert.ok(during.length >= 10, `requests made: ${during.length}`)
    assert.deepEqual(during.filter((p) => !p.ok).map((p) => (p.at - began).toFixed(2)), [], 'failed requests (s after adopt began)')
    assert.ok(during.every((p) => p.body?.includes('cluster b')))
  })

  it('server install on the adopted state (here the workloads are already the plugin\'s) converges with no failed request', async () => {
    const prober = new Prober(set, 'ctx-a', consumer, 'probe', url, 'probe-install')
    await prober.start()
    await new Promise((r) => setTimeout(r, 3000))
    const began = uptime()
    expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', 'server']), 'server install after adopt')
    await new Promise((r) => setTimeout(r, 3000))
    const probes = await prober.stop()
    const during = probes.filter((p) => p.at >= began - 3)
    assert.ok(during.length >= 10, `requests made: ${during.length}`)
    assert.deepEqual(during.filter((p) => !p.ok).map((p) => (p.at - began).toFixed(2)), [], 'failed requests (s after server install began)')
    // Still no CA key in the cluster: the adopted no-CA-key mode was kept.
    assert.equal(kubectl(set, 'ctx-a', ['-n', 'server', 'get', 'secret', 'service-gw-ca', '--ignore-not-found', '-o', 'name']), '')
  })
})
