import {createHash} from 'node:crypto'

import {SvcgwError, timeoutError} from '../errors.js'
import type {Deployment} from '../kube/object.js'
import {execInPod, listPods} from '../kube/pods.js'
import {sleep, waitForRollout} from '../kube/wait.js'
import {files, pathOf} from '../dataplane/layout.js'
import type {KeyPair} from '../pki/certificates.js'
import type {ServerSettings} from '../registry/settings.js'
import {names} from '../render/names.js'
import {labelSelectorFor, type KubeObject} from '../render/objects.js'
import {RESTART_CHECKSUM, serverCertificateSecret, serverKeyDigest, serverTrust, serverWorkload} from '../render/server.js'
import type {Reporter} from '../ui/reporter.js'
import {applyAll} from './apply.js'
import {Home} from './home.js'
import {nudgePods} from './live.js'
import type {LiveOptions} from './sync.js'

/**
 * The md5 openvpn-run.sh reports (run/openvpn-keys.loaded) once the
 * server's OpenVPN runs these key files: the files named by the config's
 * `ca`, `cert` and `key` lines, in that order, as mounted.
 */
export const serverKeysDigest = (trust: string[], server: KeyPair): string => createHash('md5').update(trust.join('')).update(server.cert).update(server.key).digest('hex')

const deploymentRef = (home: Home) => ({apiVersion: 'apps/v1', kind: 'Deployment', name: names.serverDeployment, namespace: home.namespace})

/**
 * Writes the server's key files (self mode: its Secret; both modes: the
 * trust bundle) and the workload (converging an install made before the
 * in-place reload: its pod rolls once), then makes them live: the kubelet
 * refreshes the volumes at once (pod nudge) and, with --wait, the server's
 * OpenVPN is seen running them (openvpn-run.sh's marker, read by exec:
 * admin only). No new pod: the tunnels blip for about a second.
 */
export async function applyServerKeys(
  home: Home,
  settings: ServerSettings,
  keys: {server: KeyPair; trust: string[]; tlsCrypt: string; ownSecret: boolean},
  live: LiveOptions,
  reporter: Reporter,
): Promise<void> {
  const {cluster, namespace} = home
  const before = await cluster.read<Deployment>(deploymentRef(home))
  const objects: KubeObject[] = [
    ...(keys.ownSecret ? [serverCertificateSecret(keys.server, keys.trust, namespace)] : []),
    serverTrust(keys.trust, namespace),
    ...serverWorkload(settings, namespace, serverKeyDigest(keys.tlsCrypt)),
  ]
  await applyAll(cluster, objects, reporter)
  if (cluster.dryRun) return
  const after = await cluster.read<Deployment>(deploymentRef(home))
  const rolled = before?.spec?.template?.metadata?.annotations?.[RESTART_CHECKSUM] !== after?.spec?.template?.metadata?.annotations?.[RESTART_CHECKSUM]
  if (rolled) {
    reporter.step('the server pod is replaced once (its scripts or config changed)')
    if (live.wait) await waitForRollout(cluster, namespace, names.serverDeployment, Math.max(0, live.deadline - Date.now()), (line) => reporter.step(line))
  } else {
    await nudgePods(cluster, namespace, labelSelectorFor('server'))
  }
  if (live.wait) await confirmServerKeys(home, serverKeysDigest(keys.trust, keys.server), live.deadline, reporter)
}

/** Waits until the running server pod's OpenVPN reports these key files loaded. */
export async function confirmServerKeys(home: Home, digest: string, deadline: number, reporter: Reporter): Promise<void> {
  const {cluster, namespace} = home
  const marker = pathOf('run', files.openvpnKeysLoaded)
  let last = ''
  for (;;) {
    const pod = (await listPods(cluster, namespace, labelSelectorFor('server'))).find((p) => p.status?.phase === 'Running')
    if (pod) {
      try {
        last = (await execInPod(cluster, namespace, pod.metadata.name, 'openvpn', ['/bin/sh', '-c', `cat ${marker} 2>/dev/null || true`], 5000)).trim()
        if (last === digest) {
          reporter.step(`the server's OpenVPN runs the new key files (pod ${pod.metadata.name})`)
          return
        }
      } catch (error) {
        if (!(error instanceof SvcgwError) || error.errorClass === 'forbidden') throw error
      }
    }
    if (Date.now() >= deadline) {
      throw timeoutError(
        `the server's OpenVPN in ${cluster.context} did not load the new certificate in time${last ? ` (it runs key files ${last})` : ''}`,
        `check "kubectl --context ${cluster.context} -n ${namespace} logs -l ${labelSelectorFor('server')} -c openvpn", or raise --timeout`,
      )
    }
    await sleep(500)
  }
}
