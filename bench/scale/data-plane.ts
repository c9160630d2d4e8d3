import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {execFileSync} from 'node:child_process'

import {files, rel} from '../../src/dataplane/layout.js'
import {Rig} from '../../test/dataplane/rig.js'

export interface DataPlaneFigures {
  clients: number
  connectMs: number
  idleRssMiB: number
  idleCpuPercent: number
  reconnectMs: number
}

const TICKS = 100

/** RSS (KiB) and CPU ticks of every process in a network namespace. */
function usage(ns: string): {rssKiB: number; ticks: number} {
  const pids = execFileSync('ip', ['netns', 'pids', ns], {encoding: 'utf8'}).split('\n').filter(Boolean)
  let rssKiB = 0
  let ticks = 0
  for (const pid of pids) {
    try {
      rssKiB += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {}
  }
  return {rssKiB, ticks}
}

/**
 * The server with K clients connected, on the real daemons in network
 * namespaces (test/dataplane/rig.ts): its memory and CPU at idle, and how
 * long until every client is back after a server restart.
 */
export async function dataPlaneFigures(clients: number, idleSeconds: number): Promise<DataPlaneFigures> {
  const names = Array.from({length: clients}, (_, i) => `c${i}`)
  const rig = new Rig({proto: 'tcp', clients: names, services: [{name: 'web', port: 80, internalPort: 20_000, clientService: {name: 'web', namespace: 'default', port: 8080}}]})
  try {
    rig.startBackends()
    rig.startServer()
    let started = Date.now()
    for (const name of names) rig.startClient(name)
    await rig.waitConnected(names, 120_000)
    const connectMs = Date.now() - started
    await new Promise((r) => setTimeout(r, 2000))
    const before = usage(rig.server.ns)
    await new Promise((r) => setTimeout(r, idleSeconds * 1000))
    const after = usage(rig.server.ns)
    await rig.stopServer()
    // The status file lists the sessions of the server that stopped: only a new one's entries count.
    rmSync(join(rig.serverRoot, rel.run, files.openvpnStatus), {force: true})
    started = Date.now()
    rig.startServer()
    await rig.waitConnected(names, 120_000)
    return {
      clients,
      connectMs,
      idleRssMiB: after.rssKiB / 1024,
      idleCpuPercent: ((after.ticks - before.ticks) / TICKS / idleSeconds) * 100,
      reconnectMs: Date.now() - started,
    }
  } finally {
    await rig.teardown()
  }
}
