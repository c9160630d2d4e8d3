import {ClusterCommand} from '../base-command.js'

export default class List extends ClusterCommand<typeof List> {
  static override summary = 'List the exposed services and the clients that serve them.'
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list -o yaml']

  async run(): Promise<unknown> {
    const home = await this.home()
    const {registry} = await home.store.load()
    const {table} = await import('../ui/output.js')
    const result = {services: registry.services, clients: registry.clients.map((c) => c.name)}
    return this.emit(result, (r) =>
      r.services.length === 0
        ? 'no services exposed: add one with "kubectl svcgw expose SERVICE --port P"'
        : table(
            ['NAME', 'PORT', 'INTERNAL-PORT', 'PROVIDER-SERVICE', 'CLIENTS'],
            r.services.map((s) => [
              s.name,
              String(s.port),
              String(s.internalPort),
              `${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port}`,
              (s.clients ?? r.clients).join(',') || '<none>',
            ]),
          ),
    )
  }
}
