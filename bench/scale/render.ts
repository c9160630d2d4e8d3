import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {files, rel} from '../../src/dataplane/layout.js'
import {defaultSettings} from '../../src/registry/settings.js'
import {emptyRegistry, type Registry} from '../../src/registry/types.js'
import {names} from '../../src/render/names.js'
import {serverConfig} from '../../src/render/server.js'
import {median} from '../cli/startup.js'

/** A registry of N services, each served by all of P clients (the heaviest shape for the server). */
export function syntheticRegistry(services: number, clients: number): Registry {
  const registry = emptyRegistry()
  for (let i = 0; i < clients; i++) registry.clients.push({name: `c${i}`, tunnelIP: `10.8.${Math.floor((10 + i) / 256)}.${(10 + i) % 256}`, serial: `${i}`.padStart(32, '0'), notAfter: ''})
  for (let i = 0; i < services; i++) registry.services.push({name: `svc-${i}`, port: 80, internalPort: 20_000 + i, clientService: {name: 'web', namespace: 'app', port: 80}})
  return registry
}

const settings = {...defaultSettings({openvpn: 'img:1', haproxy: 'img:1'}), tunnelNetwork: '10.8.0.0/16'}

export interface RenderFigures {
  renderMs: number
  configBytes: number
  checkMs: number
  reloadMs?: number
  /** Why there is no reload figure (HAProxy refused to start here). */
  reloadSkipped?: string
}

const ms = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6

/** Rendering the server's config, its size, `haproxy -c` and a real reload, for N services × P clients. */
export async function renderFigures(services: number, clients: number, reload: boolean): Promise<RenderFigures> {
  const registry = syntheticRegistry(services, clients)
  const samples: number[] = []
  let cfg = ''
  for (let i = 0; i < 5; i++) {
    const started = process.hrtime.bigint()
    const objects = serverConfig(registry, settings, 'gw')
    samples.push(ms(started))
    cfg = (objects.find((o) => o.metadata.name === names.serverHaproxy)!.data as Record<string, string>)[files.haproxyCfg]
  }
  const root = mkdtempSync(join(tmpdir(), 'svcgw-scale-'))
  try {
    mkdirSync(join(root, rel.run))
    const path = join(root, 'haproxy.cfg')
    writeFileSync(path, cfg)
    const started = process.hrtime.bigint()
    const check = spawnSync('haproxy', ['-c', '-q', '-f', path], {cwd: root, encoding: 'utf8'})
    if (check.status !== 0) throw new Error(`haproxy -c: ${check.stderr}`)
    const checkMs = ms(started)
    const figures = {renderMs: median(samples), configBytes: Buffer.byteLength(cfg), checkMs}
    if (!reload) return figures
    try {
      return {...figures, reloadMs: await reloadTime(root, path)}
    } catch (error) {
      // A check socket per server: 1000 services × 20 clients want more descriptors than a VM's
      // hard limit may allow (pods get containerd's, usually 1048576). Said in the table, not fatal.
      const fdLimit = /Cannot raise FD limit to (\d+), limit is (\d+)/.exec(String(error))
      if (!fdLimit) throw error
      return {...figures, reloadSkipped: `HAProxy needs ${fdLimit[1]} file descriptors, this machine's hard limit is ${fdLimit[2]}`}
    }
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
}

/**
 * One command on a HAProxy CLI socket. The master CLI keeps the connection
 * open after answering, so the answer ends at `until` (or when it closes).
 */
function admin(socket: string, command: string, until = /# programs/): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket)
    let out = ''
    const done = () => {
      c.destroy()
      resolve(out)
    }
    c.setTimeout(2000, done)
    c.on('data', (d) => {
      out += d.toString()
      if (until.test(out)) done()
    })
    c.on('end', done)
    c.on('error', reject)
    c.write(`${command}\n`)
  })
}

/** The current worker's pid, from the master CLI's `show proc` (old workers are listed apart). */
async function workerPid(masterSocket: string): Promise<string | undefined> {
  const out = await admin(masterSocket, 'show proc').catch(() => '')
  const current = out.split('# old workers')[0]
  return /^(\d+)\s+worker\b/m.exec(current)?.[1]
}

/**
 * HAProxy started from the config in a network namespace of its own (its
 * frontends bind every port they name), then reloaded as haproxy-run.sh
 * does (USR2 to the master): the time until the master lists a new
 * current worker.
 */
async function reloadTime(root: string, path: string): Promise<number> {
  const masterSocket = join(root, rel.run, 'master.sock')
  const master = spawn('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec haproxy -W -S ${masterSocket} -db -f ${path}`], {cwd: root, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  master.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  try {
    const deadline = Date.now() + 60_000
    let first: string | undefined
    while (!(first = await workerPid(masterSocket))) {
      if (master.exitCode !== null) throw new Error(`haproxy did not start: ${/\[ALERT\].*/.exec(stderr)?.[0] ?? stderr.trim().split('\n').at(-1)}`)
      if (Date.now() > deadline) throw new Error('haproxy did not start')
      await new Promise((r) => setTimeout(r, 50))
    }
    const started = process.hrtime.bigint()
    master.kill('SIGUSR2')
    for (;;) {
      const pid = await workerPid(masterSocket)
      if (pid && pid !== first) return ms(started)
      if (Date.now() > deadline) throw new Error('haproxy did not reload')
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    master.kill('SIGTERM')
  }
}
