import {strict as assert} from 'node:assert'
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {renderClientFiles, renderServerFiles} from '../../src/dataplane/index.js'
import {files, rel} from '../../src/dataplane/layout.js'
import type {Registry} from '../../src/registry/types.js'
import {missingPrerequisite, removeLeftovers} from './netns.js'
import {type Binaries, Rig} from './rig.js'
import {FETCH_HINT, findBuild} from './versions.js'

/**
 * The rendered configs on every HAProxy and OpenVPN the gateway supports:
 * Debian bookworm's (installed here; the gateway image ships them), and the
 * builds fetched from Debian's archive by fetch-versions.sh (HAProxy 3.0 and
 * 3.2 as in the official images, the newest 3.x, OpenVPN 2.7). A build that
 * is not fetched skips its tests with one line saying so.
 */
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
const md5 = (text: string) => createHash('md5').update(text).digest('hex')

interface Daemon {
  label: string
  bin?: string
  why?: string
}

function haproxyBuilds(): Daemon[] {
  const installed: Daemon = has('haproxy') ? {label: 'Debian bookworm (installed)', bin: 'haproxy'} : {label: 'Debian bookworm (installed)', why: 'haproxy is not installed'}
  const fetched = (['3.0', '3.2', 'newest'] as const).map((series): Daemon => {
    const build = findBuild('haproxy', series)
    if (series === 'newest' && build && ['3.0', '3.2'].includes(build.series)) return {label: 'newest 3.x', why: `no HAProxy newer than ${build.series} fetched`}
    return build ? {label: `${build.version} (${build.suite})`, bin: build.bin} : {label: series, why: `HAProxy ${series} not fetched (${FETCH_HINT})`}
  })
  return [installed, ...fetched]
}

function openvpnBuilds(): Daemon[] {
  const installed: Daemon = has('openvpn') ? {label: '2.6 Debian bookworm (installed)', bin: 'openvpn'} : {label: '2.6', why: 'openvpn is not installed'}
  const build = findBuild('openvpn', '2.7')
  return [installed, build ? {label: `${build.version} (${build.suite})`, bin: build.bin} : {label: '2.7', why: `OpenVPN 2.7 not fetched (${FETCH_HINT})`}]
}

const versionOf = (d: Daemon, flag: string) => spawnSync(d.bin!, [flag], {encoding: 'utf8'}).stdout.split('\n')[0]

/** Registries of every shape: none, one service and client, many of both with subsets. */
function registries(): Record<string, Registry> {
  const clients = Array.from({length: 6}, (_, i) => ({name: `p${i}`, tunnelIP: `10.8.0.${10 + i}`, serial: `0${i}`, notAfter: '2030-01-01T00:00:00Z'}))
  const services = Array.from({length: 30}, (_, i) => ({
    name: `svc${i}`,
    port: 80,
    internalPort: 20_000 + i,
    clientService: {name: `app${i}`, namespace: 'default', port: 8080},
    ...(i % 3 === 0 ? {clients: [`p${i % 6}`]} : {}),
  }))
  return {
    empty: {services: [], clients: [], revoked: []},
    'one service, one client': {services: services.slice(0, 1), clients: clients.slice(0, 1), revoked: []},
    '30 services, 6 clients': {services, clients, revoked: []},
  }
}

/** Only what the environment causes is tolerated: a provider Service name that does not resolve outside a cluster. */
const problems = (output: string) =>
  output
    .split('\n')
    .filter((l) => /\[(WARNING|ALERT)\]|Warnings were found/.test(l))
    .filter((l) => !/could not resolve address/.test(l) && !/^Warnings were found\.$/.test(l.trim()))

describe('rendered configs on every supported HAProxy (haproxy -c)', function () {
  this.timeout(60_000)
  for (const daemon of haproxyBuilds()) {
    it(`HAProxy ${daemon.label}: server and client configs for every registry shape, valid without warnings`, function () {
      if (!daemon.bin) {
        process.stderr.write(`      skipped: ${daemon.why}\n`)
        this.skip()
      }
      process.stderr.write(`      ${versionOf(daemon, '-v')}\n`)
      const root = mkdtempSync(join(tmpdir(), 'svcgw-versions-'))
      try {
        mkdirSync(join(root, rel.run))
        // As haproxy-run.sh leaves it before the first start: a state file with only its version.
        writeFileSync(join(root, rel.run, files.haproxyServersState), '1\n')
        for (const [shape, registry] of Object.entries(registries())) {
          const first = registry.clients[0]?.name ?? 'p0'
          const configs = {
            server: renderServerFiles(registry, {proto: 'tcp'}).haproxy[files.haproxyCfg],
            'client (cluster DNS)': renderClientFiles(registry, {clientName: first, serverAddress: 'gw', serverPort: 1194, proto: 'tcp', serverName: 's'}).haproxy[files.haproxyCfg],
            'client (addresses)': renderClientFiles(registry, {
              clientName: first,
              serverAddress: 'gw',
              serverPort: 1194,
              proto: 'tcp',
              serverName: 's',
              resolveService: (s) => `127.0.0.1:${s.port}`,
            }).haproxy[files.haproxyCfg],
          }
          for (const [side, cfg] of Object.entries(configs)) {
            writeFileSync(join(root, 'check.cfg'), cfg)
            const check: SpawnSyncReturns<string> = spawnSync(daemon.bin!, ['-c', '-f', 'check.cfg'], {cwd: root, encoding: 'utf8'})
            const output = `${check.stdout}${check.stderr}`
            assert.equal(check.status, 0, `${shape}, ${side}: ${output}`)
            assert.deepEqual(problems(output), [], `${shape}, ${side}`)
          }
        }
      } finally {
        rmSync(root, {recursive: true, force: true})
      }
    })
  }
})

