import {strict as assert} from 'node:assert'
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildAll} from './builds.js'
import {hierarchies} from './node/cgroups.js'
import {nodePrerequisites, run} from './node/host.js'
import type {NodeBinaries} from './node/node.js'
import {IMAGES} from './images.js'
import {type ClusterSet, up} from './up.js'
import {kubectl, until, waitFor} from './workloads.js'

const UP = fileURLToPath(new URL('up.ts', import.meta.url))
// Paths the kubelet and containerd would write on the host if they ran in its mount namespace.
const FIXED_PATHS = ['/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/run/containerd', '/var/lib/containerd', '/var/lib/cni', '/etc/cni']

/** What a run with this id and directory left on the host: empty when nothing. */
function leftovers(runId: string, dir: string, fixedBefore: string[]): string[] {
  const found: string[] = []
  for (const ns of run('ip', ['netns', 'list']).split('\n')) if (ns.startsWith(`svcgw-${runId}-`)) found.push(`netns ${ns.split(' ')[0]}`)
  for (const link of run('ip', ['-o', 'link', 'show']).split('\n')) if (link.includes(`svgw${runId}`)) found.push(`link ${link.split(':')[1].trim()}`)
  for (const h of hierarchies()) if (existsSync(`${h}/svcgw-${runId}`)) found.push(`cgroup ${h}/svcgw-${runId}`)
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(dir)) found.push(`mount ${line.split(' ')[4]}`)
  if (existsSync(dir)) found.push(`directory ${dir}`)
  if (existsSync('/run/svcgw-test/runs')) found.push(...readdirSync('/run/svcgw-test/runs').filter((f) => f.startsWith(runId)).map((f) => `record ${f}`))
  found.push(...FIXED_PATHS.filter((p) => existsSync(p) && !fixedBefore.includes(p)).map((p) => `path ${p}`))
  // No cgroup left means no process left in it: a cgroup with a process cannot be removed.
  return found
}

/** A run with a pod (so shims, containers, overlay and volume mounts exist) and what it made. */
async function withPod(set: ClusterSet): Promise<void> {
  kubectl(set, 'ctx-a', ['run', 'p', `--image=${IMAGES.testbox}`, '--restart=Never', '--', 'sleep', '86400'])
  waitFor(set, 'ctx-a', 'default', 'pod/p')
  assert.ok(existsSync(`/sys/fs/cgroup/freezer/svcgw-${set.runId}`), 'the run has a cgroup tree')
}

describe('test clusters leave nothing behind', function () {
  this.timeout(120_000)
  let built: NodeBinaries
  let fixedBefore: string[]

  before(function () {
    const why = nodePrerequisites()
    const result = why ? {missing: why} : buildAll()
    if ('missing' in result) {
      process.stderr.write(`  teardown suite skipped: ${result.missing}\n`)
      return this.skip()
    }
    built = result
    fixedBefore = FIXED_PATHS.filter((p) => existsSync(p))
  })

  it('stop() removes every process, mount, namespace, link, cgroup and file of its run', async () => {
    const set = await up(built, {clusters: 1})
    await withPod(set)
    const started = Date.now()
    await set.stop()
    assert.ok(Date.now() - started < 15_000, `teardown took ${Date.now() - started} ms`)
    assert.deepEqual(leftovers(set.runId, set.dir, fixedBefore), [])
  })

  it('a test process killed with SIGKILL is cleaned up by its watchdog', async () => {
    // node itself (not the tsx launcher), so that the signal hits the process that owns the run.
    const child = spawn(process.execPath, ['--import', 'tsx', UP, '--clusters', '1'], {stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    try {
      const kubeconfig = await until('READY from up.ts', async () => /^READY (\S+)$/m.exec(out)?.[1] ?? (child.exitCode === null ? undefined : `exited: ${err}`), 90_000)
      if (kubeconfig.startsWith('exited')) throw new Error(`up.ts ${kubeconfig}`)
      const runId = /run (\w+):/.exec(err)![1]
      const set = {kubeconfig, runId, dir: dirname(kubeconfig)} as ClusterSet
      await withPod(set)
      child.kill('SIGKILL')
      await until('the watchdog to tear the run down', async () => leftovers(runId, set.dir, fixedBefore).length === 0, 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; left: ${leftovers(runId, set.dir, fixedBefore).join(', ')}`)
      })
    } finally {
      child.kill('SIGKILL')
    }
  })
})
