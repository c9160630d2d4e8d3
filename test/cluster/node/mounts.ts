import {mkdirSync} from 'node:fs'

import type {NodeLayout} from './layout.js'
import {Supervisor} from './supervisor.js'

// Mounts the node's directories, then holds the namespace open for the
// node's other processes to enter (nsenter --mount=/proc/PID/ns/mnt).
const HOLD = 'while [ $# -gt 0 ]; do mount --bind "$1" "$2" || exit 1; shift 2; done; echo ready; exec sleep infinity'

/**
 * Starts the process that holds the node's mount namespace (see layout.ts)
 * and returns the namespace's path. Slave propagation: the host's mounts
 * still reach the node, the node's (overlay root filesystems, volumes, pod
 * network namespaces) never reach the host.
 */
export async function startMountNamespace(supervisor: Supervisor, node: NodeLayout): Promise<string> {
  for (const {source} of node.binds) mkdirSync(source, {recursive: true})
  const holder = supervisor.start(
    `mounts-${node.letter}`,
    'unshare',
    ['--mount', '--propagation', 'slave', '--', 'sh', '-c', HOLD, 'sh', ...node.binds.flatMap((b) => [b.source, b.target])],
    {netns: node.netns, pipe: true},
  )
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
    holder.once('exit', () => reject(new Error(supervisor.failures.join('\n') || `the mount namespace of node ${node.letter} could not be set up`)))
  })
  return `/proc/${holder.pid}/ns/mnt`
}
