import {strict as assert} from 'node:assert'

import {createCA, issueClientCertificate, issueServerCertificate, type KeyPair} from '../../src/pki/certificates.js'
import {backendHealth, parseHaproxyStats} from '../../src/health/haproxy-stats.js'
import {inspectCertificate} from '../../src/pki/inspect.js'
import {SERVER_COMMON_NAME} from '../../src/render/names.js'
import {missingPrerequisite, removeLeftovers} from './netns.js'
import {Rig, sleep} from './rig.js'

const WEB = 20_000
const reason = missingPrerequisite()

/** Requests every 100 ms from the consumer, each with the 2 s limit of the e2e prober (curl's own time); failures with when they started. */
class Traffic {
  /** Loops still running: a failed test never reaches its stop(), and its loop would keep mocha from exiting. */
  static readonly running = new Set<Traffic>()
  readonly results: Array<{at: number; ok: boolean; ms: number; body?: string}> = []
  private running = true
  private readonly loop: Promise<void>

  constructor(rig: Rig) {
    Traffic.running.add(this)
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now()
        const {body, ms} = await rig.timedRequest(WEB, 2)
        this.results.push({at, ok: body !== undefined, ms, ...(body ? {body} : {})})
        rig.note(`request started ${new Date(at).toISOString().slice(11, 23)}: ${body ?? 'failed'} in ${ms} ms`)
        await sleep(100)
      }
    })()
  }

  async stop(): Promise<Traffic['results']> {
    this.running = false
    Traffic.running.delete(this)
    await this.loop
    return this.results
  }
}

const bundle = (...cas: KeyPair[]) => cas.map((c) => c.cert).join('')

/** Waits until the server's OpenVPN reports a key-file set other than `before` loaded (openvpn-run.sh's marker). */
async function reloaded(rig: Rig, before: string | undefined): Promise<number> {
  return rig.waitFor('the server to load its new key files in place', () => {
    const now = rig.keysLoaded()
    return now !== undefined && now !== before
  }, 20_000)
}

async function assertStaysOut(rig: Rig, name: string, what: string): Promise<void> {
  await rig.waitFor(`${name}'s session to end`, () => !rig.connected().includes(name), 12_000)
  for (let i = 0; i < 6; i++) {
    await sleep(500)
    assert.ok(!rig.connected().includes(name), what)
  }
}

