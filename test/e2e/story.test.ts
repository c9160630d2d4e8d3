import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {clusters} from '../cluster/fixture.js'
import {type Env, expectOk, svcgw, uniqueName} from '../cluster/gateway/harness.js'
import {IMAGES} from '../cluster/images.js'
import type {ClusterSet} from '../cluster/up.js'
import {apply, fetchFrom, kubectl, probePod, until, waitFor, webBackend} from '../cluster/workloads.js'
import {measured, type Probe, Prober, startedAfter, uptime} from './prober.js'

interface PodList {
  items: Array<{
    metadata: {name: string; namespace: string}
    spec: {containers: Array<{name: string; image: string}>}
    status: {phase: string; containerStatuses?: Array<{name: string; ready: boolean; restartCount: number}>}
  }>
}

/** Lines a healthy gateway never logs: OpenVPN's and HAProxy's words for a failure. */
const ERROR_LINE = /\bERROR\b|\[ALERT\]|AUTH_FAILED|TLS Error|VERIFY ERROR|Options error|Exiting due to fatal error/

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/**
 * The user's story on real pods: two clusters with a real node each, the
 * gateway image run by containerd, a consumer pod in the server's cluster
 * reaching provider Services by DNS name through the tunnel. Providers:
 * ctx-b (another cluster, reached through the server's NodePort) and a
 * second client in the server's own cluster (the chart's single-cluster
 * case). Every step runs over both tunnel transports. Latencies are
 * printed, not asserted: the machine is shared.
 */
