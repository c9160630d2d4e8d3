import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {usageError} from '../../errors.js'
import {validityFlags} from '../../flags/gateway.js'

export default class CertsRotate extends ClusterCommand<typeof CertsRotate> {
  static override summary = 'Issue a new client (or server) certificate, distribute it, and revoke the old one.'
  static override description = `For a client: issues a new certificate from the server's CA, writes it to the provider, waits for the client to reconnect with it (its rollout), then revokes the old serial (no server restart).
For the server (--server): a new server certificate from the same CA; the server restarts and clients reconnect by themselves.`
  static override examples = [
    '<%= config.bin %> certs rotate --to ctx-b',
    '<%= config.bin %> certs rotate --client eu-west',
    '<%= config.bin %> certs rotate --server',
  ]
  static override flags = {
    to: Flags.string({description: 'Context of the provider whose client to rotate.', exclusive: ['server', 'client']}),
    client: Flags.string({description: 'Name of the client to rotate.', exclusive: ['server']}),
    server: Flags.boolean({description: 'Rotate the server certificate instead.'}),
    ...validityFlags,
    wait: Flags.boolean({description: 'Wait for the reconnect before revoking the old certificate.', default: true, allowNo: true}),
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const {rotateClient, rotateServer} = await import('../../gateway/certs/rotate.js')
    const common = {certDays: this.flags['cert-days'], wait: this.flags.wait, timeoutMs: this.flags.timeout}
    if (this.flags.server) return this.emit(await rotateServer(home, common, this.reporter), (r) => r.summary)
    if (!this.flags.to && !this.flags.client) throw usageError('nothing to rotate', 'pass --to CONTEXT, --client NAME or --server')
    const selector = this.flags.client ? {client: this.flags.client, context: this.flags.to} : {context: this.flags.to}
    const result = await rotateClient(home, selector, {...common, kubeconfig: this.flags.kubeconfig}, this.reporter)
    return this.emit(result, (r) => r.summary)
  }
}
