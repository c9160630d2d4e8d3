import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {clusters} from '../cluster/fixture.js'
import {type Env, expectOk, svcgw, uniqueName} from '../cluster/gateway/harness.js'
import type {ClusterSet} from '../cluster/up.js'
import {apply, kubectl, probePod, waitFor, webBackend} from '../cluster/workloads.js'
import {makeChartStandIn} from './chart-stand-in.js'
import {measured, type Probe, Prober, uptime} from './prober.js'

/**
 * The take-over of a running chart install on real pods, under a request
 * loop that never stops. The chart's own images are not available here,
 * so the "chart" is made from a gateway the plugin installs and then
 * reshapes as the chart has it (test/e2e/chart-stand-in.ts): Deployments
 * service-gw-server (namespace server) and service-gw-client (namespace
 * client) without tls-crypt, its tunnel Service, consumer Services of the
 * exposed names selecting the chart's server pod (field manager "helm"),
 * and only the chart's Secrets; no registry, no CA key.
 *
 * What the stand-in cannot prove: that the chart's own images and config
 * (its OpenVPN options, ciphers, HAProxy config, labels, Service ports) are
 * as the stand-in's, which runs the plugin's image and scripts, nor that
 * its server certificate's CN is the plugin's (the stand-in's is
 * svcgw-server; another CN is covered by the unit tests of serverName).
 */
