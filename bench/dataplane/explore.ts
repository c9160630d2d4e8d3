// What moves the raw tunnel itself: iperf3 through one OpenVPN tunnel with
// the production config plus one variation at a time, against the
// production config measured in the same run. Run as root:
// npx tsx bench/dataplane/explore.ts [--seconds 5]
import {execFile, spawn} from 'node:child_process'
import {appendFileSync} from 'node:fs'
import {join} from 'node:path'

import {Host, missingPrerequisite, removeLeftovers} from '../../test/dataplane/netns.js'
import {Rig, sleep} from '../../test/dataplane/rig.js'

const i = process.argv.indexOf('--seconds')
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 5

/** Extra lines appended to both configs (later options override earlier ones). */
const VARIANTS: Record<string, {server: string[]; client: string[]; protos?: string[]}> = {
  'production config': {server: [], client: []},
  'cipher AES-128-GCM': {server: ['data-ciphers AES-128-GCM'], client: ['data-ciphers AES-128-GCM']},
  'cipher CHACHA20-POLY1305': {server: ['data-ciphers CHACHA20-POLY1305'], client: ['data-ciphers CHACHA20-POLY1305']},
  'socket buffers 4 MiB': {server: ['sndbuf 4194304', 'rcvbuf 4194304'], client: ['sndbuf 4194304', 'rcvbuf 4194304']},
  'tun-mtu 9000': {server: ['tun-mtu 9000'], client: ['tun-mtu 9000'], protos: ['tcp']},
  'fast-io': {server: ['fast-io'], client: ['fast-io'], protos: ['udp']},
}

function iperf(from: Host, to: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', from.ns, 'iperf3', '-c', to, '-t', String(SECONDS), '-J', '-O', '1'], {encoding: 'utf8'}, (error, out) =>
      error ? reject(error) : resolve((JSON.parse(out) as {end: {sum_received: {bits_per_second: number}}}).end.sum_received.bits_per_second / 1e9),
    ),
  )
}

async function measure(proto: 'tcp' | 'udp', variant: (typeof VARIANTS)[string]): Promise<number> {
  removeLeftovers()
  const rig = new Rig({proto, clients: ['c1'], services: []})
  const c1 = rig.clients.get('c1')!
  appendFileSync(join(rig.serverRoot, 'openvpn/server.conf'), variant.server.map((l) => `${l}\n`).join(''))
  appendFileSync(join(c1.root, 'openvpn/client.conf'), variant.client.map((l) => `${l}\n`).join(''))
  const server = spawn('ip', ['netns', 'exec', c1.host.ns, 'iperf3', '-s'], {stdio: 'ignore', detached: true})
  try {
    rig.startServer()
    rig.startClient('c1')
    await rig.waitConnected(['c1'])
    await sleep(1000)
    return await iperf(rig.server, rig.registry.clients[0].tunnelIP)
  } finally {
    process.kill(-server.pid!, 'SIGKILL')
    await rig.teardown()
  }
}

const why = missingPrerequisite()
if (why) {
  console.error(`bench/dataplane/explore: ${why}`)
  process.exit(2)
}
console.log('| raw tunnel variant | tcp Gbit/s | × production | udp Gbit/s | × production |')
console.log('| --- | --- | --- | --- | --- |')
const baseline: Record<string, number> = {}
for (const [name, variant] of Object.entries(VARIANTS)) {
  const cells: string[] = []
  for (const proto of ['tcp', 'udp'] as const) {
    if (variant.protos && !variant.protos.includes(proto)) {
      cells.push('', '')
      continue
    }
    const gbps = await measure(proto, variant)
    baseline[proto] ??= gbps
    cells.push(gbps.toFixed(2), (gbps / baseline[proto]).toFixed(2))
  }
  console.log(`| ${name} | ${cells.join(' | ')} |`)
}
