// What moves the gateway's overhead over the raw tunnel: the same iperf3
// stream once through the raw tunnel and once through the gateway (server
// HAProxy → tunnel → client HAProxy → backend), with the production HAProxy
// config plus one variation at a time, all in the same run. Run as root:
// npx tsx bench/dataplane/proxy-variants.ts [--seconds 5] [--proto tcp,udp] [--repeat N] [--only 'a,b']
import {execFile, spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Host, missingPrerequisite, removeLeftovers} from '../../test/dataplane/netns.js'
import {Rig, sleep} from '../../test/dataplane/rig.js'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const SECONDS = Number(arg('--seconds', '5'))
const PROTOS = arg('--proto', 'tcp').split(',') as Array<'tcp' | 'udp'>
const REPEAT = Number(arg('--repeat', '1'))
const ONLY = arg('--only', '')

/** Lines added to the global and defaults sections of both HAProxy configs; drop removes production lines. */
const VARIANTS: Record<string, {global?: string[]; defaults?: string[]; drop?: RegExp}> = {
  'production config': {},
  'without option splice-auto': {drop: /^ {2}option splice-auto$/},
  'splice forced both ways': {defaults: ['option splice-request', 'option splice-response']},
  'nbthread 1': {global: ['nbthread 1']},
  'tune.bufsize 64k': {global: ['tune.bufsize 65536']},
  'tune.bufsize 64k + nbthread 1': {global: ['tune.bufsize 65536', 'nbthread 1']},
}

function iperf(from: Host, to: string, port: number): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', from.ns, 'iperf3', '-c', to, '-p', String(port), '-t', String(SECONDS), '-J', '-O', '1'], {encoding: 'utf8'}, (error, out) =>
      error ? reject(error) : resolve((JSON.parse(out) as {end: {sum_received: {bits_per_second: number}}}).end.sum_received.bits_per_second / 1e9),
    ),
  )
}

function patch(path: string, variant: (typeof VARIANTS)[string]): void {
  let cfg = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !variant.drop?.test(l))
    .join('\n')
  cfg = cfg.replace('global\n', `global\n${(variant.global ?? []).map((l) => `  ${l}\n`).join('')}`)
  cfg = cfg.replace('defaults\n', `defaults\n${(variant.defaults ?? []).map((l) => `  ${l}\n`).join('')}`)
  writeFileSync(path, cfg)
}

async function measure(proto: 'tcp' | 'udp', variant: (typeof VARIANTS)[string]): Promise<{raw: number; gateway: number}> {
  removeLeftovers()
  const rig = new Rig({
    proto,
    clients: ['c1'],
    services: [{name: 'perf', port: 5201, internalPort: 20_001, clientService: {name: 'perf', namespace: 'default', port: 5201}}],
  })
  const c1 = rig.clients.get('c1')!
  patch(join(rig.serverRoot, 'haproxy/haproxy.cfg'), variant)
  patch(join(c1.root, 'haproxy/haproxy.cfg'), variant)
  const daemons = [c1.host, c1.backend].map((h) => spawn('ip', ['netns', 'exec', h.ns, 'iperf3', '-s'], {stdio: 'ignore', detached: true}))
  try {
    rig.startServer()
    rig.startClient('c1')
    await rig.waitConnected(['c1'])
    await sleep(1500)
    const raw = await iperf(rig.server, rig.registry.clients[0].tunnelIP, 5201)
    const gateway = await iperf(rig.consumer, rig.server.address, 20_001)
    return {raw, gateway}
  } finally {
    for (const d of daemons) process.kill(-d.pid!, 'SIGKILL')
    await rig.teardown()
  }
}

const why = missingPrerequisite()
if (why) {
  console.error(`bench/dataplane/proxy-variants: ${why}`)
  process.exit(2)
}
console.log('| HAProxy variant | tunnel | raw tunnel Gbit/s | gateway Gbit/s | gateway × raw |')
console.log('| --- | --- | --- | --- | --- |')
for (let round = 0; round < REPEAT; round++) for (const [name, variant] of Object.entries(VARIANTS)) {
  if (ONLY && !ONLY.split(',').includes(name)) continue
  for (const proto of PROTOS) {
    const {raw, gateway} = await measure(proto, variant)
    console.log(`| ${name} | ${proto} | ${raw.toFixed(2)} | ${gateway.toFixed(2)} | ${(gateway / raw).toFixed(2)} |`)
  }
}
