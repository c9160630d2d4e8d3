import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'

export default class CertsRevoke extends ClusterCommand<typeof CertsRevoke> {
  static override summary = "Revoke a client's certificate: the server refuses it from its next connection on."
  static override examples = ['<%= config.bin %> certs revoke --client eu-west --yes']
  static override flags = {
    client: Flags.string({description: 'Name of the client whose certificate to revoke.', required: true}),
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    await this.confirm(`Revoke the certificate of client ${this.flags.client}? It will be disconnected`)
    const {revokeClient} = await import('../../gateway/certs/revoke.js')
    return this.emit(await revokeClient(home, this.flags.client, this.reporter), (r) => r.summary)
  }
}
