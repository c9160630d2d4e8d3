import {strict as assert} from 'node:assert'
import {spawn, spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {issueClientCertificate, createCA} from '../../src/pki/certificates.js'
import {backendHealth, parseHaproxyStats} from '../../src/health/haproxy-stats.js'
import {missingPrerequisite, removeLeftovers} from './netns.js'
import {Rig, sleep, useBusybox} from './rig.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const WEB = 20_000
const API = 20_001

const reason = missingPrerequisite()
const report = (line: string) => process.stderr.write(`      measured: ${line}\n`)

/** Waits until `name` has been out for 3 s in a row: a refused client never gets back in. */
async function assertStaysOut(rig: Rig, name: string, what: string): Promise<void> {
  await rig.waitFor(`${name}'s old session to end`, () => !rig.connected().includes(name), 10_000)
  for (let i = 0; i < 6; i++) {
    await sleep(500)
    assert.ok(!rig.connected().includes(name), what)
  }
}

/** Sends `count` requests and tallies the answers (undefined = failed). */
async function tally(rig: Rig, port: number, count: number): Promise<Map<string | undefined, number>> {
  const answers = new Map<string | undefined, number>()
  for (let i = 0; i < count; i++) {
    const answer = await rig.request(port)
    answers.set(answer, (answers.get(answer) ?? 0) + 1)
  }
  return answers
}

for (const proto of ['tcp', 'udp'] as const) {
  describe(`data plane over ${proto.toUpperCase()} (real openvpn + haproxy in network namespaces)`, function () {
    this.timeout(90_000)
    let rig: Rig

    before(function () {
      if (reason) {
        process.stderr.write(`  data-plane suite skipped: ${reason}\n`)
        this.skip()
      }
      removeLeftovers()
      process.stderr.write(`  scripts run with ${useBusybox ? 'busybox sh and its applets, as in the Alpine images' : 'the system sh (install busybox to run them as the images do)'}\n`)
      rig = new Rig({
        proto,
        clients: ['c1', 'c2'],
        services: [
          {name: 'web', port: 80, internalPort: WEB, clientService: {name: 'web', namespace: 'default', port: 8080}},
          {name: 'api', port: 8080, internalPort: API, clientService: {name: 'api', namespace: 'default', port: 8080}, clients: ['c1']},
        ],
      })
      rig.startBackends()
      rig.startServer()
      rig.startClient('c1')
      rig.startClient('c2')
    })

    after(async () => {
      await rig?.teardown()
    })

    afterEach(function () {
      if (this.currentTest?.state === 'failed' && rig) process.stderr.write(`${rig.log.slice(-40).join('\n')}\n`)
    })

    it('carries consumer → server → tunnel → client → backend, for two services at once', async () => {
      await rig.waitConnected(['c1', 'c2'])
      await rig.waitFor('web answers', async () => (await rig.request(WEB)) !== undefined, 10_000)
      assert.match((await rig.request(WEB)) ?? '', /^backend-c[12]$/)
      assert.equal(await rig.request(API), 'backend-c1', 'api is served by c1 only')
      // The readiness probes the pods use report both ends ready.
      assert.ok(await rig.ready(rig.server, rig.serverRoot), 'server readiness probe')
      for (const c of rig.clients.values()) assert.ok(await rig.ready(c.host, c.root), `${c.name} readiness probe`)
    })

    it('spreads requests over both clients serving a service', async () => {
      await rig.waitFor('both backends up', async () => {
        const stats = backendHealth(parseHaproxyStats(await rig.execInServer(['sh', join(rig.serverRoot, 'scripts/haproxy-stats.sh')])))
        return stats.web?.c1 === 'UP' && stats.web?.c2 === 'UP'
      }, 10_000)
      const answers = await tally(rig, WEB, 10)
      assert.ok((answers.get('backend-c1') ?? 0) >= 3, `c1 got ${answers.get('backend-c1')}`)
      assert.ok((answers.get('backend-c2') ?? 0) >= 3, `c2 got ${answers.get('backend-c2')}`)
      assert.equal(answers.get(undefined), undefined, 'no request failed')
    })

    it("gives `status` the live view from HAProxy's stats alone: tunnels up, backend health, bytes per client", async () => {
      const {readServerHealth} = await import('../../src/gateway/server-health.js')
      // The stats page status reads through port-forward, read here inside the server's namespace.
      const read = () => readServerHealth(() => rig.execInServer(['sh', join(rig.serverRoot, 'scripts/haproxy-stats.sh')]))
      await rig.waitFor('both tunnels checked up', async () => {
        const h = await read()
        return h.tunnels.c1?.up === true && h.tunnels.c2?.up === true
      }, 10_000)
      const health = await read()
      assert.deepEqual(Object.keys(health.tunnels).sort(), ['c1', 'c2'])
      assert.ok(Object.values(health.tunnels).every((t) => t.bytesIn > 0 && t.bytesOut > 0), JSON.stringify(health.tunnels))
      assert.deepEqual(health.backends.web, {c1: 'UP', c2: 'UP'})
      assert.deepEqual(health.backends.api, {c1: 'UP'})
    })

    it('drops a stopped client: every request started 3 s after the stop succeeds; restarted, it takes traffic again', async () => {
      await rig.stopClient('c2')
      const stoppedAt = Date.now()
      const results: Array<{at: number; answer?: string}> = []
      while (Date.now() - stoppedAt < 6000) {
        const at = Date.now() - stoppedAt
        results.push({at, answer: await rig.request(WEB, 8)})
      }
      if (process.env.SVCGW_CAPTURE_FIXTURES) {
        writeFileSync(join(FIXTURES, `haproxy-stats-${proto}-c2-down.csv`), await rig.haproxyCommand('show stat'))
      }
      const late = results.filter((r) => r.at >= 3000)
      const lastFailure = results.filter((r) => r.answer === undefined).pop()?.at
      assert.ok(late.length >= 5, `only ${late.length} requests after 3 s`)
      assert.deepEqual(
        late.filter((r) => r.answer !== 'backend-c1'),
        [],
        `requests after 3 s failed or hit the stopped client (last failure at ${lastFailure} ms)`,
      )
      rig.startClient('c2')
      await rig.waitConnected(['c2'])
      await rig.waitFor('c2 takes traffic again', async () => (await tally(rig, WEB, 4)).has('backend-c2'), 10_000)
    })

    it('loses no request to a client that goes silent mid-traffic (its tunnel device down, as a pod gone before its tunnel is noticed): the ones that met it are served by the other client after the connect timeout', async () => {
      await rig.waitFor('both clients take traffic', async () => (await tally(rig, WEB, 4)).size === 2, 10_000)
      const c2 = rig.clients.get('c2')!
      const results: Array<{at: number; answer?: string}> = []
      const started = Date.now()
      let silenced = false
      while (Date.now() - started < 5000) {
        if (!silenced && Date.now() - started > 500) {
          spawnSync('ip', ['netns', 'exec', c2.host.ns, 'ip', 'link', 'set', 'tun0', 'down'])
          silenced = true
        }
        results.push({at: Date.now() - started, answer: await rig.request(WEB, 4)})
      }
      await rig.restartClient('c2')
      await rig.waitConnected(['c2'])
      const slow = results.filter((r) => r.answer === 'backend-c1').length
      report(`${proto}: ${results.length} requests while c2 went silent, ${slow} served by c1, failures: ${results.filter((r) => r.answer === undefined).length}`)
      assert.deepEqual(results.filter((r) => r.answer === undefined), [], `no request failed: ${rig.log.filter((l) => /fe-web|be-web\/c2/.test(l) && !/ -- \d/.test(l)).join('\n')}`)
      await rig.waitFor('c2 takes traffic again', async () => (await tally(rig, WEB, 4)).has('backend-c2'), 15_000)
    })

    it("takes out a client whose provider Service is down, within 3 s, and puts it back when it answers again", async () => {
      await rig.stopBackend('c2')
      const stoppedAt = Date.now()
      const results: Array<{at: number; answer?: string}> = []
      while (Date.now() - stoppedAt < 5000) results.push({at: Date.now() - stoppedAt, answer: await rig.request(WEB, 8)})
      const late = results.filter((r) => r.at >= 3000)
      assert.ok(late.length >= 5, `only ${late.length} requests after 3 s`)
      assert.deepEqual(late.filter((r) => r.answer !== 'backend-c1'), [], 'requests after 3 s failed or went to the client without a Service')
      const health = backendHealth(parseHaproxyStats(await rig.haproxyCommand('show stat')))
      assert.deepEqual(health.web, {c1: 'UP', c2: 'DOWN'}, 'the server sees c2 down for web')
      rig.startBackend('c2')
      await rig.waitFor('c2 takes traffic again', async () => (await tally(rig, WEB, 4)).has('backend-c2'), 10_000)
    })

    it('exposes a service while traffic flows: the open connection survives and the new service works', async () => {
      // An echo service is exposed first; a connection to it is held open across the next expose.
      rig.registry.services.push({name: 'echo', port: 9000, internalPort: 20_002, clientService: {name: 'echo', namespace: 'default', port: 9000}, clients: ['c1']})
      rig.writeConfigs()
      await rig.waitFor('echo exposed', async () => {
        const probe = await rig.execInServer(['sh', '-c', `echo ping | timeout 2 curl -s telnet://${rig.server.address}:20002 --max-time 1 || true`])
        return probe.includes('ping')
      }, 10_000)
      const held = spawn('ip', ['netns', 'exec', rig.consumer.ns, process.execPath, join(HERE, 'hold.mjs'), rig.server.address, '20002'], {stdio: ['pipe', 'pipe', 'inherit']})
      let out = ''
      held.stdout.on('data', (d: Buffer) => (out += d.toString()))
      held.stdin.write('before\n')
      await rig.waitFor('echo before the reload', () => out.includes('before'), 5000)
      // New connections to a service already exposed keep working through the reload, too.
      let reloading = true
      const during: Array<string | undefined> = []
      const traffic = (async () => {
        while (reloading) during.push(await rig.request(WEB))
      })()
      await sleep(300)
      rig.registry.services.push({name: 'late', port: 80, internalPort: 20_003, clientService: {name: 'late', namespace: 'default', port: 8080}})
      rig.writeConfigs()
      await rig.waitFor('the new service answers', async () => (await rig.request(20_003)) !== undefined, 10_000)
      await sleep(500)
      reloading = false
      await traffic
      assert.ok(during.length >= 5, `only ${during.length} requests during the reload`)
      assert.equal(during.filter((a) => a === undefined).length, 0, `requests failed during the reload (${during.length} sent)`)
      held.stdin.write('after\n')
      await rig.waitFor('echo after the reload, on the same connection', () => out.includes('after'), 5000)
      assert.ok(!out.includes('closed'), `the held connection closed: ${out}`)
      held.kill()
      assert.ok(rig.log.some((l) => l.includes('reloading haproxy')), 'the watcher reloaded haproxy')
    })

    it('cuts a revoked client that is connected, at its next renegotiation, and accepts its rotated certificate without a server restart', async () => {
      const serverPid = rig.serverOpenvpn!.pid
      const c2 = rig.registry.clients.find((c) => c.name === 'c2')!
      await rig.waitConnected(['c2'])
      rig.registry.revoked.push({serial: c2.serial, commonName: 'c2', revokedAt: new Date().toISOString()})
      rig.writeConfigs()
      // No restart of c2: the server re-verifies it at the next renegotiation (reneg-sec 4 here).
      const cut = await rig.waitFor('the connected revoked client to be cut', () => !rig.connected().includes('c2'), 12_000)
      await assertStaysOut(rig, 'c2', 'the revoked client is not connected')
      assert.ok(rig.log.some((l) => /CRL|revoked/i.test(l)), 'the server logged the revocation')
      const rotated = issueClientCertificate(rig.ca, {commonName: 'c2'})
      rig.installClientCertificate('c2', rotated)
      c2.serial = rotated.serial
      await rig.restartClient('c2')
      await rig.waitConnected(['c2'])
      assert.equal(rig.serverOpenvpn!.pid, serverPid, 'the server was not restarted')
      assert.ok(cut <= 12_000)
    })

    it('refuses a client with a certificate from another CA, and an expired one', async () => {
      const other = createCA({commonName: 'stranger'})
      rig.installClientCertificate('c2', issueClientCertificate(other, {commonName: 'c2'}))
      const before = rig.log.length
      await rig.restartClient('c2')
      await assertStaysOut(rig, 'c2', 'a certificate from another CA is refused')
      const day = 86_400_000
      const expired = issueClientCertificate(rig.ca, {commonName: 'c2', notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day)})
      rig.installClientCertificate('c2', expired)
      await rig.restartClient('c2')
      await assertStaysOut(rig, 'c2', 'an expired certificate is refused')
      assert.ok(rig.log.slice(before).some((l) => /verify error|certificate verify failed|expired/i.test(l)), 'a verification error was logged')
      const fresh = issueClientCertificate(rig.ca, {commonName: 'c2'})
      rig.installClientCertificate('c2', fresh)
      rig.registry.clients.find((c) => c.name === 'c2')!.serial = fresh.serial
      await rig.restartClient('c2')
      await rig.waitConnected(['c2'])
    })

    it('recovers from a server restart within 15 s', async () => {
      await rig.stopServer()
      rig.startServer()
      const started = Date.now()
      await rig.waitFor('traffic through both clients again', async () => {
        if (!(rig.connected().includes('c1') && rig.connected().includes('c2'))) return false
        return (await rig.request(WEB)) !== undefined && (await rig.request(API)) === 'backend-c1'
      }, 20_000)
      const took = Date.now() - started
      assert.ok(took <= 15_000, `took ${took} ms`)
      if (process.env.SVCGW_CAPTURE_FIXTURES) {
        await sleep(1500)
        writeFileSync(join(FIXTURES, `openvpn-status-${proto}.txt`), await rig.execInServer(['cat', join(rig.serverRoot, 'run/openvpn-status.log')]))
        writeFileSync(join(FIXTURES, `haproxy-stats-${proto}.csv`), await rig.execInServer(['sh', join(rig.serverRoot, 'scripts/haproxy-stats.sh')]))
        writeFileSync(join(FIXTURES, `haproxy-show-stat-${proto}.csv`), await rig.haproxyCommand('show stat'))
      }
    })
  })
}
