import type {Registry} from '../registry/types.js'
import {table} from './output.js'

/** What `list` prints (and -o json|yaml serialises): the exposed services and the registered clients' names. */
export function listView(registry: Registry): {services: Registry['services']; clients: string[]} {
  return {services: registry.services, clients: registry.clients.map((c) => c.name)}
}

export function listText(view: ReturnType<typeof listView>): string {
  if (view.services.length === 0) return 'no services exposed: add one with "kubectl svcgw expose SERVICE --port P"'
  return table(
    ['NAME', 'PORT', 'INTERNAL-PORT', 'PROVIDER-SERVICE', 'CLIENTS'],
    view.services.map((s) => [
      s.name,
      String(s.port),
      String(s.internalPort),
      `${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port}`,
      (s.clients ?? view.clients).join(',') || '<none>',
    ]),
  )
}