const reason = missingPrerequisite()

describe('haproxy-run.sh on every supported HAProxy (real processes in a network namespace)', function () {
  this.timeout(60_000)
  for (const daemon of haproxyBuilds()) {
    it(`HAProxy ${daemon.label}: master-worker from -W, loaded marker on start and reload, soft stop on USR1 with exit 0`, async function () {
      if (reason || !daemon.bin) {
        process.stderr.write(`      skipped: ${reason ?? daemon.why}\n`)
        this.skip()
      }
      removeLeftovers()
      const binaries: Binaries | undefined = daemon.bin === 'haproxy' ? undefined : {haproxy: daemon.bin}
      const rig = new Rig({
        proto: 'tcp',
        clients: [],
        services: [{name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'web', namespace: 'default', port: 8080}}],
        ...(binaries ? {binaries: {server: binaries}} : {}),
      })
      try {
        const cfg = () => readFileSync(join(rig.serverRoot, rel.haproxy, files.haproxyCfg), 'utf8')
        const proxy = rig.startServerHaproxy()
        await rig.waitFor('the config marked loaded', () => rig.loaded(rig.serverRoot) === md5(cfg()), 15_000)
        // The worker that answers is the intended build (3.3+ no longer shows its version on the page).
        const page = await rig.execInServer(['sh', '-c', 'wget -q -O - http://127.0.0.1:8404/stats || curl -s http://127.0.0.1:8404/stats'])
        const pid = /pid = <\/b> *(\d+)/.exec(page)?.[1]
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
        assert.ok(daemon.bin === 'haproxy' ? readlinkSync(`/proc/${pid}/exe`) === '/usr/sbin/haproxy' : command.includes(dirname(dirname(daemon.bin!))), `worker ${pid}: ${command}`)
        rig.registry.services.push({name: 'api', port: 80, internalPort: 20_001, clientService: {name: 'api', namespace: 'default', port: 8080}})
        rig.writeConfigs()
        await rig.waitFor('the reloaded config marked loaded', () => rig.loaded(rig.serverRoot) === md5(cfg()), 10_000)
        const start = Date.now()
        assert.equal(await rig.signalScript(proxy, 'SIGUSR1'), 0)
        assert.ok(Date.now() - start < 2000, `stopped in ${Date.now() - start} ms`)
        assert.ok(!rig.log.some((l) => /\[(ALERT|WARNING)\].*(deprecated|master-worker|same name)/i.test(l)), 'no deprecation warning')
      } finally {
        await rig.teardown()
      }
    })
  }
})