for (const proto of ['tcp', 'udp'] as const) {
  describe(`CA rotation over ${proto.toUpperCase()} (real openvpn + haproxy in network namespaces)`, function () {
    this.timeout(180_000)
    let rig: Rig

    before(function () {
      if (reason) {
        process.stderr.write(`  data-plane suite skipped: ${reason}\n`)
        this.skip()
      }
      removeLeftovers()
      rig = new Rig({proto, clients: ['c1', 'c2'], services: [{name: 'web', port: 80, internalPort: WEB, clientService: {name: 'web', namespace: 'default', port: 8080}}]})
      rig.startBackends()
      rig.startServer()
      rig.startClient('c1')
      rig.startClient('c2')
    })

    after(async () => {
      await rig?.teardown()
    })

    afterEach(async function () {
      await Promise.all([...Traffic.running].map((t) => t.stop()))
      if (this.currentTest?.state === 'failed' && rig) process.stderr.write(`${rig.log.slice(-60).join('\n')}\n`)
    })

    it('loads a new server certificate in place: the same process, the clients back within about a second, no request fails', async () => {
      await rig.waitConnected(['c1', 'c2'])
      await rig.waitFor('web answers', async () => (await rig.request(WEB)) !== undefined, 10_000)
      await rig.waitFor('the key files marked loaded', () => rig.keysLoaded() !== undefined, 10_000)
      const before = rig.keysLoaded()
      const pid = rig.serverOpenvpn!.pid
      const traffic = new Traffic(rig)
      await sleep(1000)
      rig.projectServerCertificate(issueServerCertificate(rig.ca, {commonName: SERVER_COMMON_NAME}), rig.ca.cert)
      const took = await reloaded(rig, before)
      await rig.waitConnected(['c1', 'c2'])
      await sleep(3000)
      const results = await traffic.stop()
      process.stderr.write(`      measured: ${proto}: new server certificate loaded in place ${took} ms after the Secret changed; slowest request ${Math.max(...results.map((r) => r.ms))} ms; ${results.length} requests\n`)
      assert.equal(rig.serverOpenvpn!.pid, pid, 'the script (the container) was not restarted')
      assert.deepEqual(results.filter((r) => !r.ok), [], 'no request failed')
      assert.ok(rig.log.some((l) => l.includes('reloading openvpn in place')))
    })

    it('rotates the CA as the plugin does, under traffic: both CAs trusted, each client moved, then the server; no request fails', async () => {
      const old = rig.ca
      const next = createCA()
      assert.notEqual(inspectCertificate(next.cert).commonName, inspectCertificate(old.cert).commonName, 'CAs never share a subject')
      // Keys are made before the traffic starts: an RSA key generated in this process holds its
      // event loop, and the requests' figures with it.
      const clientCerts = new Map(['c1', 'c2'].map((name) => [name, issueClientCertificate(next, {commonName: name})]))
      const serverCert = issueServerCertificate(next, {commonName: SERVER_COMMON_NAME})
      const traffic = new Traffic(rig)
      const started = Date.now()
      // 1. The server trusts both CAs (loaded in place).
      rig.note('step 1: server trusts both CAs')
      let before = rig.keysLoaded()
      rig.projectServerTrust([next.cert, old.cert])
      await reloaded(rig, before)
      await rig.waitConnected(['c1', 'c2'])
      // 2. Each client: a certificate from the new CA, trusting both; its pod replaced, the other serving meanwhile.
      for (const name of ['c1', 'c2']) {
        rig.note(`step 2: ${name} to the new CA`)
        rig.installClientCertificate(name, clientCerts.get(name)!, bundle(next, old))
        await rig.restartClient(name)
        await rig.waitConnected([name])
        await rig.waitFor(`${name} answering`, async () => (await rig.request(WEB)) !== undefined, 5000)
        if (name === 'c1') {
          // A client on the new CA and one on the old CA, both connected, both serving. OpenVPN's
          // status file is rewritten every second, and after a reload it first lists the sessions
          // of before it, then those connected at its first write: one read of it is no witness.
          // The server's proxy takes a client back at its first passing check after the client
          // reconnected, not when OpenVPN lists it: a client whose tunnel came back late from the
          // reload of step 1 was still marked down here, and eight requests in 200 ms all went to
          // the other one. Both must be listed, and back in the proxy, within a few checks.
          await rig.waitConnected(['c1', 'c2'], 5000)
          await rig.waitFor('the server proxy to see c1 and c2 up', async () => {
            const web = backendHealth(parseHaproxyStats(await rig.haproxyCommand('show stat'))).web ?? {}
            return web.c1 === 'UP' && web.c2 === 'UP'
          }, 5000)
          // "UP" can still be the proxy's view from before c1's restart (its checks mark a client
          // down only after a few misses); requests meant for c1 then go to c2. So both must be
          // seen answering within one round of 8 requests, in a few rounds at most.
          rig.note('step 2: rounds of 8 requests')
          let seen = new Set<string>()
          await rig.waitFor('c1 and c2 both answering within one round of 8 requests', async () => {
            seen = new Set<string>()
            for (let i = 0; i < 8; i++) seen.add((await rig.request(WEB)) ?? 'failed')
            return seen.has('backend-c1') && seen.has('backend-c2')
          }, 8000)
          assert.deepEqual([...seen].sort(), ['backend-c1', 'backend-c2'])
        }
      }
      // 3. The server: a certificate from the new CA, the new CA alone trusted, the old CA's serial revoked.
      rig.note('step 3: server to the new CA')
      before = rig.keysLoaded()
      rig.registry.revoked.push({serial: inspectCertificate(old.cert).serial, commonName: 'previous CA', revokedAt: new Date().toISOString()})
      rig.writeConfigs()
      rig.projectServerCertificate(serverCert, next.cert)
      rig.projectServerTrust([next.cert])
      await reloaded(rig, before)
      await rig.waitConnected(['c1', 'c2'])
      // 4. Each client trusts the new CA alone.
      for (const name of ['c1', 'c2']) {
        rig.note(`step 4: ${name} trusts the new CA alone`)
        const held = rig.clientCertificate(name)
        rig.installClientCertificate(name, held, next.cert)
        await rig.restartClient(name)
        await rig.waitConnected([name])
        await rig.waitFor(`${name} answering`, async () => (await rig.request(WEB)) !== undefined, 5000)
      }
      const took = Date.now() - started
      await sleep(2000)
      const results = await traffic.stop()
      const failed = results.filter((r) => !r.ok)
      process.stderr.write(
        `      measured: ${proto}: CA rotation (2 server reloads, 4 client restarts) ${took} ms; ${results.length} requests, ${failed.length} failed, slowest ${Math.max(...results.map((r) => r.ms))} ms\n`,
      )
      rig.useCa(next)
      assert.deepEqual(failed, [], 'no request failed during the rotation')
    })

    it('revokes an old-CA client by serial while both CAs are trusted, and refuses every old-CA client once the old CA is dropped, without a restart', async () => {
      const old = rig.ca
      const next = createCA()
      const pid = rig.serverOpenvpn!.pid
      let before = rig.keysLoaded()
      rig.projectServerTrust([next.cert, old.cert])
      await reloaded(rig, before)
      // c1 on the new CA, c2 still on the old one: both connected.
      rig.installClientCertificate('c1', issueClientCertificate(next, {commonName: 'c1'}), bundle(next, old))
      rig.installClientCertificate('c2', rig.clientCertificate('c2'), bundle(next, old))
      await rig.restartClient('c1')
      await rig.waitConnected(['c1', 'c2'], 20_000)
      // Revoking c2's old-CA serial refuses it (serials are checked whatever CA issued them).
      const c2Old = inspectCertificate(rig.clientCertificate('c2').cert).serial
      rig.registry.revoked.push({serial: c2Old, commonName: 'c2', revokedAt: new Date().toISOString()})
      rig.writeConfigs()
      await assertStaysOut(rig, 'c2', 'a revoked old-CA serial is refused')
      // Another old-CA certificate for c2 is admitted: the old CA is still trusted.
      rig.installClientCertificate('c2', issueClientCertificate(old, {commonName: 'c2'}), bundle(next, old))
      await rig.restartClient('c2')
      await rig.waitConnected(['c2'], 20_000)
      // Dropping the old CA: its serial in the revocation directory. No reload: c2, cut (as "certs
      // revoke" cuts a session), is refused at depth 1 of its chain; c1 (new CA) keeps its session.
      const from = rig.log.length
      rig.registry.revoked.push({serial: inspectCertificate(old.cert).serial, commonName: 'previous CA', revokedAt: new Date().toISOString()})
      rig.writeConfigs()
      await sleep(1500)
      assert.equal((await rig.execScript(rig.server, rig.serverRoot, 'openvpn-kick.sh', 'c2')).code, 0)
      // OpenVPN checks every certificate of the chain against the revocation directory and logs
      // "VERIFY CRL: depth=1, <CA subject>, serial=<n> is revoked" (verb 2 and up). Over TCP c2 dials
      // again as soon as the kick closes its connection; over UDP it learns of the kick only at its
      // ping-restart (4 s here, then a second's pause), so the refusal comes 5 to 6 s after it.
      await rig.waitFor("c2's old-CA chain refused at depth 1", () => rig.log.slice(from).some((l) => /VERIFY CRL: depth=1, .* is revoked/.test(l)), 15_000)
      await assertStaysOut(rig, 'c2', 'an old-CA client is refused once the old CA is dropped')
      assert.ok(rig.connected().includes('c1'), 'the new-CA client stays connected')
      assert.equal(rig.serverOpenvpn!.pid, pid)
      assert.equal(await rig.request(WEB), 'backend-c1')
      // The server then moves to the new CA alone; c1 reconnects, c2 stays out.
      before = rig.keysLoaded()
      rig.projectServerCertificate(issueServerCertificate(next, {commonName: SERVER_COMMON_NAME}), next.cert)
      rig.projectServerTrust([next.cert])
      await reloaded(rig, before)
      await rig.waitConnected(['c1'])
      await assertStaysOut(rig, 'c2', 'the old CA is no longer trusted at all')
      rig.useCa(next)
    })
  })
}
