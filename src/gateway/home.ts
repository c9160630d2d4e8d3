import {Cluster} from '../kube/cluster.js'
import {KubeSession} from '../kube/session.js'
import {validateNamespaceName} from '../registry/validate.js'
import {DEFAULT_NAMESPACE} from '../render/names.js'
import {RegistryStore} from '../store/registry-store.js'

/** The server side: its cluster, its namespace and the registry kept there. */
export class Home {
  readonly store: RegistryStore

  constructor(
    readonly session: KubeSession,
    readonly cluster: Cluster,
    readonly namespace: string,
  ) {
    validateNamespaceName(namespace)
    this.store = new RegistryStore(cluster, namespace)
  }
}

/**
 * The gateway namespace is `-n`, else `svcgw`: never the context's own
 * namespace (often `default`), which the gateway would otherwise have to
 * make privileged.
 */
export function openHome(session: KubeSession, flags: {context?: string; namespace?: string}): Home {
  return new Home(session, session.open(flags.context), flags.namespace ?? DEFAULT_NAMESPACE)
}