describe('adopt and take over a running chart install (e2e, a stand-in for the chart)', function () {
  this.timeout(600_000)
  let set: ClusterSet
  let env: Env
  let prober: Prober
  let began = 0
  const marks: Array<[string, number]> = []
  const app = uniqueName('adopt-app')
  const consumer = uniqueName('adopt-use')
  const values = join(mkdtempSync(join(tmpdir(), 'svcgw-adopt-live-')), 'server-values.yaml')
  const url = 'http://nginx.server.svc.cluster.local:80/'
  const selectorOf = (name: string) => JSON.parse(kubectl(set, 'ctx-a', ['-n', 'server', 'get', 'service', name, '-o', 'jsonpath={.spec.selector}'])) as Record<string, string>
  const replicas = (ctx: string, ns: string, name: string) => kubectl(set, ctx, ['-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}'])
  const step = async (what: string, args: string[]) => {
    marks.push([what, uptime()])
    return expectOk(await svcgw(env, args), what)
  }

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
    expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', 'server', '--service-type', 'NodePort']), 'server install (to make the stand-in chart)')
    expectOk(await svcgw(env, ['client', 'install', '--context', 'ctx-a', '-n', 'server', '--to', 'ctx-b', '--name', 'provider-b', '--client-namespace', 'client']), 'client install (stand-in chart)')
    expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', app, '--context', 'ctx-a', '-n', 'server']), 'expose (stand-in chart)')
    const cm = JSON.parse(kubectl(set, 'ctx-a', ['-n', 'server', 'get', 'configmap', 'svcgw-registry', '-o', 'json'])) as {data: Record<string, string>}
    writeFileSync(values, yaml.dump({services: (JSON.parse(cm.data['registry.json']) as {services: object[]}).services}))
    makeChartStandIn(set, ['nginx'])
    assert.deepEqual(selectorOf('nginx'), {app: 'service-gw-server'})
    prober = new Prober(set, 'ctx-a', consumer, 'probe', url, 'probe-takeover')
    await prober.start()
    await new Promise((r) => setTimeout(r, 3000))
    began = uptime()
  })

  after(() => {
    if (!set) return
    for (const [ctx, ns] of [['ctx-b', app], ['ctx-a', consumer], ['ctx-a', 'server'], ['ctx-b', 'client']]) {
      try {
        kubectl(set, ctx, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found'])
      } catch {}
    }
  })

  it('adopt records the chart\'s state and a pending take-over; the chart keeps serving', async () => {
    const result = await step('adopt', ['adopt', '--context', 'ctx-a', '--to', 'ctx-b', '-f', values, '-o', 'json'])
    const out = JSON.parse(result.stdout) as {clients: Array<{name: string}>; canIssue: boolean; takeover: string[]}
    assert.deepEqual(out.clients.map((c) => c.name), ['provider-b'])
    assert.equal(out.canIssue, false)
    assert.deepEqual(out.takeover, ['deployment service-gw-server (namespace server)', 'deployment service-gw-client (namespace client of ctx-b)'])
    assert.equal(kubectl(set, 'ctx-a', ['-n', 'server', 'get', 'secret', 'service-gw-tls-crypt', '-o', 'name']).trim(), 'secret/service-gw-tls-crypt')
  })

  it('server install puts the plugin\'s server beside the chart\'s and leaves the consumer Services to the chart\'s', async () => {
    const result = await step('server install', ['server', 'install', '--context', 'ctx-a', '-n', 'server', '--service-type', 'NodePort'])
    assert.match(result.stderr, /take-over of the chart pending: its consumer Services keep routing to its server/)
    assert.deepEqual(selectorOf('nginx'), {app: 'service-gw-server'})
    assert.equal(replicas('ctx-a', 'server', 'service-gw-server'), '1')
  })

  it('client install puts the plugin\'s client beside the chart\'s, with the certificate the provider holds', async () => {
    const serial = kubectl(set, 'ctx-b', ['-n', 'client', 'get', 'secret', 'service-gw-client-certificates', '-o', 'jsonpath={.data.tls\\.crt}'])
    const result = await step('client install', ['client', 'install', '--context', 'ctx-a', '-n', 'server', '--to', 'ctx-b', '-o', 'json'])
    const out = JSON.parse(result.stdout) as {clients: Array<{name: string; namespace: string; newCertificate: boolean}>}
    assert.deepEqual(out.clients.map((c) => [c.name, c.namespace, c.newCertificate]), [['provider-b', 'client', false]])
    assert.equal(kubectl(set, 'ctx-b', ['-n', 'client', 'get', 'secret', 'service-gw-client-certificates', '-o', 'jsonpath={.data.tls\\.crt}']), serial)
    assert.equal(kubectl(set, 'ctx-b', ['-n', 'client', 'get', 'deployment', '-o', 'jsonpath={.items[*].metadata.name}']), 'service-gw-client svcgw-client')
  })

  it('adopt --finish --dry-run changes nothing', async () => {
    const result = await step('adopt --finish --dry-run', ['adopt', '--finish', '--context', 'ctx-a', '--dry-run'])
    assert.match(result.stderr, /nothing was changed/)
    assert.deepEqual(selectorOf('nginx'), {app: 'service-gw-server'})
    assert.equal(replicas('ctx-a', 'server', 'service-gw-server'), '1')
    assert.equal(replicas('ctx-b', 'client', 'service-gw-client'), '1')
  })

  it('adopt --finish switches the consumer Services and scales the chart\'s Deployments to 0; no request fails, and the plugin\'s pods serve', async () => {
    const result = await step('adopt --finish', ['adopt', '--finish', '--context', 'ctx-a', '-o', 'json'])
    const out = JSON.parse(result.stdout) as {switched: string[]; scaled: string[]; remaining: string[]}
    assert.deepEqual(out.switched, ['nginx'])
    assert.equal(out.scaled.length, 2)
    assert.ok(out.remaining.some((r) => r.includes('owner=helm,name=RELEASE')))
    assert.equal(replicas('ctx-a', 'server', 'service-gw-server'), '0')
    assert.equal(replicas('ctx-b', 'client', 'service-gw-client'), '0')
    const plugin = JSON.parse(kubectl(set, 'ctx-a', ['-n', 'server', 'get', 'deployment', 'svcgw-server', '-o', 'jsonpath={.spec.selector.matchLabels}'])) as Record<string, string>
    assert.deepEqual(selectorOf('nginx'), plugin)
    // Only the plugin's pods are left to serve: the chart's are gone.
    kubectl(set, 'ctx-a', ['-n', 'server', 'wait', '--for=delete', 'pod', '-l', 'app=service-gw-server', '--timeout=60s'])
    kubectl(set, 'ctx-b', ['-n', 'client', 'wait', '--for=delete', 'pod', '-l', 'app=service-gw-client', '--timeout=60s'])
    const gone = uptime()
    await new Promise((r) => setTimeout(r, 5000))
    const probes: Probe[] = await prober.stop()
    const during = probes.filter((p) => p.at >= began - 3)
    const failed = during.filter((p) => !p.ok)
    const answered = during.filter((p) => p.ok).sort((x, y) => (x.seconds ?? 0) - (y.seconds ?? 0))
    const slowest = answered.at(-1)
    const median = answered[Math.floor(answered.length / 2)]?.seconds ?? 0
    const phases = marks.map(([what, at]) => `${what} at +${(at - began).toFixed(1)} s`).join(', ')
    measured(
      `take-over under load: ${during.length} requests over ${(uptime() - began).toFixed(0)} s (${phases}; chart's pods gone at +${(gone - began).toFixed(1)} s), ${failed.length} failed, ` +
        `median ${median.toFixed(2)} s, slowest ${(slowest?.seconds ?? 0).toFixed(2)} s (started at +${((slowest?.at ?? began) - began).toFixed(1)} s)`,
    )
    assert.ok(during.length >= 50, `requests made: ${during.length}`)
    assert.deepEqual(failed.map((p) => (p.at - began).toFixed(2)), [], 'failed requests (s after the take-over began)')
    assert.ok(during.every((p) => p.body?.includes('cluster b')))
    const after = probes.filter((p) => p.at >= gone)
    assert.ok(after.length >= 10 && after.every((p) => p.ok), `requests after the chart's pods were gone: ${after.length}, failed ${after.filter((p) => !p.ok).length}`)
  })
})
