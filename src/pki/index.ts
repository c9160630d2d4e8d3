export * from './certificates.js'
export * from './inspect.js'
export * from './tls-crypt.js'
