import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

/** Where the kubeconfig paths come from, for the error a newcomer reads. */
export type KubeconfigOrigin = '--kubeconfig' | 'KUBECONFIG' | 'the default location'

/**
 * The kubeconfig files kubectl would read: --kubeconfig, else $KUBECONFIG's
 * list, else ~/.kube/config; whether they exist is the caller's concern.
 * No Kubernetes client here: completion and list's fast path use it too.
 */
export function kubeconfigFiles(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): {files: string[]; from: KubeconfigOrigin} {
  if (flag) return {files: [flag], from: '--kubeconfig'}
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean)
  if (fromEnv.length > 0) return {files: fromEnv, from: 'KUBECONFIG'}
  return {files: [join(homedir(), '.kube', 'config')], from: 'the default location'}
}
