import {strict as assert} from 'node:assert'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {files, rel} from '../../src/dataplane/layout.js'
import {parseHaproxyStats} from '../../src/health/haproxy-stats.js'
import {parseOpenVpnStatus} from '../../src/health/openvpn-status.js'
import {issueClientCertificate} from '../../src/pki/certificates.js'
import {missingPrerequisite, removeLeftovers} from './netns.js'
import {Rig, sleep} from './rig.js'

/**
 * The pods' lifecycle, on the real processes: the loaded-config marker,
 * readiness tied to the tunnel, a revoked client kicked at once, and stop
 * signals with a drain. Timings measured here are printed (docs/dataplane.md).
 */
const WEB = 20_000
const ECHO = 20_002
/** The rig's drain deadline (production: 10 s). */
const DRAIN = 3
/** The rig's ping-restart (production: 30 s, pushed by the server's keepalive). */
const PING_RESTART = 4

const reason = missingPrerequisite()
const md5 = (text: string) => createHash('md5').update(text).digest('hex')
const report = (line: string) => process.stderr.write(`      measured: ${line}\n`)

for (const proto of ['tcp', 'udp'] as const) {
  describe(`gateway lifecycle over ${proto.toUpperCase()} (real openvpn + haproxy in network namespaces)`, function () {
    this.timeout(60_000)
    let rig: Rig

    const serverCfg = () => readFileSync(join(rig.serverRoot, rel.haproxy, files.haproxyCfg), 'utf8')
    const clientReady = (name: string) => {
      const c = rig.clients.get(name)!
      return rig.ready(c.host, c.root)
    }
    /** Who is connected now, from the server's management interface (the status file lags up to its interval). */
    const liveSessions = async (): Promise<string[]> => {
      const out = await rig.execInServer(['sh', '-c', `. ${rig.serverRoot}/scripts/openvpn-mgmt.sh && mgmt 'status 2'`]).catch(() => '')
      return parseOpenVpnStatus(out).clients.map((c) => c.commonName)
    }
    const echoes = async (held: ReturnType<Rig['hold']>, word: string) => {
      held.send(word)
      await rig.waitFor(`"${word}" echoed on the held connection`, () => held.output.includes(word), 3000)
    }

    before(async function () {
      if (reason) {
        process.stderr.write(`  lifecycle suite skipped: ${reason}\n`)
        this.skip()
      }
      removeLeftovers()
      rig = new Rig({
        proto,
        clients: ['c1', 'c2'],
        drainSeconds: DRAIN,
        services: [
          {name: 'web', port: 80, internalPort: WEB, clientService: {name: 'web', namespace: 'default', port: 8080}},
          {name: 'echo', port: 9000, internalPort: ECHO, clientService: {name: 'echo', namespace: 'default', port: 9000}, clients: ['c1']},
        ],
      })
      rig.startBackends()
      rig.startServer()
      rig.startClient('c1')
      rig.startClient('c2')
      await rig.waitConnected(['c1', 'c2'])
      await rig.waitFor('web answers', async () => (await rig.request(WEB)) !== undefined, 10_000)
    })

    after(async () => {
      await rig?.teardown()
    })

    afterEach(function () {
      if (this.currentTest?.state === 'failed' && rig) process.stderr.write(`${rig.log.slice(-40).join('\n')}\n`)
    })

    it('marks the loaded config by its md5: a change within the watch interval and the reload, an invalid one not at all', async () => {
      await rig.waitFor('the first config marked loaded', () => rig.loaded(rig.serverRoot) === md5(serverCfg()), 10_000)
      const first = rig.loaded(rig.serverRoot)
      rig.registry.services.push({name: 'extra', port: 80, internalPort: 20_005, clientService: {name: 'web', namespace: 'default', port: 8080}})
      rig.writeConfigs()
      const changed = md5(serverCfg())
      assert.notEqual(changed, first)
      const took = await rig.waitFor('the changed config marked loaded', () => rig.loaded(rig.serverRoot) === changed, 5000)
      report(`${proto}: changed config marked loaded ${took} ms after it was written (watch interval 0.5 s here, 2 s in pods)`)
      // The new worker serves with it: the new service answers.
      await rig.waitFor('the new service answers', async () => (await rig.request(20_005)) !== undefined, 5000)

      const before = rig.log.length
      rig.projectServerHaproxy(`${serverCfg()}\nfrontend broken\n  bind :20006\n  no-such-keyword here\n`)
      await rig.waitFor('the watcher to report the invalid config', () => rig.log.slice(before).some((l) => l.includes('invalid')), 5000)
      await sleep(1000)
      assert.equal(rig.loaded(rig.serverRoot), changed, 'an invalid config leaves the marker')
      assert.ok((await rig.request(WEB)) !== undefined, 'the running config keeps serving')

      rig.writeConfigs()
      await rig.waitFor('the valid config marked loaded again', () => rig.loaded(rig.serverRoot) === md5(serverCfg()), 5000)
    })

    it('keeps what it knows of the clients across a reload: a client that is down is still down in the new worker, since the same moment', async () => {
      const stats = async () => parseHaproxyStats(await rig.execInServer(['sh', join(rig.serverRoot, 'scripts/haproxy-stats.sh')]))
      const web = (rows: Awaited<ReturnType<typeof stats>>) => rows.find((r) => r.pxname === 'be-web' && r.svname === 'c2')
      await rig.stopClient('c2')
      await rig.waitFor('c2 down in the server', async () => web(await stats())?.status.startsWith('DOWN') === true, 15_000)
      await sleep(2000)
      const downFor = web(await stats())!.lastchg!
      rig.registry.services.push({name: 'another', port: 80, internalPort: 20_007, clientService: {name: 'web', namespace: 'default', port: 8080}})
      rig.writeConfigs()
      await rig.waitFor('the new config loaded', () => rig.loaded(rig.serverRoot) === md5(serverCfg()), 10_000)
      // The first look at the new worker: without the saved state it would start c2 UP until its first check.
      const after = web(await stats())!
      assert.match(after.status, /^DOWN/, `c2 right after the reload: ${after.status}`)
      assert.ok(after.lastchg! >= downFor, `down since before the reload (${after.lastchg} s, was ${downFor} s)`)
      rig.registry.services = rig.registry.services.filter((s) => s.name !== 'another')
      rig.writeConfigs()
      rig.startClient('c2')
      await rig.waitConnected(['c2'])
    })

    it('keeps no state of a server whose target moved: a provider Service back on its right port is UP after the reload (HAProxy would restore the old port)', async () => {
      const stats = async () => parseHaproxyStats(await rig.execInServer(['sh', join(rig.serverRoot, 'scripts/haproxy-stats.sh')]))
      const echo = async () => (await stats()).find((r) => r.pxname === 'be-echo' && r.svname === 'c1')?.status ?? ''
      const service = rig.registry.services.find((s) => s.name === 'echo')!
      service.clientService.port = 9999
      rig.writeConfigs()
      await rig.waitFor('c1 down for echo (nothing on port 9999)', async () => (await echo()).startsWith('DOWN'), 15_000)
      service.clientService.port = 9000
      rig.writeConfigs()
      const c1 = rig.clients.get('c1')!
      await rig.waitFor('the client config with port 9000 loaded', () => readFileSync(join(c1.root, rel.run, files.haproxyRunningCfg), 'utf8').includes(':9000'), 10_000)
      const took = await rig.waitFor('c1 up for echo again', async () => (await echo()).startsWith('UP'), 10_000)
      report(`${proto}: a target back on its port is UP ${took} ms after the client's reload`)
    })

    it('is Ready only while the tunnel is connected: a stopped or silent server makes the client unready, its return ready again', async () => {
      await rig.waitFor('c1 ready', () => clientReady('c1'), 10_000)
      assert.ok(await rig.ready(rig.server, rig.serverRoot), 'the server is ready while it listens')

      // A server that stops says so (TCP: the connection closes; UDP: explicit-exit-notify).
      await rig.stopServer()
      const stopped = await rig.waitFor('c1 unready after the server stopped', async () => !(await clientReady('c1')), 10_000)
      assert.ok(!(await rig.ready(rig.server, rig.serverRoot)), 'a stopped server is not ready')
      rig.startServer()
      const back = await rig.waitFor('c1 ready again', () => clientReady('c1'), 15_000)
      report(`${proto}: client unready ${stopped} ms after the server stopped, ready ${back} ms after it started`)

      // A server that goes silent (frozen: a partition, a dead node) is only noticed by ping-restart.
      await rig.waitFor('c1 ready before the freeze', () => clientReady('c1'), 10_000)
      process.kill(-rig.serverOpenvpn!.pid!, 'SIGSTOP')
      let silent: number
      try {
        silent = await rig.waitFor('c1 unready while the server is silent', async () => !(await clientReady('c1')), (PING_RESTART + 3) * 1000)
      } finally {
        process.kill(-rig.serverOpenvpn!.pid!, 'SIGCONT')
      }
      assert.ok(silent <= (PING_RESTART + 1) * 1000, `unready after ${silent} ms, ping-restart is ${PING_RESTART} s`)
      const resumed = await rig.waitFor('c1 ready after the server resumed', () => clientReady('c1'), 15_000)
      report(`${proto}: client unready ${silent} ms after the server went silent (ping-restart ${PING_RESTART} s), ready ${resumed} ms after it resumed`)
      await rig.waitConnected(['c1', 'c2'])
    })

    it('a client the server does not admit yet keeps dialling (no exit, no crash loop) and connects once its client-config-dir entry appears', async function () {
      this.timeout(60_000)
      const c2 = rig.registry.clients.find((c) => c.name === 'c2')!
      rig.registry.clients = rig.registry.clients.filter((c) => c.name !== 'c2')
      rig.writeConfigs()
      const logFrom = rig.log.length
      await rig.restartClient('c2')
      await rig.waitFor('c2 refused (AUTH_FAILED)', () => rig.log.slice(logFrom).some((l) => l.startsWith('c2-openvpn') && /AUTH_FAILED/.test(l)), 20_000)
      // Exiting here would make the kubelet restart the container with a growing back-off; the rig fails any wait once a daemon exits.
      await rig.waitFor('c2 dialling again after the refusal', () => rig.log.slice(logFrom).filter((l) => l.startsWith('c2-openvpn') && /AUTH_FAILED/.test(l)).length >= 2, 30_000)
      rig.registry.clients.push(c2)
      rig.writeConfigs()
      const admitted = await rig.waitConnected(['c2'], 30_000)
      report(`${proto}: a client refused until admitted connected ${admitted} ms after its client-config-dir entry appeared`)
      const exits = rig.log.slice(logFrom).filter((l) => l.startsWith('c2-openvpn') && /Exiting due to fatal error|auth-failure\] received, process exiting/.test(l))
      assert.deepEqual(exits, [], 'the client never exited')
    })

    it('kicks a revoked client at once: cut within 2 s, refused on reconnecting, the other client untouched', async function () {
      this.timeout(90_000)
      await rig.waitConnected(['c1', 'c2'])
      const c2 = rig.registry.clients.find((c) => c.name === 'c2')!
      const c1Before = rig.log.filter((l) => l.startsWith('c1-openvpn') && /Initialization Sequence Completed/.test(l)).length

      const usage = await rig.execScript(rig.server, rig.serverRoot, 'openvpn-kick.sh')
      assert.equal(usage.code, 2, 'no CN is a usage error')
      const absent = await rig.execScript(rig.server, rig.serverRoot, 'openvpn-kick.sh', 'nobody')
      assert.deepEqual([absent.code, absent.stdout.trim()], [0, 'svcgw: nobody is not connected'])
      // The consumer's namespace has no management interface: as if OpenVPN were down.
      const unreachable = await rig.execScript(rig.consumer, rig.serverRoot, 'openvpn-kick.sh', 'c2')
      assert.equal(unreachable.code, 1)
      assert.match(unreachable.stderr, /management interface does not answer/)

      rig.registry.revoked.push({serial: c2.serial, commonName: 'c2', revokedAt: new Date().toISOString()})
      rig.writeConfigs()
      const kickedAt = Date.now()
      const kick = await rig.execScript(rig.server, rig.serverRoot, 'openvpn-kick.sh', 'c2')
      assert.equal(kick.code, 0, kick.stderr)
      // Every session of that name goes: over UDP a second, half-open one (a redial not yet timed out) may be there too.
      assert.match(kick.stdout, /^svcgw: disconnected c2 \(common name 'c2' found, [1-9]\d* client\(s\) killed\)$/m)
      await rig.waitFor('c2 cut', async () => !(await liveSessions()).includes('c2'), 2000)
      const cutMs = Date.now() - kickedAt
      report(`${proto}: revoked client gone from the server's live status ${cutMs} ms after the kick began`)
      assert.ok(cutMs <= 2000, `cut after ${cutMs} ms`)

      // Over TCP the client sees its connection close and retries at once; over UDP it learns at its ping-restart.
      const logFrom = rig.log.length
      const refused = () => rig.log.slice(logFrom).some((l) => l.startsWith('server-openvpn') && /10\.99\.0\.12.*(VERIFY ERROR|TLS Error: TLS handshake failed)/.test(l))
      const retry = await rig.waitFor("the revoked client's reconnection refused", refused, (PING_RESTART + 4) * 1000)
      report(`${proto}: the kicked client's reconnection was refused ${retry} ms after the cut`)
      for (let i = 0; i < 4; i++) {
        await sleep(500)
        assert.ok(!(await liveSessions()).includes('c2'), 'the revoked client stays out')
      }
      assert.ok(!(await clientReady('c2')), 'the revoked client is not ready')
      assert.ok(rig.connected().includes('c1'), 'c1 stays connected')
      const c1After = rig.log.filter((l) => l.startsWith('c1-openvpn') && /Initialization Sequence Completed/.test(l)).length
      assert.equal(c1After, c1Before, 'c1 did not reconnect')
      assert.deepEqual([...new Set(await Promise.all([1, 2, 3, 4].map(() => rig.request(WEB))))], ['backend-c1'], 'web is served by c1 alone')

      const rotated = issueClientCertificate(rig.ca, {commonName: 'c2'})
      rig.installClientCertificate('c2', rotated)
      c2.serial = rotated.serial
      await rig.restartClient('c2')
      await rig.waitConnected(['c2'])
    })

    for (const signal of ['SIGTERM', 'SIGUSR1'] as const) {
      it(`stops the server pod on ${signal} (the proxy image's STOPSIGNAL may be USR1): refuses new connections, keeps open ones and the tunnel until they end or the drain deadline, exits 0`, async () => {
        await rig.waitConnected(['c1', 'c2'])
        await rig.waitFor('echo answers', async () => {
          const probe = rig.hold(ECHO)
          try {
            probe.send('probe')
            await sleep(300)
            return probe.output.includes('probe')
          } finally {
            probe.kill()
          }
        }, 10_000)
        const held = rig.hold(ECHO)
        await echoes(held, 'before')
        const logFrom = rig.log.length
        const start = Date.now()
        // As the kubelet does: the stop signal to each container's PID 1, at once.
        const proxyExit = rig.signalScript(rig.serverHaproxy!, signal).then((code) => ({code, at: Date.now()}))
        const tunnelExit = rig.signalScript(rig.serverOpenvpn!, signal).then((code) => ({code, at: Date.now()}))
        await sleep(500)
        assert.equal(await rig.request(WEB, 1), undefined, 'a new connection is refused once the stop is asked')
        await echoes(held, 'during')
        let proxy: {code: number | null; at: number}
        let tunnel: {code: number | null; at: number}
        if (signal === 'SIGTERM') {
          // The open connection ends by itself: the proxy exits right after, then the tunnel.
          await sleep(500)
          const closing = Date.now()
          held.close()
          ;[proxy, tunnel] = await Promise.all([proxyExit, tunnelExit])
          report(`${proto} ${signal}: proxy exited ${proxy.at - closing} ms after the last connection closed, openvpn ${tunnel.at - closing} ms after`)
          assert.ok(proxy.at - closing < 1500, `the proxy took ${proxy.at - closing} ms after the last connection closed`)
        } else {
          // The open connection lasts: it is cut at the drain deadline.
          ;[proxy, tunnel] = await Promise.all([proxyExit, tunnelExit])
          await rig.waitFor('the held connection closed', () => held.closedAt !== undefined, 3000)
          report(`${proto} ${signal}: held connection cut ${held.closedAt! - start} ms after the stop (deadline ${DRAIN} s), proxy exited at ${proxy.at - start} ms, openvpn at ${tunnel.at - start} ms`)
          assert.ok(held.closedAt! - start >= DRAIN * 1000 - 200, `cut after ${held.closedAt! - start} ms, before the deadline`)
          assert.ok(proxy.at - start < DRAIN * 1000 + 1500, `the proxy took ${proxy.at - start} ms`)
        }
        assert.deepEqual([proxy.code, tunnel.code], [0, 0], 'both scripts exit 0')
        assert.ok(tunnel.at >= proxy.at, 'the tunnel outlives the proxy')
        assert.ok(tunnel.at - start < (DRAIN + 4) * 1000, `openvpn took ${tunnel.at - start} ms`)
        const logs = rig.log.slice(logFrom).filter((l) => l.startsWith('server-openvpn'))
        assert.ok(!logs.some((l) => /process restarting/.test(l)), 'openvpn was stopped, not restarted')
        assert.ok(logs.some((l) => /SIGTERM.*exiting/.test(l)), 'openvpn exited on SIGTERM')
        held.kill()
        rig.startServer()
        await rig.waitConnected(['c1', 'c2'])
      })
    }

    it('stops a client pod on SIGUSR1 at once when nothing is open', async () => {
      const c1 = rig.clients.get('c1')!
      const start = Date.now()
      const codes = await Promise.all([rig.signalScript(c1.haproxy!, 'SIGUSR1'), rig.signalScript(c1.openvpn!, 'SIGUSR1')])
      const took = Date.now() - start
      report(`${proto}: idle client pod stopped in ${took} ms on SIGUSR1`)
      assert.deepEqual(codes, [0, 0])
      assert.ok(took < 4000, `took ${took} ms`)
      rig.startClient('c1')
      await rig.waitConnected(['c1'])
    })
  })
}
