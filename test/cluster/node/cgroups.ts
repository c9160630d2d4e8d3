import {existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/**
 * A run's cgroup tree, /svcgw-<run> in every cgroup v1 hierarchy (and the
 * v2 one of a hybrid host). Every process of a run ends up inside it: the
 * components join it before they exec, containerd's shims inherit it, and
 * the kubelets' cgroup roots (hence every container) are below it. So one
 * walk of the tree finds everything to kill, even processes reparented to
 * init when their parent died.
 */

/** Mount points of the cgroup hierarchies. */
export function hierarchies(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => f[1])
}

/** Creates `rel` (e.g. svcgw-ab12cd/procs) in every hierarchy; returns the directories. */
export function createCgroup(rel: string): string[] {
  return hierarchies().map((root) => {
    let dir = root
    for (const part of rel.split('/').filter(Boolean)) {
      const parent = dir
      dir = join(dir, part)
      if (existsSync(dir)) continue
      mkdirSync(dir)
      // A new cpuset has no CPUs and no memory nodes: nothing could join it.
      if (existsSync(join(dir, 'cpuset.cpus'))) {
        for (const file of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, file), readFileSync(join(parent, file)))
      }
    }
    return dir
  })
}

function subtree(dir: string): string[] {
  if (!existsSync(dir)) return []
  const children = readdirSync(dir, {withFileTypes: true}).filter((e) => e.isDirectory())
  return [...children.flatMap((c) => subtree(join(dir, c.name))), dir]
}

function pidsIn(rel: string): number[] {
  const pids = new Set<number>()
  for (const root of hierarchies()) {
    for (const dir of subtree(join(root, rel))) {
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(pid))
      } catch {
        // removed while we walked
      }
    }
  }
  return [...pids]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Kills every process in the tree. Frozen first, so none can fork a child we
 * would miss (a kubelet restarting a container, containerd starting a shim).
 */
export async function killCgroupTree(rel: string, timeoutMs = 15_000): Promise<void> {
  const freezer = join('/sys/fs/cgroup/freezer', rel, 'freezer.state')
  const frozen = existsSync(freezer)
  if (frozen) writeFileSync(freezer, 'FROZEN')
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      const pids = pidsIn(rel)
      if (pids.length === 0) return
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      // A frozen process dies only once thawed; the signal stays pending till then.
      if (frozen) writeFileSync(freezer, 'THAWED')
      if (Date.now() > deadline) throw new Error(`processes left in cgroup ${rel}: ${pids.join(' ')}`)
      await sleep(50)
      if (frozen && existsSync(freezer)) writeFileSync(freezer, 'FROZEN')
    }
  } finally {
    if (frozen && existsSync(freezer)) writeFileSync(freezer, 'THAWED')
  }
}

/** Removes the (empty) tree from every hierarchy, deepest first. */
export async function removeCgroupTree(rel: string): Promise<void> {
  for (const root of hierarchies()) {
    for (const dir of subtree(join(root, rel))) {
      // A cgroup whose last task just exited can be busy for a moment.
      for (let i = 0; ; i++) {
        try {
          rmdirSync(dir)
          break
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') break
          if (i >= 40) throw new Error(`cannot remove cgroup ${dir}: ${(error as Error).message}`)
          await sleep(50)
        }
      }
    }
  }
}

/** Names of the run trees (svcgw-*) present in the freezer hierarchy. */
export function runTrees(): string[] {
  const root = '/sys/fs/cgroup/freezer'
  return existsSync(root) ? readdirSync(root).filter((n) => n.startsWith('svcgw-')) : []
}