describe('rendered configs on every supported OpenVPN (server and clients connect, no warning about an option)', function () {
  this.timeout(60_000)
  const [installed, v27] = openvpnBuilds()
  const pairs: Array<{server: Daemon; client: Daemon; protos: Array<'tcp' | 'udp'>}> = [
    {server: installed, client: installed, protos: ['tcp', 'udp']},
    {server: v27, client: v27, protos: ['tcp', 'udp']},
    {server: installed, client: v27, protos: ['tcp']},
    {server: v27, client: installed, protos: ['tcp']},
  ]
  for (const {server, client, protos} of pairs) {
    for (const proto of protos) {
      it(`server on OpenVPN ${server.label}, client on ${client.label}, over ${proto.toUpperCase()}`, async function () {
        const missing = reason ?? server.why ?? client.why
        if (missing) {
          process.stderr.write(`      skipped: ${missing}\n`)
          this.skip()
        }
        removeLeftovers()
        const as = (d: Daemon): Binaries | undefined => (d.bin === 'openvpn' ? undefined : {openvpn: d.bin})
        const rig = new Rig({
          proto,
          clients: ['c1'],
          services: [{name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'web', namespace: 'default', port: 8080}}],
          binaries: {...(as(server) ? {server: as(server)} : {}), ...(as(client) ? {clients: as(client)} : {})},
        })
        try {
          rig.startBackends()
          rig.startServer()
          rig.startClient('c1')
          await rig.waitConnected(['c1'])
          await rig.waitFor('web answers through the tunnel', async () => (await rig.request(20_000)) === 'backend-c1', 10_000)
          const c1 = rig.clients.get('c1')!
          await rig.waitFor('both readiness probes pass', async () => (await rig.ready(rig.server, rig.serverRoot)) && rig.ready(c1.host, c1.root), 10_000)
          const openvpnLog = rig.log.filter((l) => /^(server|c1)-openvpn: /.test(l))
          const versions = [...new Set(openvpnLog.map((l) => /OpenVPN (2\.\d+\.\d+)/.exec(l)?.[1]).filter(Boolean))]
          process.stderr.write(`      ran OpenVPN ${versions.join(' and ')}\n`)
          const warnings = openvpnLog.filter((l) => /WARNING|DEPRECATED|deprecated|ignor|Unrecognized option|no longer supported/i.test(l))
          assert.deepEqual(warnings, [], 'no warning about an option')
        } finally {
          await rig.teardown()
        }
      })
    }
  }
})

/**
 * kube-proxy answers a connection to a Service without endpoints with an ICMP
 * port-unreachable. HAProxy before 3.0 (bookworm's 2.6.12) then spins in its
 * health check until the check's connect timeout: epoll keeps reporting the
 * error and connect() keeps saying EALREADY. Every client pod serving such a
 * Service burned about 5% of a core; the gateway image moved to trixie's 3.0
 * for it. Here the rendered client config runs in a network namespace whose
 * iptables rejects the provider Service's address the way kube-proxy does, and
 * the proxy's CPU time over 4 s is read from /proc.
 */
describe('health checks of a provider Service without endpoints on every supported HAProxy (real processes)', function () {
  this.timeout(30_000)
  const SPIN_TICKS = 3
  for (const daemon of haproxyBuilds()) {
    const older = daemon.bin === 'haproxy' && !/version 3\./.test(versionOf(daemon, '-v'))
    it(`HAProxy ${daemon.label}: ${older ? 'measured (older than the image ships: not held to it)' : `at most ${SPIN_TICKS} CPU ticks in 4 s`}`, function () {
      if (reason || !daemon.bin) {
        process.stderr.write(`      skipped: ${reason ?? daemon.why}\n`)
        this.skip()
      }
      if (!has('iptables') || !has('unshare')) {
        process.stderr.write('      skipped: needs iptables and unshare\n')
        this.skip()
      }
      const registry = registries()['one service, one client']
      const cfg = renderClientFiles(registry, {clientName: 'p0', serverAddress: 'gw', serverPort: 1194, proto: 'tcp', serverName: 's', resolveService: () => '10.99.0.1:80'}).haproxy[files.haproxyCfg]
      assert.match(cfg, /default-server check/, 'the rendered client checks its targets')
      const root = mkdtempSync(join(tmpdir(), 'svcgw-spin-'))
      try {
        mkdirSync(join(root, rel.run))
        writeFileSync(join(root, rel.run, files.haproxyServersState), '1\n')
        writeFileSync(join(root, 'haproxy.cfg'), cfg)
        const script = [
          'set -e',
          'ip link set lo up',
          'ip addr add 10.99.0.1/32 dev lo',
          'iptables -A OUTPUT -d 10.99.0.1 -p tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
          `"${daemon.bin}" -db -f haproxy.cfg >haproxy.log 2>&1 &`,
          'p=$!',
          'sleep 2',
          'a=$(awk \'{print $14 + $15}\' /proc/$p/stat)',
          'sleep 4',
          'b=$(awk \'{print $14 + $15}\' /proc/$p/stat)',
          'kill $p',
          'echo $((b - a))',
        ].join('\n')
        const run = spawnSync('unshare', ['-n', 'sh', '-c', script], {cwd: root, encoding: 'utf8'})
        assert.equal(run.status, 0, `${run.stdout}${run.stderr}${readFileSync(join(root, 'haproxy.log'), 'utf8')}`)
        const ticks = Number(run.stdout.trim())
        process.stderr.write(`      measured: ${ticks} CPU ticks in 4 s (a tick is 1/${spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout.trim()} s)\n`)
        assert.ok(Number.isInteger(ticks), run.stdout)
        if (!older) assert.ok(ticks <= SPIN_TICKS, `${ticks} ticks: the check spins on the rejected connection`)
      } finally {
        rmSync(root, {recursive: true, force: true})
      }
    })
  }
})
