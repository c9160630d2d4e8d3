import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {usageError} from '../../errors.js'
import {dryRunFlags, waitFlags} from '../../flags/index.js'
import {validityFlags} from '../../flags/gateway.js'

export default class CertsRotate extends ClusterCommand<typeof CertsRotate> {
  static override summary = 'Issue a new client (or server) certificate, distribute it, and revoke the old one.'
  static override description = `For a client: issues a new certificate from the server's CA, writes it to the provider, waits until the client is connected with it, and only then records the new serial and revokes the old one (one registry update). If anything fails before that, the old certificate is put back and stays recorded. With --no-wait the old certificate stays valid, listed as superseded, until "certs revoke --superseded".
For the server (--server): a new server certificate from the same CA; the server restarts and clients reconnect by themselves.`
  static override examples = [
    '<%= config.bin %> certs rotate --to ctx-b',
    '<%= config.bin %> certs rotate --client eu-west',
    '<%= config.bin %> certs rotate --server',
    '<%= config.bin %> certs rotate --to ctx-b --dry-run',
  ]
  static override flags = {
    to: Flags.string({description: 'Context of the provider whose client to rotate.', exclusive: ['server', 'client']}),
    client: Flags.string({description: 'Name of the client to rotate.', exclusive: ['server']}),
    server: Flags.boolean({description: 'Rotate the server certificate instead.'}),
    ...validityFlags,
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const {rotateClient, rotateServer} = await import('../../gateway/certs/rotate.js')
    const options = {certDays: this.flags['cert-days'], ...this.live()}
    if (this.flags.server) return this.finish(await rotateServer(home, options, this.reporter))
    if (!this.flags.to && !this.flags.client) throw usageError('nothing to rotate', 'pass --to CONTEXT, --client NAME or --server')
    const selector = this.flags.client ? {client: this.flags.client} : {context: this.flags.to}
    return this.finish(await rotateClient(home, selector, options, this.reporter))
  }
}
