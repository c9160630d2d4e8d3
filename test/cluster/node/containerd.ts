import {execFile} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import type {NodeLayout} from './layout.js'
import {Supervisor} from './supervisor.js'

const execFileAsync = promisify(execFile)

export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10.1'

/**
 * containerd 1.6 for one node. It runs in the node's mount namespace, so its
 * default root (/var/lib/containerd), state (/run/containerd) and the shims'
 * sockets (/run/containerd/s) are the node's own directories.
 */
function config(node: NodeLayout): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"'
  return `version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
# Plugins that would touch /opt, or storage drivers this host does not have.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${node.containerd.insideSocket}"

[debug]
  level = "warn"

[${cri}]
  # Imported, never pulled.
  sandbox_image = "${SANDBOX_IMAGE}"
  # The VM's root lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj.
  restrict_oom_score_adj = true
  disable_apparmor = true

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${node.cni.confDir}"
  max_conf_num = 1
`
}

/** The pod network: one bridge per node, pods NATed to the node's address when they leave it. */
function cniConfig(node: NodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: node.cniNetwork,
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {type: 'host-local', ranges: [[{subnet: node.podCIDR}]], routes: [{dst: '0.0.0.0/0'}]},
        },
        {type: 'portmap', capabilities: {portMappings: true}},
      ],
    },
    null,
    2,
  )
}

export const ctr = (node: NodeLayout, args: string[]) => execFileAsync('ctr', ['--address', node.containerd.socket, '--namespace', 'k8s.io', ...args], {encoding: 'utf8'})

/** Starts containerd in the node's namespaces (CNI plugins act on the network namespace of their caller). */
export async function startContainerd(supervisor: Supervisor, node: NodeLayout, mountns: string): Promise<void> {
  mkdirSync(node.cni.confDir, {recursive: true})
  writeFileSync(node.containerd.config, config(node))
  writeFileSync(join(node.cni.confDir, '10-bridge.conflist'), cniConfig(node))
  supervisor.start(`containerd-${node.letter}`, 'containerd', ['--config', node.containerd.config], {netns: node.netns, mountns})
  const deadline = Date.now() + 30_000
  for (;;) {
    supervisor.check()
    try {
      await ctr(node, ['version'])
      return
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`containerd of node ${node.letter} not answering after 30 s: ${(error as Error).message}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Imports docker-archives; an image already present costs only its checksum. */
export async function importImages(node: NodeLayout, archives: string[]): Promise<void> {
  for (const archive of archives) {
    await ctr(node, ['images', 'import', archive]).catch((error: Error & {stderr?: string}) => {
      throw new Error(`importing ${archive} into node ${node.letter}: ${(error.stderr || error.message).trim()}`)
    })
  }
}
