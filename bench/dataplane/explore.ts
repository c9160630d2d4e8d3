// What moves the raw tunnel itself: iperf3 throughput and HTTP request
// latency through one OpenVPN tunnel with the production config plus one
// variation at a time, against the production config measured in the same
// run. Run as root: npx tsx bench/dataplane/explore.ts [--seconds 5] [--requests 200]
// [--rounds N: median of N] [--only 'production config,without fast-io']
import {execFile, spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {join} from 'node:path'

import {type Host, missingPrerequisite, removeLeftovers} from '../../test/dataplane/netns.js'
import {Rig, sleep} from '../../test/dataplane/rig.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const SECONDS = Number(arg('--seconds', '5'))
const REQUESTS = arg('--requests', '200')
const ROUNDS = Number(arg('--rounds', '1'))
const ONLY = arg('--only', '')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Extra lines appended to both configs (later options override earlier ones); drop removes production lines. */
const VARIANTS: Record<string, {server: string[]; client: string[]; protos?: string[]; drop?: RegExp}> = {
  'production config': {server: [], client: []},
  'cipher AES-128-GCM': {server: ['data-ciphers AES-128-GCM'], client: ['data-ciphers AES-128-GCM']},
  'cipher CHACHA20-POLY1305': {server: ['data-ciphers CHACHA20-POLY1305'], client: ['data-ciphers CHACHA20-POLY1305']},
  'socket buffers 4 MiB': {server: ['sndbuf 4194304', 'rcvbuf 4194304'], client: ['sndbuf 4194304', 'rcvbuf 4194304']},
  'tun-mtu 9000': {server: ['tun-mtu 9000'], client: ['tun-mtu 9000'], protos: ['udp']},
  'without tcp-nodelay': {server: [], client: [], protos: ['tcp'], drop: /^(tcp-nodelay|socket-flags TCP_NODELAY)$/},
  'without tun-mtu 9000 (tun-mtu 1500)': {server: [], client: [], protos: ['tcp'], drop: /^tun-mtu 9000$/},
  'without fast-io': {server: [], client: [], protos: ['udp'], drop: /^fast-io$/},
}

function iperf(from: Host, to: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', from.ns, 'iperf3', '-c', to, '-t', String(SECONDS), '-J', '-O', '1'], {encoding: 'utf8'}, (error, out) =>
      error ? reject(error) : resolve((JSON.parse(out) as {end: {sum_received: {bits_per_second: number}}}).end.sum_received.bits_per_second / 1e9),
    ),
  )
}

function p50(from: Host, url: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', from.ns, process.execPath, `${HERE}latency.mjs`, url, REQUESTS], {encoding: 'utf8'}, (error, out) =>
      error ? reject(error) : resolve((JSON.parse(out) as {p50: number}).p50),
    ),
  )
}

function edit(path: string, variant: (typeof VARIANTS)[string], extra: string[]): void {
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !variant.drop?.test(l))
  writeFileSync(path, [...kept.filter(Boolean), ...extra, ''].join('\n'))
}

async function measure(proto: 'tcp' | 'udp', variant: (typeof VARIANTS)[string]): Promise<{gbps: number; p50: number}> {
  removeLeftovers()
  const rig = new Rig({proto, clients: ['c1'], services: []})
  const c1 = rig.clients.get('c1')!
  edit(join(rig.serverRoot, 'openvpn/server.conf'), variant, variant.server)
  edit(join(c1.root, 'openvpn/client.conf'), variant, variant.client)
  const daemons = [
    spawn('ip', ['netns', 'exec', c1.host.ns, 'iperf3', '-s'], {stdio: 'ignore', detached: true}),
    spawn('ip', ['netns', 'exec', c1.host.ns, process.execPath, `${HERE}../../test/dataplane/backend.mjs`, 'raw'], {stdio: 'ignore', detached: true}),
  ]
  try {
    rig.startServer()
    rig.startClient('c1')
    await rig.waitConnected(['c1'])
    await sleep(1000)
    const tunnelIP = rig.registry.clients[0].tunnelIP
    return {gbps: await iperf(rig.server, tunnelIP), p50: await p50(rig.server, `http://${tunnelIP}:8080/`)}
  } finally {
    for (const d of daemons) process.kill(-d.pid!, 'SIGKILL')
    await rig.teardown()
  }
}

const why = missingPrerequisite()
if (why) {
  console.error(`bench/dataplane/explore: ${why}`)
  process.exit(2)
}
console.log('| raw tunnel variant | tcp Gbit/s | × production | tcp p50 ms | udp Gbit/s | × production | udp p50 ms |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
const baseline: Record<string, number> = {}
const chosen = Object.entries(VARIANTS).filter(([name]) => !ONLY || name === 'production config' || ONLY.split(',').includes(name))
for (const [name, variant] of chosen) {
  const cells: string[] = []
  for (const proto of ['tcp', 'udp'] as const) {
    if (variant.protos && !variant.protos.includes(proto)) {
      cells.push('', '', '')
      continue
    }
    const runs = []
    for (let round = 0; round < ROUNDS; round++) runs.push(await measure(proto, variant))
    const gbps = median(runs.map((r) => r.gbps))
    baseline[proto] ??= gbps
    cells.push(gbps.toFixed(2), (gbps / baseline[proto]).toFixed(2), median(runs.map((r) => r.p50)).toFixed(3))
  }
  console.log(`| ${name} | ${cells.join(' | ')} |`)
}
