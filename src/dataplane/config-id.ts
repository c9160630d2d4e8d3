import {createHash} from 'node:crypto'

/**
 * HAProxy answers GET /config-id on its stats port with the ID of the
 * config it runs, so the plugin can tell that a change is live (read
 * through port-forward, without exec). The ID is a digest of the config
 * without that answer's own line.
 */
export const CONFIG_ID_PATH = '/config-id'

export const proxyConfigId = (configWithoutId: string): string => createHash('sha256').update(configWithoutId).digest('hex').slice(0, 16)

/**
 * The answer's rules. A worker replaced by a reload keeps serving the connections it holds until it
 * exits (0.7 s and more after the new one answers), so a reader that keeps its connection open
 * (PodHttpSession) would read the old ID that long: a stopping worker says `Connection: close`,
 * and the reader's next look reaches the new one.
 */
export const configIdRule = (id: string): string =>
  [
    `  http-request return status 200 content-type text/plain string ${id} hdr Connection close if { path ${CONFIG_ID_PATH} } { stopping }`,
    `  http-request return status 200 content-type text/plain string ${id} if { path ${CONFIG_ID_PATH} }`,
  ].join('\n')
