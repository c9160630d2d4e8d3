import {randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {run, startTime} from './host.js'

/**
 * A run: one start of test clusters with nodes. Everything it creates
 * outside its directory (network namespaces, links, cgroups, the node
 * subnet) is named from its id, so two runs on one machine never collide and
 * a later run can clean up after one whose process died. The record under
 * /run/svcgw-test/runs/ says which process owns the run.
 */
export interface RunRecord {
  id: string
  /** The run's directory: certificates, logs, containerd and kubelet state. */
  dir: string
  /** The node network is 100.64.<subnet>.0/24. */
  subnet: number
  /** Node letters: a, b, … */
  nodes: string[]
  owner: {pid: number; start: string}
}

const ROOT = '/run/svcgw-test'
const RUNS = join(ROOT, 'runs')
const SUBNETS = join(ROOT, 'subnets')

export const names = (id: string) => ({
  cgroup: `svcgw-${id}`,
  bridge: `svgw${id}`,
  netns: (letter: string) => `svcgw-${id}-${letter}`,
  hostVeth: (letter: string) => `svgw${id}${letter}`,
  cniNetwork: (letter: string) => `svcgw-${id}-${letter}`,
})

export const nodeNetwork = (subnet: number) => ({
  cidr: `100.64.${subnet}.0/24`,
  bridgeIP: `100.64.${subnet}.1`,
  nodeIP: (index: number) => `100.64.${subnet}.${10 + index}`,
})

/** Subnets some route on this host already covers (another tool's, or a run we do not know of). */
function subnetsInUse(): Set<number> {
  const used = new Set<number>()
  for (const line of run('ip', ['-4', 'route', 'show', 'table', 'all']).split('\n')) {
    const m = /^(?:\S+ )?100\.64\.(\d+)\./.exec(line)
    if (m) used.add(Number(m[1]))
  }
  return used
}

/** Registers a new run owned by this process, with a subnet of its own. */
export function newRun(dir: string, nodes: string[]): RunRecord {
  // A run that ends meanwhile may remove the (empty) directories: retry.
  for (let attempt = 0; ; attempt++) {
    try {
      return register(dir, nodes)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error
    }
  }
}

function register(dir: string, nodes: string[]): RunRecord {
  mkdirSync(RUNS, {recursive: true})
  mkdirSync(SUBNETS, {recursive: true})
  const id = randomBytes(3).toString('hex')
  const used = subnetsInUse()
  const first = randomBytes(1)[0]
  for (let i = 0; i < 256; i++) {
    const subnet = (first + i) % 256
    if (used.has(subnet)) continue
    try {
      // mkdir is atomic: of two runs picking the same subnet, one wins.
      mkdirSync(join(SUBNETS, String(subnet)))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    writeFileSync(join(SUBNETS, String(subnet), 'run'), id)
    const record: RunRecord = {id, dir, subnet, nodes, owner: {pid: process.pid, start: startTime(process.pid) ?? ''}}
    writeFileSync(join(RUNS, `${id}.json`), JSON.stringify(record))
    return record
  }
  throw new Error('no free node subnet in 100.64.0.0/16')
}

/** Forgets a run whose resources are gone. */
export function releaseRun(record: RunRecord): void {
  rmSync(join(SUBNETS, String(record.subnet)), {recursive: true, force: true})
  for (const suffix of ['.json', '.json.reaping']) rmSync(join(RUNS, `${record.id}${suffix}`), {force: true})
  for (const dir of [SUBNETS, RUNS, ROOT]) {
    try {
      rmdirSync(dir)
    } catch {
      // another run's, still in use
    }
  }
}

const alive = (owner: RunRecord['owner']) => startTime(owner.pid) === owner.start

/**
 * Claims the runs whose owner died (the record is renamed, so two reapers
 * never take the same run). A claim older than two minutes is stale: its
 * reaper died too.
 */
export function claimDeadRuns(): RunRecord[] {
  let files: string[]
  try {
    files = readdirSync(RUNS)
  } catch {
    return []
  }
  const claimed: RunRecord[] = []
  for (const file of files) {
    const path = join(RUNS, file)
    try {
      const record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord
      if (file.endsWith('.json')) {
        if (alive(record.owner)) continue
        renameSync(path, `${path}.reaping`)
      } else if (!file.endsWith('.reaping') || Date.now() - statSync(path).mtimeMs < 120_000) {
        continue
      }
      claimed.push(record)
    } catch {
      // taken by another reaper meanwhile, or half written
    }
  }
  return claimed
}

/** Whether some other run is registered (shared directories such as /run/containerd/s must stay). */
export function otherRuns(id: string): boolean {
  try {
    return readdirSync(RUNS).some((f) => !f.startsWith(`${id}.`))
  } catch {
    return false
  }
}

/** Claims one run by id (the watchdog's), unless another reaper has it. */
export function claimRun(id: string): RunRecord | undefined {
  const path = join(RUNS, `${id}.json`)
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord
    renameSync(path, `${path}.reaping`)
    return record
  } catch {
    return undefined
  }
}