for (const proto of ['tcp', 'udp'] as const) {

  describe(`the whole story on real pods over ${proto.toUpperCase()} (e2e)`, function () {
    this.timeout(300_000)
    let set: ClusterSet
    let env: Env
    const gw = uniqueName(`e2e-${proto}`)
    const remoteNs = uniqueName('e2e-cb')
    const localNs = uniqueName('e2e-cl')
    const app = uniqueName('e2e-app')
    const consumer = uniqueName('e2e-use')
    const home = () => ['--context', 'ctx-a', '-n', gw]
    const url = (service: string, port = 80) => `http://${service}.${gw}.svc.cluster.local:${port}/`
    const get = (service: string, port?: number) => fetchFrom(set, 'ctx-a', consumer, 'probe', url(service, port))
    const pods = (ctx: string, ns: string) => JSON.parse(kubectl(set, ctx, ['get', 'pods', '-n', ns, '-o', 'json'])) as PodList
    const prober = (name = 'nginx') => new Prober(set, 'ctx-a', consumer, 'probe', url(name), `probe-${name}`)
    /** What a failed request met: the requests around it, and the server proxy's sessions that did not end normally. */
    const rotationTrail = (probes: Probe[], failed: Probe[], from: number): string => {
      const near = probes.filter((p) => failed.some((f) => Math.abs(p.at - f.at) < 1.5)).map((p) => `${(p.at - from).toFixed(2)} s ${p.ok ? 'ok' : 'FAILED'} ${p.body ?? ''}`)
      const server = pods('ctx-a', gw).items.map((p) => p.metadata.name)
      const logs = server.flatMap((pod) => kubectl(set, 'ctx-a', ['logs', '-n', gw, pod, '-c', 'proxy', '--timestamps', '--since=60s']).split('\n'))
      const abnormal = logs.filter((l) => /\bbe-nginx\b|svcgw:|\[WARNING\]|is DOWN|is UP/.test(l) && !/ -- \d/.test(l))
      const client = pods('ctx-b', remoteNs).items.flatMap((pod) => kubectl(set, 'ctx-b', ['logs', '-n', remoteNs, pod.metadata.name, '-c', 'proxy', '--timestamps', '--since=60s']).split('\n'))
      abnormal.push('      client ctx-b proxy:', ...client.filter((l) => !/ -- \d/.test(l)).slice(-20))
      return [`      requests around the failure (s after the rotation began):`, ...near, `      server proxy, the last 60 s, sessions not ended normally and state changes:`, ...abnormal.slice(-40)].join('\n      ')
    }
    const answersFrom = async (n: number, service = 'nginx') => {
      const seen = new Set<string>()
      for (let i = 0; i < n; i++) seen.add((await get(service)).trim().split(' pod ')[0])
      return seen
    }

    before(async function () {
      const started = await clusters()
      if (!started) this.skip()
      set = started
      env = {kubeconfig: set.kubeconfig}
      for (const [ctx, letter] of [['ctx-a', 'a'], ['ctx-b', 'b']] as const) {
        kubectl(set, ctx, ['create', 'namespace', app])
        apply(set, ctx, app, [...webBackend('nginx', letter), ...webBackend('web2', `${letter}-web2`)])
      }
      kubectl(set, 'ctx-a', ['create', 'namespace', consumer])
      apply(set, 'ctx-a', consumer, [probePod('probe')])
      for (const ctx of ['ctx-a', 'ctx-b']) for (const d of ['nginx', 'web2']) waitFor(set, ctx, app, `deployment/${d}`, 120)
      waitFor(set, 'ctx-a', consumer, 'pod/probe', 120)
    })

    after(() => {
      if (!set) return
      for (const [ctx, ns] of [['ctx-a', app], ['ctx-b', app], ['ctx-a', consumer], ['ctx-a', gw], ['ctx-b', remoteNs], ['ctx-a', localNs]]) {
        try {
          kubectl(set, ctx, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found'])
        } catch {}
      }
    })

    afterEach(function () {
      if (this.currentTest?.state !== 'failed' || !set) return
      for (const [ctx, ns] of [['ctx-a', gw], ['ctx-b', remoteNs], ['ctx-a', localNs]]) {
        try {
          process.stderr.write(`--- ${ctx}/${ns}\n${kubectl(set, ctx, ['get', 'pods', '-n', ns])}`)
          for (const c of ['openvpn', 'proxy']) process.stderr.write(kubectl(set, ctx, ['logs', '-n', ns, '-l', 'app.kubernetes.io/name=svcgw', '-c', c, '--tail', '6']))
        } catch {}
      }
    })

    it('server install --wait runs our image on the real node', async () => {
      const started = Date.now()
      expectOk(await svcgw(env, ['server', 'install', ...home(), '--service-type', 'NodePort', '--proto', proto]), 'server install')
      measured(`${proto}: server install --wait ${seconds(Date.now() - started)}`)
      const [pod] = pods('ctx-a', gw).items
      assert.equal(pod.status.phase, 'Running')
      assert.deepEqual(pod.spec.containers.map((c) => c.image), [IMAGES.gateway, IMAGES.gateway], 'the default image, for both containers')
      assert.ok(pod.status.containerStatuses?.every((c) => c.ready))
    })

    it('client install --wait, to another cluster and to another namespace of the server\'s own: each connected, no AUTH_FAILED restart', async () => {
      for (const args of [['--to', 'ctx-b', '--client-namespace', remoteNs], ['--to', 'ctx-a', '--name', 'local', '--client-namespace', localNs]]) {
        const started = Date.now()
        expectOk(await svcgw(env, ['client', 'install', ...home(), ...args]), `client install ${args.join(' ')}`)
        measured(`${proto}: client install --wait (${args[1]}) ${seconds(Date.now() - started)}`)
      }
      for (const [ctx, ns] of [['ctx-b', remoteNs], ['ctx-a', localNs]]) {
        const [pod] = pods(ctx, ns).items
        assert.ok(pod.status.containerStatuses?.every((c) => c.ready), `client in ${ctx} is Ready (connected)`)
        assert.deepEqual(pod.status.containerStatuses?.map((c) => c.restartCount), [0, 0], `no restart in ${ctx}`)
        assert.doesNotMatch(kubectl(set, ctx, ['logs', '-n', ns, pod.metadata.name, '-c', 'openvpn']), /AUTH_FAILED/)
      }
    })

    it('expose: a consumer pod reaches the service by its DNS name, answered by both providers', async () => {
      const started = Date.now()
      expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', app, ...home()]), 'expose')
      const returned = Date.now()
      await until('the first answer through the gateway', () => get('nginx').catch(() => undefined), 60_000)
      measured(`${proto}: expose → first answer ${seconds(Date.now() - started)} (the command returned after ${seconds(returned - started)}, with the change live)`)
      const seen = await until('answers from both providers', async () => {
        const s = await answersFrom(10)
        return s.size === 2 ? s : undefined
      }, 30_000)
      assert.deepEqual([...seen].sort(), ['cluster a', 'cluster b'])
    })

    it('a retargeted service and an unexpose are live when the command returns', async () => {
      expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', app, '--as', 'moving', ...home()]), 'expose moving')
      await until('moving answers', () => get('moving').catch(() => undefined), 60_000)
      const retargeted = Date.now()
      expectOk(await svcgw(env, ['expose', 'web2', '--port', '80', '--service-namespace', app, '--as', 'moving', '--overwrite', ...home()]), 'expose --overwrite')
      const seen = await until('moving answered by web2 only', async () => {
        const s = await answersFrom(6, 'moving')
        return [...s].every((a) => a.endsWith('-web2')) ? s : undefined
      }, 30_000)
      measured(`${proto}: a changed clientService live after ${seconds(Date.now() - retargeted)}`)
      assert.ok([...seen].every((a) => a.endsWith('-web2')))
      const unexposeAt = Date.now()
      expectOk(await svcgw(env, ['unexpose', 'moving', ...home()]), 'unexpose')
      measured(`${proto}: unexpose live after ${seconds(Date.now() - unexposeAt)} (confirmed by every proxy); the consumer Service is gone`)
      assert.equal(kubectl(set, 'ctx-a', ['get', 'service', 'moving', '-n', gw, '--ignore-not-found', '-o', 'name']), '')
    })

    it('status is HEALTHY with live data read through port-forward', async () => {
      const result = await until('status healthy', async () => {
        const r = await svcgw(env, ['status', ...home(), '-o', 'json'])
        return r.status === 0 ? r : undefined
      }, 60_000)
      const report = JSON.parse(result.stdout) as {verdict: string; clients: Array<{name: string; connected: boolean; since?: string; tunnelCheckMs?: number}>; services: Array<{name: string; up: number}>}
      assert.equal(report.verdict, 'healthy')
      assert.deepEqual(report.clients.map((c) => [c.name, c.connected]).sort(), [['ctx-b', true], ['local', true]])
      assert.ok(report.clients.every((c) => c.since && c.tunnelCheckMs !== undefined))
      assert.equal(report.services.find((s) => s.name === 'nginx')?.up, 2)
    })

    it('kubectl logs of the server and client pods show no error lines', async () => {
      for (const [ctx, ns] of [['ctx-a', gw], ['ctx-b', remoteNs]]) {
        for (const pod of pods(ctx, ns).items) {
          for (const container of ['openvpn', 'proxy']) {
            const errors = kubectl(set, ctx, ['logs', '-n', ns, pod.metadata.name, '-c', container]).split('\n').filter((l) => ERROR_LINE.test(l))
            assert.deepEqual(errors, [], `${ctx} ${pod.metadata.name}/${container}`)
          }
        }
      }
    })

    it('a provider\'s client scaled to 0: every request that starts 3 s later succeeds, and status names it DEGRADED', async () => {
      const probe = prober()
      await probe.start()
      await until('the prober running', async () => (await probe.read().catch(() => [])).length > 3, 10_000)
      const stoppedAt = uptime()
      kubectl(set, 'ctx-b', ['scale', 'deployment/svcgw-client', '-n', remoteNs, '--replicas', '0'])
      await new Promise((resolve) => setTimeout(resolve, 9000))
      const degraded = await svcgw(env, ['status', ...home(), '-o', 'json'])
      const probes = await probe.stop()
      const late = startedAfter(probes, stoppedAt + 3)
      const failures = probes.filter((p) => !p.ok && p.at >= stoppedAt)
      measured(`${proto}: client scaled to 0: ${failures.length} of ${startedAfter(probes, stoppedAt).length} requests failed, the last ${failures.length ? `${(failures.at(-1)!.at - stoppedAt).toFixed(1)} s` : 'none'} after the scale`)
      assert.ok(late.length >= 10, `only ${late.length} requests 3 s after the scale`)
      assert.deepEqual(late.filter((p) => !p.ok), [], 'every request 3 s after the scale succeeds')
      assert.ok(late.every((p) => p.body?.startsWith('cluster a')), 'served by the other provider')
      assert.equal(degraded.status, 8, degraded.stderr)
      const report = JSON.parse(degraded.stdout) as {verdict: string; message: string; clients: Array<{name: string; connected: boolean | null}>}
      assert.equal(report.verdict, 'degraded')
      assert.match(report.message, /not connected: ctx-b/)
      kubectl(set, 'ctx-b', ['scale', 'deployment/svcgw-client', '-n', remoteNs, '--replicas', '1'])
      waitFor(set, 'ctx-b', remoteNs, 'deployment/svcgw-client', 120)
    })

    it('certs rotate --to under traffic: no request fails', async () => {
      const probe = prober()
      await probe.start()
      await until('the prober running', async () => (await probe.read().catch(() => [])).length > 3, 10_000)
      const started = Date.now()
      const from = uptime()
      expectOk(await svcgw(env, ['certs', 'rotate', '--to', 'ctx-b', ...home()]), 'certs rotate')
      measured(`${proto}: certs rotate --to (new certificate, client reconnected, old one revoked) ${seconds(Date.now() - started)}`)
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const probes = startedAfter(await probe.stop(), from)
      assert.ok(probes.length >= 10)
      const failed = probes.filter((p: Probe) => !p.ok)
      if (failed.length > 0) process.stderr.write(`${rotationTrail(probes, failed, from)}\n`)
      assert.deepEqual(failed, [], 'no request failed during the rotation')
    })


    it('the server pod deleted: traffic comes back by itself', async () => {
      const probe = prober()
      await probe.start()
      await until('the prober running', async () => (await probe.read().catch(() => [])).length > 3, 10_000)
      const deletedAt = uptime()
      kubectl(set, 'ctx-a', ['delete', 'pod', '-n', gw, '-l', 'app.kubernetes.io/component=server', '--wait=false'])
      const probes = await until('traffic back after the server restart', async () => {
        const p = startedAfter(await probe.read(), deletedAt)
        const failedAt = p.findIndex((x) => !x.ok)
        return failedAt >= 0 && p.slice(failedAt).some((x) => x.ok) && p.at(-1)?.ok ? p : undefined
      }, 120_000)
      await probe.stop()
      const back = probes.find((p, i) => p.ok && i > probes.findIndex((x) => !x.ok))!
      measured(`${proto}: server pod deleted → traffic back after ${(back.at - deletedAt).toFixed(1)} s`)
    })

    it('certs revoke cuts the client at once; the other serves alone', async () => {
      const started = Date.now()
      expectOk(await svcgw(env, ['certs', 'revoke', '--client', 'local', '--yes', ...home()]), 'certs revoke')
      measured(`${proto}: certs revoke (revocation live in the pod, session cut) ${seconds(Date.now() - started)}`)
      await until('the revoked client unready', async () => !pods('ctx-a', localNs).items[0].status.containerStatuses?.find((c) => c.name === 'openvpn')?.ready, 60_000)
      measured(`${proto}: revoked client not Ready ${seconds(Date.now() - started)} after the revoke began`)
      assert.deepEqual([...(await answersFrom(6))], ['cluster b'])
    })

    it('expose -f takes the original chart\'s values.yaml', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'svcgw-values-')), 'values.yaml')
      writeFileSync(file, `image: {repository: x}\nservices:\n  - name: chart-web\n    port: 8081\n    internalPort: 21000\n    clientService:\n      name: web2\n      namespace: ${app}\n      port: 80\n`)
      expectOk(await svcgw(env, ['expose', '-f', file, ...home()]), 'expose -f')
      assert.match(await get('chart-web', 8081), /-web2 pod/)
    })

    it('uninstall leaves nothing', async () => {
      expectOk(await svcgw(env, ['client', 'uninstall', '--to', 'ctx-b', '--yes', ...home()]), 'client uninstall ctx-b')
      expectOk(await svcgw(env, ['client', 'uninstall', '--to', 'ctx-a', '--name', 'local', '--yes', ...home()]), 'client uninstall local')
      expectOk(await svcgw(env, ['server', 'uninstall', '--yes', ...home()]), 'server uninstall')
      for (const [ctx, ns] of [['ctx-a', gw], ['ctx-b', remoteNs], ['ctx-a', localNs]]) {
        await until(`namespace ${ns} gone from ${ctx}`, async () => kubectl(set, ctx, ['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']).trim() === '', 120_000)
      }
      for (const ctx of ['ctx-a', 'ctx-b']) {
        assert.equal(kubectl(set, ctx, ['get', 'all,configmaps,secrets,serviceaccounts', '-A', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw', '-o', 'name']).trim(), '', `left in ${ctx}`)
      }
    })
  })
}
